//! Many products at once: `PUT /api/v1/admin/products` and
//! `stock-widget import FILE.csv`. Each item is checked with the single
//! `PUT`'s rules, every bad item is reported (where, which field, why), a
//! SKU may appear once, and nothing is written unless every item passes.

use super::{ProductSettings, ProductSettingsBody, Sku, ValidationError};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Most products in one bulk call.
pub const MAX_BULK_PRODUCTS: usize = 1000;

/// Why one item of a batch was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ItemError {
    /// The item's index in `products` (bulk API) or its line in the file (import).
    pub at: u64,
    /// The item's SKU, when it has a readable one.
    pub sku: Option<String>,
    /// The field at fault, named as in the request (or the CSV header).
    pub field: String,
    pub message: String,
}

/// One item as read: its SKU and settings, or why each cannot be read.
pub struct Item {
    pub at: u64,
    pub sku: Result<String, ValidationError>,
    pub read: Result<ProductSettingsBody, ValidationError>,
}

/// Checks every item; all of them valid, each SKU once, or every error.
pub fn check(items: Vec<Item>) -> Result<Vec<(Sku, ProductSettings)>, Vec<ItemError>> {
    let mut valid = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    for item in items {
        let readable_sku = item.sku.as_ref().ok().cloned();
        let refuse = |error: ValidationError| ItemError {
            at: item.at,
            sku: readable_sku.clone(),
            field: error.field,
            message: error.message,
        };
        let sku = match item.sku.and_then(|text| Sku::parse(&text)) {
            Ok(sku) => sku,
            Err(error) => {
                errors.push(refuse(error));
                continue;
            }
        };
        if let Some(first) = first_seen.get(sku.as_str()) {
            errors.push(refuse(ValidationError::new(
                "sku",
                format!("This SKU appears twice (first at {first})."),
            )));
            continue;
        }
        first_seen.insert(sku.as_str().to_owned(), item.at);
        match item.read.and_then(ProductSettingsBody::validate) {
            Ok(settings) => valid.push((sku, settings)),
            Err(error) => errors.push(refuse(error)),
        }
    }
    if errors.is_empty() {
        Ok(valid)
    } else {
        Err(errors)
    }
}

/// The items among `products` (checked, at `at[i]`) whose SKU is among
/// `skus`: they name a supplier that does not exist.
pub fn unknown_supplier(
    products: &[(Sku, ProductSettings)],
    at: &[u64],
    skus: &[Sku],
) -> Vec<ItemError> {
    products
        .iter()
        .zip(at)
        .filter(|((sku, _), _)| skus.contains(sku))
        .map(|((sku, settings), at)| ItemError {
            at: *at,
            sku: Some(sku.to_string()),
            field: "supplier".into(),
            message: format!(
                "No supplier has the id {:?}.",
                settings.supplier.as_ref().map_or("", |id| id.as_str())
            ),
        })
        .collect()
}
