//! The merchant's API: settings, receipts, the backorder queue. Behind
//! `auth::require_admin`, never exposed cross-origin.

use crate::api::{ErrorBody, ReservationStatus, whole_number};
use crate::logic::{BackorderPolicy, Date, Status};
use crate::server::AppState;
use crate::server::domain::catalog::{self, Item, ItemError, MAX_BULK_PRODUCTS};
use crate::server::domain::{
    Actor, Product, ProductSettingsBody, PurchaseOrderId, PurchaseOrderLine, ReceiptRequest, Sku,
    ValidationError,
};
use crate::server::error::ApiError;
use crate::server::input::{JsonBody, from_json_value};
use crate::server::ops::OperationError;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A product's settings and what they mean right now.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminProduct {
    pub sku: String,
    pub name: String,
    pub stock: u32,
    pub safety_stock: u32,
    pub low_stock_threshold: u32,
    #[schema(value_type = String, example = "allow")]
    pub backorders: BackorderPolicy,
    pub backorder_limit: Option<u32>,
    pub lead_time_days: u32,
    /// Open purchase orders by `eta`.
    pub incoming: Vec<PurchaseOrderView>,
    #[schema(value_type = String, example = "in_stock")]
    pub status: Status,
    pub available: u32,
    pub low_stock: bool,
    /// Units waiting in the backorder queue.
    pub queued: u64,
    /// null = unlimited.
    pub max_quantity: Option<u32>,
    /// Most units one e-mail address may hold on backorder; null = no cap.
    pub max_per_customer: Option<u32>,
    /// The supplier's id; null = none.
    pub supplier: Option<String>,
    /// The chance its safety stock aims for of not running out during a lead time.
    pub service_level: f64,
}

/// An open purchase order.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PurchaseOrderView {
    /// Units still to come.
    pub quantity: u32,
    #[schema(value_type = String, format = Date)]
    pub eta: Date,
    /// The merchant's number, or the `po_…` one made for it.
    pub id: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub ordered_on: Option<Date>,
    /// The day its first units arrived; null = none yet.
    #[schema(value_type = Option<String>, format = Date)]
    pub received_on: Option<Date>,
}

impl AdminProduct {
    pub(super) fn from_product(product: &Product) -> AdminProduct {
        let inventory = &product.inventory;
        AdminProduct {
            status: inventory.status(),
            available: inventory.available(),
            low_stock: inventory.is_low_stock(),
            queued: inventory.queued(),
            max_quantity: inventory.max_quantity(),
            incoming: by_eta(&product.orders)
                .into_iter()
                .map(|order| PurchaseOrderView {
                    quantity: order.quantity,
                    eta: order.eta,
                    id: order.id.to_string(),
                    ordered_on: order.ordered_on,
                    received_on: order.received_on,
                })
                .collect(),
            supplier: product.supplier.as_ref().map(ToString::to_string),
            service_level: product.service_level.value(),
            stock: inventory.stock,
            safety_stock: inventory.safety_stock,
            low_stock_threshold: inventory.low_stock_threshold,
            backorders: inventory.backorders,
            backorder_limit: inventory.backorder_limit,
            lead_time_days: product.lead_time_days,
            max_per_customer: product.max_per_customer,
            name: product.name.clone(),
            sku: product.sku.to_string(),
        }
    }
}

/// Open orders by `eta`; orders due the same day keep their order.
fn by_eta(orders: &[PurchaseOrderLine]) -> Vec<&PurchaseOrderLine> {
    let mut sorted: Vec<&PurchaseOrderLine> = orders.iter().collect();
    sorted.sort_by_key(|order| order.eta);
    sorted
}

/// Create a product or replace its settings; its reservations and queue stay.
#[utoipa::path(
    put,
    path = "/api/v1/admin/products/{sku}",
    tag = "admin",
    security(("admin_token" = [])),
    params(("sku" = inline(Sku), Path)),
    request_body = ProductSettingsBody,
    responses(
        (status = 200, body = AdminProduct),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
        (status = 422, description = "`invalid_request` naming the field (`supplier`: no supplier has this id)", body = ErrorBody),
    )
)]
pub async fn put_product(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(sku): Path<String>,
    JsonBody(body): JsonBody<ProductSettingsBody>,
) -> Result<Json<AdminProduct>, ApiError> {
    let sku = Sku::parse(&sku)?;
    let settings = body.validate()?;
    let product = state
        .shop
        .acting_for(actor)
        .put_product(sku, settings)
        .await?;
    Ok(Json(AdminProduct::from_product(&product)))
}

/// `PUT /api/v1/admin/products`: many products at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkProductsBody {
    /// 1 to 1000 items, each `sku` and the single `PUT`'s fields; a SKU at most once.
    #[schema(value_type = Vec<BulkProductItem>)]
    pub products: Vec<serde_json::Value>,
}

