//! The merchant's insight: demand, safety stock, reorder points (JSON for
//! one product or all, and the list as CSV). Behind `auth::require_admin`.

use crate::api::ErrorBody;
use crate::logic::{Date, LeadTimeSource, WINDOW_DAYS};
use crate::server::AppState;
use crate::server::domain::Sku;
use crate::server::error::ApiError;
use crate::server::ops::ProductInsight;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

/// One day of a product's demand: units sold in the shop plus units
/// reserved through the widget.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DemandPoint {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub units: u32,
}

/// Where the lead time comes from.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadTimeFrom {
    /// The mean of the supplier's last 20 received purchase orders with an
    /// order date (at least 3).
    Observed,
    /// The supplier's `lead_time_days`.
    Supplier,
    /// The product's `lead_time_days`.
    Product,
}

impl LeadTimeFrom {
    /// As in the JSON.
    fn name(self) -> &'static str {
        match self {
            LeadTimeFrom::Observed => "observed",
            LeadTimeFrom::Supplier => "supplier",
            LeadTimeFrom::Product => "product",
        }
    }
}

/// A product's numbers over the last 90 full days (today excluded).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InsightView {
    pub sku: String,
    pub name: String,
    pub supplier: Option<String>,
    /// 90: the days the demand is taken over.
    pub window_days: u32,
    pub stock: u32,
    /// Units that ship now (stock − safety stock).
    pub available: u32,
    /// Units on open purchase orders.
    pub on_order: u64,
    /// Backordered units still waiting for supply.
    pub backorders_outstanding: u64,
    /// μ: mean units a day.
    pub daily_demand_mean: f64,
    /// σ: sample standard deviation of the daily units.
    pub daily_demand_sd: f64,
    /// L in days.
    pub lead_time_days: f64,
    pub lead_time_source: LeadTimeFrom,
    /// σ_L (0 unless observed).
    pub lead_time_sd: f64,
    /// The product's service level (0.5–0.999).
    pub service_level: f64,
    /// The standard normal quantile of the service level.
    pub z: f64,
    /// The suggested safety stock: ceil(z · √(L·σ² + μ²·σ_L²)).
    pub safety_stock: u32,
    /// The safety stock the product holds now (its setting).
    pub safety_stock_setting: u32,
    /// ceil(μ·L) + safety stock.
    pub reorder_point: u32,
    /// stock + on order − backorders outstanding.
    pub position: i64,
    /// position ≤ reorder point.
    pub reorder_needed: bool,
    /// When needed: reorder point + ceil(30·μ) − position; else 0.
    pub suggested_order_quantity: u32,
    /// floor(available / μ); null without demand.
    pub days_of_cover: Option<u32>,
    /// Backordered units placed ÷ demand units over the window; null without demand.
    pub backorder_rate: Option<f64>,
    /// One product's view only: the 90 days, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand: Option<Vec<DemandPoint>>,
}

