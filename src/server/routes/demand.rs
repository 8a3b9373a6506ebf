//! Demand: the sales the shop's checkout reports, and the merchant's history
//! from before. Behind `auth::require_admin`, like the rest of the admin API.

use super::admin::{AdminProduct, BulkErrorBody, BulkList, refused};
use crate::api::{ErrorBody, whole_number};
use crate::server::AppState;
use crate::server::domain::demand::{self, DemandItem, DemandRowBody, MAX_DEMAND_ROWS};
use crate::server::domain::{Actor, Quantity, Sku, ValidationError};
use crate::server::error::ApiError;
use crate::server::input::{JsonBody, from_json_value};
use crate::server::ops::OperationError;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/v1/admin/products/{sku}/sales`: a sale in the shop's checkout.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleBody {
    /// Units sold, 1 to 1,000,000.
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[schema(value_type = u32, minimum = 1, maximum = 1000000)]
    pub quantity: u64,
}

/// The shop's checkout sold units now: stock goes down, today's demand up;
/// low-stock and back-in-stock events and live widgets follow as for any
/// change. (No `Idempotency-Key`, as for receipts.)
#[utoipa::path(
    post,
    path = "/api/v1/admin/products/{sku}/sales",
    tag = "admin",
    security(("admin_token" = [])),
    params(("sku" = inline(Sku), Path)),
    request_body = SaleBody,
    responses(
        (status = 200, description = "The product after the sale", body = AdminProduct),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`unknown_product`", body = ErrorBody),
        (status = 409, description = "`insufficient_stock`: the stock holds fewer units (`max_quantity`: the stock); nothing was changed", body = ErrorBody),
        (status = 422, description = "`invalid_request` naming the field", body = ErrorBody),
    )
)]
pub async fn record_sale(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(sku): Path<String>,
    JsonBody(body): JsonBody<SaleBody>,
) -> Result<Json<AdminProduct>, ApiError> {
    let sku = Sku::parse(&sku)?;
    let quantity = Quantity::new(body.quantity)?;
    let product = state.shop.acting_for(actor).sell(sku, quantity).await?;
    Ok(Json(AdminProduct::from_product(&product)))
}

/// `PUT /api/v1/admin/demand`: the history from before.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandBody {
    /// 1 to 10 000 rows; a product's date at most once.
    #[schema(value_type = Vec<DemandRowBody>)]
    pub demand: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DemandResult {
    /// The days set.
    pub days: usize,
}

const DEMAND: BulkList = BulkList {
    field: "demand",
    items: "rows",
};

/// Set the units asked for on past days (sold, and reserved), all or
/// nothing: each day named replaces what was recorded for it (its
/// backordered units stay); stock is never touched.
#[utoipa::path(
    put,
    path = "/api/v1/admin/demand",
    tag = "admin",
    security(("admin_token" = [])),
    request_body = DemandBody,
    responses(
        (status = 200, body = DemandResult),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over 4 MiB", body = ErrorBody),
        (status = 422, description = "`invalid_request`: every bad row with its index and field (an unknown `sku`, a `date` after today, a product's date twice); nothing was changed", body = BulkErrorBody),
    )
)]
pub async fn put_demand(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    JsonBody(body): JsonBody<DemandBody>,
) -> Result<Json<DemandResult>, Response> {
    let count = body.demand.len();
    if count == 0 || count > MAX_DEMAND_ROWS {
        return Err(ApiError::invalid_field(
            "demand",
            format!("Send 1 to {MAX_DEMAND_ROWS} rows per call."),
        )
        .into_response());
    }
    let items = body
        .demand
        .into_iter()
        .enumerate()
        .map(|(index, value)| DemandItem {
            at: index as u64,
            sku: value
                .get("sku")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            read: if value.is_object() {
                from_json_value(value)
            } else {
                Err(ValidationError::new(
                    "sku",
                    "Each row is an object: sku, date and units.",
                ))
            },
        })
        .collect();
    let batch = demand::check(items, state.clock.today());
    let days = state
        .shop
        .acting_for(actor)
        .put_demand(batch, Default::default())
        .await
        .map_err(|failure| match failure {
            OperationError::InvalidItems(items) => refused(DEMAND, count, items),
            other => ApiError::from(other).into_response(),
        })?;
    Ok(Json(DemandResult { days }))
}
