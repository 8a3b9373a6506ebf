//! The merchant's suppliers: settings, and how reliably each delivers.
//! Behind `auth::require_admin`, like the rest of the admin API.

use crate::api::ErrorBody;
use crate::server::AppState;
use crate::server::domain::{Actor, Reliability, Supplier, SupplierBody, SupplierId};
use crate::server::error::ApiError;
use crate::server::input::JsonBody;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A supplier, with its record of deliveries.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SupplierView {
    pub id: String,
    pub name: String,
    /// Days from ordering to delivery: for units no open purchase order
    /// covers, of every product it supplies.
    pub lead_time_days: u32,
    /// Over its last 20 received purchase orders (the first receipt of each).
    pub reliability: Reliability,
}

impl SupplierView {
    fn from_supplier(supplier: &Supplier) -> SupplierView {
        SupplierView {
            id: supplier.id.to_string(),
            name: supplier.settings.name.clone(),
            lead_time_days: supplier.settings.lead_time_days,
            reliability: Reliability::from_record(&supplier.record),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SupplierList {
    /// By id.
    pub suppliers: Vec<SupplierView>,
}

/// Create a supplier or replace its settings; its record stays, and every
/// product it supplies shows its new lead time at once.
#[utoipa::path(
    put,
    path = "/api/v1/admin/suppliers/{id}",
    tag = "admin",
    security(("admin_token" = [])),
    params(("id" = inline(SupplierId), Path)),
    request_body = SupplierBody,
    responses(
        (status = 200, description = "Replaced", body = SupplierView),
        (status = 201, description = "Created", body = SupplierView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
        (status = 422, description = "`invalid_request` naming the field", body = ErrorBody),
    )
)]
pub async fn put_supplier(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SupplierBody>,
) -> Result<(StatusCode, Json<SupplierView>), ApiError> {
    let id = SupplierId::parse(&id, "id")?;
    let settings = body.validate()?;
    let (supplier, created) = state
        .shop
        .acting_for(actor)
        .put_supplier(id, settings)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(SupplierView::from_supplier(&supplier))))
}

/// Every supplier, by id.
#[utoipa::path(
    get,
    path = "/api/v1/admin/suppliers",
    tag = "admin",
    security(("admin_token" = [])),
    responses(
        (status = 200, body = SupplierList),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
    )
)]
pub async fn list_suppliers(State(state): State<AppState>) -> Result<Json<SupplierList>, ApiError> {
    let suppliers = state.shop.suppliers().await?;
    Ok(Json(SupplierList {
        suppliers: suppliers.iter().map(SupplierView::from_supplier).collect(),
    }))
}

/// One supplier.
#[utoipa::path(
    get,
    path = "/api/v1/admin/suppliers/{id}",
    tag = "admin",
    security(("admin_token" = [])),
    params(("id" = inline(SupplierId), Path)),
    responses(
        (status = 200, body = SupplierView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
        (status = 404, description = "`unknown_supplier`", body = ErrorBody),
    )
)]
pub async fn get_supplier(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SupplierView>, ApiError> {
    let id = SupplierId::parse(&id, "id")?;
    let supplier = state
        .shop
        .supplier(id)
        .await?
        .ok_or_else(ApiError::unknown_supplier)?;
    Ok(Json(SupplierView::from_supplier(&supplier)))
}