impl InsightView {
    fn of(item: &ProductInsight, with_demand: bool) -> InsightView {
        let numbers = &item.numbers;
        InsightView {
            sku: item.sku.to_string(),
            name: item.name.clone(),
            supplier: item.supplier.as_ref().map(ToString::to_string),
            window_days: WINDOW_DAYS as u32,
            stock: item.stock,
            available: item.available,
            on_order: item.on_order,
            backorders_outstanding: item.backorders_outstanding,
            daily_demand_mean: numbers.daily_demand_mean,
            daily_demand_sd: numbers.daily_demand_sd,
            lead_time_days: numbers.lead_time_days,
            lead_time_source: match numbers.lead_time_source {
                LeadTimeSource::Observed => LeadTimeFrom::Observed,
                LeadTimeSource::Supplier => LeadTimeFrom::Supplier,
                LeadTimeSource::Product => LeadTimeFrom::Product,
            },
            lead_time_sd: numbers.lead_time_sd,
            service_level: numbers.service_level,
            z: numbers.z,
            safety_stock: numbers.safety_stock,
            safety_stock_setting: item.safety_stock_setting,
            reorder_point: numbers.reorder_point,
            position: numbers.position,
            reorder_needed: numbers.reorder_needed,
            suggested_order_quantity: numbers.suggested_order_quantity,
            days_of_cover: numbers.days_of_cover,
            backorder_rate: numbers.backorder_rate,
            demand: with_demand.then(|| {
                item.demand
                    .iter()
                    .map(|&(date, units)| DemandPoint { date, units })
                    .collect()
            }),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InsightList {
    pub window_days: u32,
    /// Every product: reorder needed first, then fewest days of cover
    /// (without demand: last), then by SKU. Without `demand`.
    pub products: Vec<InsightView>,
}

/// One product's demand over the last 90 days and what follows from it.
#[utoipa::path(
    get,
    path = "/api/v1/admin/products/{sku}/insight",
    tag = "admin",
    security(("admin_token" = [])),
    params(("sku" = inline(Sku), Path)),
    responses(
        (status = 200, description = "The numbers and the 90 days of demand", body = InsightView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
        (status = 404, description = "`unknown_product`", body = ErrorBody),
    )
)]
pub async fn product_insight(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<InsightView>, ApiError> {
    let sku = Sku::parse(&sku)?;
    let found = state.shop.insight(sku.clone()).await?;
    let item = found.ok_or_else(|| ApiError::unknown_product(sku.as_str()))?;
    Ok(Json(InsightView::of(&item, true)))
}

/// Every product's numbers, the reorder list first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/insight",
    tag = "admin",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Reorder needed first, then fewest days of cover", body = InsightList),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
    )
)]
pub async fn list_insight(State(state): State<AppState>) -> Result<Json<InsightList>, ApiError> {
    let items = state.shop.insights().await?;
    Ok(Json(InsightList {
        window_days: WINDOW_DAYS as u32,
        products: items
            .iter()
            .map(|item| InsightView::of(item, false))
            .collect(),
    }))
}

/// The CSV's columns, in order (the JSON's fields without `demand`).
const CSV_HEADER: [&str; 23] = [
    "sku",
    "name",
    "supplier",
    "reorder_needed",
    "suggested_order_quantity",
    "position",
    "reorder_point",
    "safety_stock",
    "safety_stock_setting",
    "days_of_cover",
    "backorder_rate",
    "daily_demand_mean",
    "daily_demand_sd",
    "lead_time_days",
    "lead_time_source",
    "lead_time_sd",
    "service_level",
    "z",
    "stock",
    "available",
    "on_order",
    "backorders_outstanding",
    "window_days",
];

fn csv_row(view: &InsightView) -> [String; 23] {
    let optional = |value: Option<String>| value.unwrap_or_default();
    [
        view.sku.clone(),
        view.name.clone(),
        optional(view.supplier.clone()),
        view.reorder_needed.to_string(),
        view.suggested_order_quantity.to_string(),
        view.position.to_string(),
        view.reorder_point.to_string(),
        view.safety_stock.to_string(),
        view.safety_stock_setting.to_string(),
        optional(view.days_of_cover.map(|days| days.to_string())),
        optional(view.backorder_rate.map(|rate| format!("{rate:.4}"))),
        format!("{:.4}", view.daily_demand_mean),
        format!("{:.4}", view.daily_demand_sd),
        format!("{:.2}", view.lead_time_days),
        view.lead_time_source.name().to_owned(),
        format!("{:.2}", view.lead_time_sd),
        view.service_level.to_string(),
        format!("{:.4}", view.z),
        view.stock.to_string(),
        view.available.to_string(),
        view.on_order.to_string(),
        view.backorders_outstanding.to_string(),
        view.window_days.to_string(),
    ]
}

/// The list as CSV (for a spreadsheet or a purchasing system), in the same order.
#[utoipa::path(
    get,
    path = "/api/v1/admin/insight.csv",
    tag = "admin",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "A header line, then one line per product", content_type = "text/csv", body = String),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
    )
)]
pub async fn insight_csv(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let items = state.shop.insights().await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write = |writer: &mut csv::Writer<Vec<u8>>, record: &[String]| {
        writer
            .write_record(record)
            .map_err(|error| ApiError::internal(format!("writing the CSV: {error}")))
    };
    let header: Vec<String> = CSV_HEADER.iter().map(|&name| name.to_owned()).collect();
    write(&mut writer, &header)?;
    for item in &items {
        write(&mut writer, &csv_row(&InsightView::of(item, false)))?;
    }
    let body = writer
        .into_inner()
        .map_err(|error| ApiError::internal(format!("writing the CSV: {error}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"insight.csv\"",
            ),
        ],
        body,
    ))
}