/// One item of a bulk write: `sku` and the single `PUT`'s fields (the
/// document spells the schema out; see `openapi.rs`).
#[derive(ToSchema)]
pub struct BulkProductItem {
    #[allow(dead_code)]
    sku: String,
}

/// What a bulk write did, SKUs in order.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BulkResult {
    pub created: Vec<String>,
    pub updated: Vec<String>,
}

/// `422` for a bulk write: every bad item.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BulkErrorBody {
    pub error: BulkErrorDetail,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BulkErrorDetail {
    /// `invalid_request`
    pub code: String,
    pub message: String,
    /// The first bad item's field, as `products[3].stock` (`demand[3].units`).
    pub field: String,
    /// Every bad item (`at`: its index in `products`, or `demand`); absent
    /// when the request as a whole is refused (no items, too many).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemError>>,
}

/// Create or replace many products' settings, all or nothing.
#[utoipa::path(
    put,
    path = "/api/v1/admin/products",
    tag = "admin",
    security(("admin_token" = [])),
    request_body = BulkProductsBody,
    responses(
        (status = 200, body = BulkResult),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over 4 MiB", body = ErrorBody),
        (status = 422, description = "`invalid_request`: every bad item with its index and field; nothing was changed", body = BulkErrorBody),
    )
)]
pub async fn put_products(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    JsonBody(body): JsonBody<BulkProductsBody>,
) -> Result<Json<BulkResult>, Response> {
    let count = body.products.len();
    if count == 0 || count > MAX_BULK_PRODUCTS {
        return Err(ApiError::invalid_field(
            "products",
            format!("Send 1 to {MAX_BULK_PRODUCTS} products per call."),
        )
        .into_response());
    }
    let items = body
        .products
        .into_iter()
        .enumerate()
        .map(|(index, mut value)| {
            let sku = match value.as_object_mut().map(|item| item.remove("sku")) {
                Some(Some(serde_json::Value::String(sku))) => Ok(sku),
                Some(Some(_)) => Err(ValidationError::new("sku", "The SKU is a string.")),
                Some(None) => Err(ValidationError::new("sku", "The SKU is required.")),
                None => Err(ValidationError::new(
                    "sku",
                    "Each product is an object: sku, name, stock and the other settings.",
                )),
            };
            Item {
                at: index as u64,
                sku,
                read: from_json_value(value),
            }
        })
        .collect();
    let products = catalog::check(items).map_err(|items| refused(PRODUCTS, count, items))?;
    let at: Vec<u64> = (0..products.len() as u64).collect();
    let outcome = state
        .shop
        .acting_for(actor)
        .put_products(products.clone(), Default::default())
        .await
        .map_err(|failure| match failure {
            OperationError::UnknownSupplier { skus } => refused(
                PRODUCTS,
                count,
                catalog::unknown_supplier(&products, &at, &skus),
            ),
            other => ApiError::from(other).into_response(),
        })?;
    Ok(Json(BulkResult {
        created: outcome.created,
        updated: outcome.updated,
    }))
}

/// A bulk write's list: its field in the body, and what its items are.
pub(super) struct BulkList {
    pub field: &'static str,
    pub items: &'static str,
}

const PRODUCTS: BulkList = BulkList {
    field: "products",
    items: "products",
};

/// The 422 of a bulk write: `items` (at least one) of the `count` in `list` are bad.
pub(super) fn refused(list: BulkList, count: usize, items: Vec<ItemError>) -> Response {
    let Some(first) = items.first() else {
        return ApiError::internal("a bulk write refused without a bad item").into_response();
    };
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(BulkErrorBody {
            error: BulkErrorDetail {
                code: "invalid_request".into(),
                message: format!(
                    "{} of {count} {} are invalid; nothing was changed.",
                    items.len(),
                    list.items
                ),
                field: format!("{}[{}].{}", list.field, first.at, first.field),
                items: Some(items),
            },
        }),
    )
        .into_response()
}

