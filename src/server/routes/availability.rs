use super::super::AppState;
use super::super::error::ApiError;
use super::super::input::{Quantity, Sku};
use crate::api::Availability;
use axum::Json;
use axum::extract::{Path, Query, State};
use std::collections::HashMap;

/// `GET /api/v1/products/{sku}/availability?quantity=Q`
pub async fn product_availability(
    State(state): State<AppState>,
    Path(sku): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Availability>, ApiError> {
    let sku = Sku::parse(&sku)?;
    let quantity = Quantity::parse_optional(query.get("quantity").map(String::as_str))?;
    let product = state
        .store
        .product(sku.as_str().to_owned())
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::unknown_product(sku.as_str()))?;
    let quote = product
        .inventory
        .quote(quantity.get(), state.clock.today())
        .map_err(|error| ApiError::invalid_field("quantity", error.to_string()))?;
    Ok(Json(Availability::from_quote(
        product.sku,
        product.name,
        quote,
        state.clock.now_rfc3339(),
    )))
}
