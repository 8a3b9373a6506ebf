use crate::api::{Availability, AvailabilityList, ErrorBody};
use crate::server::AppState;
use crate::server::domain::{Product, Quantity, Sku};
use crate::server::error::ApiError;
use crate::server::input::query_param;
use axum::Json;
use axum::extract::{Path, RawQuery, State};

/// Most SKUs one batch request may ask for.
pub const MAX_BATCH_SKUS: usize = 100;

pub(super) fn availability_of(
    state: &AppState,
    product: &Product,
    quantity: Quantity,
) -> Result<Availability, ApiError> {
    Availability::new(
        product.sku.to_string(),
        product.name.clone(),
        &product.inventory,
        quantity.get(),
        state.clock.today(),
        state.clock.now_rfc3339(),
    )
    .map_err(|error| ApiError::invalid_field("quantity", error.to_string()))
}

/// Availability of one product for a quantity.
#[utoipa::path(
    get,
    path = "/api/v1/products/{sku}/availability",
    tag = "public",
    params(
        ("sku" = inline(Sku), Path, description = "1–64 ASCII letters, digits, '-', '_' or '.'"),
        ("quantity" = Option<u32>, Query, description = "1–1000000; default 1"),
    ),
    responses(
        (status = 200, body = Availability),
        (status = 404, description = "`unknown_product`", body = ErrorBody),
        (status = 422, description = "`invalid_request` (bad SKU or quantity)", body = ErrorBody),
    )
)]
pub async fn product_availability(
    State(state): State<AppState>,
    Path(sku): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Availability>, ApiError> {
    let sku = Sku::parse(&sku)?;
    let quantity = Quantity::parse_optional(query_param(query.as_deref(), "quantity").as_deref())?;
    let product = state
        .shop
        .product(&sku)
        .await?
        .ok_or_else(|| ApiError::unknown_product(sku.as_str()))?;
    Ok(Json(availability_of(&state, &product, quantity)?))
}

/// Availability of several products at once (one widget per product card).
#[utoipa::path(
    get,
    path = "/api/v1/availability",
    tag = "public",
    params(
        ("skus" = String, Query, description = "Comma-separated SKUs, at most 100"),
        ("quantity" = Option<u32>, Query, description = "1–1000000; default 1"),
    ),
    responses(
        (status = 200, body = AvailabilityList),
        (status = 422, description = "`invalid_request` (bad SKUs or quantity)", body = ErrorBody),
    )
)]
pub async fn batch_availability(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<AvailabilityList>, ApiError> {
    let (skus, quantity) = skus_and_quantity(query.as_deref())?;
    let products = state.shop.products(skus.clone()).await?;
    let missing = skus
        .into_iter()
        .filter(|sku| !products.iter().any(|product| product.sku == *sku))
        .map(Sku::into_string)
        .collect();
    let items = products
        .into_iter()
        .map(|product| availability_of(&state, &product, quantity))
        .collect::<Result<_, _>>()?;
    Ok(Json(AvailabilityList { items, missing }))
}

/// `?skus=A,B,…&quantity=Q` of the batch and the stream.
pub(super) fn skus_and_quantity(query: Option<&str>) -> Result<(Vec<Sku>, Quantity), ApiError> {
    let quantity = Quantity::parse_optional(query_param(query, "quantity").as_deref())?;
    let skus = parse_sku_list(query_param(query, "skus").as_deref().unwrap_or(""))?;
    Ok((skus, quantity))
}

/// `skus=A,B,…`: exactly what the OpenAPI document's pattern says, 1 to 100
/// SKUs separated by single commas, nothing else. Repeats count once.
fn parse_sku_list(listed: &str) -> Result<Vec<Sku>, ApiError> {
    let entries: Vec<&str> = listed.split(',').collect();
    if listed.is_empty() || entries.len() > MAX_BATCH_SKUS {
        return Err(ApiError::invalid_field(
            "skus",
            "List 1 to 100 SKUs, separated by commas.",
        ));
    }
    let mut skus: Vec<Sku> = Vec::new();
    for text in entries {
        let sku =
            Sku::parse(text).map_err(|error| ApiError::invalid_field("skus", error.message))?;
        if !skus.contains(&sku) {
            skus.push(sku);
        }
    }
    Ok(skus)
}