/// `GET` the same view without changing anything.
#[utoipa::path(
    get,
    path = "/api/v1/admin/products/{sku}",
    tag = "admin",
    security(("admin_token" = [])),
    params(("sku" = inline(Sku), Path)),
    responses(
        (status = 200, body = AdminProduct),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`unknown_product`", body = ErrorBody),
    )
)]
pub async fn get_product(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<AdminProduct>, ApiError> {
    let sku = Sku::parse(&sku)?;
    let product = state
        .shop
        .product(&sku)
        .await?
        .ok_or_else(|| ApiError::unknown_product(sku.as_str()))?;
    Ok(Json(AdminProduct::from_product(&product)))
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    /// Units that arrived, at least 1.
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub quantity: u32,
    /// The id of the open purchase order they came with: it is reduced
    /// first. Without one, the earliest open order is.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$", min_length = 1, max_length = 64)]
    pub purchase_order: Option<String>,
    /// `YYYY-MM-DD`; default today. The first receipt of a purchase order
    /// puts `received_on − eta` on its supplier's record.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub received_on: Option<Date>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FilledReservation {
    pub id: String,
    /// Units this receipt gave it.
    pub units: u32,
    /// Units it still waits for.
    pub outstanding: u32,
    pub status: ReservationStatus,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceiptResult {
    pub sku: String,
    pub received: u32,
    /// First come, first served.
    pub filled: Vec<FilledReservation>,
    /// Units left after the queue, added to stock.
    pub to_stock: u32,
    /// Stock after the receipt.
    pub stock: u32,
}

/// Record arriving stock: it fills the backorder queue first come first served, the rest goes to stock.
#[utoipa::path(
    post,
    path = "/api/v1/admin/products/{sku}/receipts",
    tag = "admin",
    security(("admin_token" = [])),
    params(("sku" = inline(Sku), Path)),
    request_body = ReceiptBody,
    responses(
        (status = 200, body = ReceiptResult),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`unknown_product`", body = ErrorBody),
        (status = 422, description = "`invalid_request` naming the field (`purchase_order`: the product has no open order with this id)", body = ErrorBody),
    )
)]
pub async fn record_receipt(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(sku): Path<String>,
    JsonBody(body): JsonBody<ReceiptBody>,
) -> Result<Json<ReceiptResult>, ApiError> {
    let sku = Sku::parse(&sku)?;
    if body.quantity == 0 {
        return Err(ApiError::invalid_field(
            "quantity",
            "A receipt has a quantity of at least 1.",
        ));
    }
    let purchase_order = body
        .purchase_order
        .as_deref()
        .map(|text| PurchaseOrderId::parse(text, "purchase_order"))
        .transpose()?;
    let request = ReceiptRequest {
        units: body.quantity,
        purchase_order,
        received_on: body.received_on.unwrap_or_else(|| state.clock.today()),
    };
    let outcome = state
        .shop
        .acting_for(actor)
        .receive(sku.clone(), request)
        .await?;
    Ok(Json(ReceiptResult {
        sku: sku.as_str().to_owned(),
        received: body.quantity,
        filled: outcome
            .filled
            .into_iter()
            .map(|(record, units)| FilledReservation {
                units,
                outstanding: record.outstanding(),
                status: record.status(),
                id: record.id.into_string(),
            })
            .collect(),
        to_stock: outcome.to_stock,
        stock: outcome.stock,
    }))
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct QueuedReservationView {
    pub id: String,
    /// Queue positions of its first and last waiting unit (1-based).
    pub first_position: u64,
    pub last_position: u64,
    pub quantity: u32,
    pub from_stock: u32,
    pub filled: u32,
    pub outstanding: u32,
    /// In full: the merchant needs it to keep the shopper informed.
    pub email: String,
    pub created_at: String,
    #[schema(value_type = String, format = Date)]
    pub ship_date: Date,
    pub ships_in_days: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueView {
    pub sku: String,
    /// Units waiting in all.
    pub queued: u64,
    /// In queue order.
    pub reservations: Vec<QueuedReservationView>,
}

/// The backorder queue in order, with each reservation's current ship estimate.
#[utoipa::path(
    get,
    path = "/api/v1/admin/products/{sku}/reservations",
    tag = "admin",
    security(("admin_token" = [])),
    params(("sku" = inline(Sku), Path)),
    responses(
        (status = 200, body = QueueView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`unknown_product`", body = ErrorBody),
    )
)]
pub async fn list_queue(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<QueueView>, ApiError> {
    let sku = Sku::parse(&sku)?;
    let queue = state
        .shop
        .queue(sku.clone(), state.clock.today())
        .await?
        .ok_or_else(|| ApiError::unknown_product(sku.as_str()))?;
    let reservations: Vec<QueuedReservationView> = queue
        .into_iter()
        .map(|queued| QueuedReservationView {
            first_position: queued.estimate.first_position,
            last_position: queued.estimate.last_position,
            quantity: queued.record.quantity,
            from_stock: queued.record.from_stock,
            filled: queued.record.filled,
            outstanding: queued.estimate.outstanding,
            ship_date: queued.estimate.ship_date,
            ships_in_days: queued.estimate.ships_in_days,
            id: queued.record.id.into_string(),
            email: queued.record.email.as_str().to_owned(),
            created_at: queued.record.created_at,
        })
        .collect();
    Ok(Json(QueueView {
        sku: sku.as_str().to_owned(),
        queued: reservations.iter().map(|r| r.outstanding as u64).sum(),
        reservations,
    }))
}
