//! One handler per file; `router` wires them to paths.

mod availability;
mod health;

use super::AppState;
use axum::Router;
use axum::routing::get;

pub fn api_router() -> Router<AppState> {
    Router::new().route(
        "/products/{sku}/availability",
        get(availability::product_availability),
    )
}

pub fn health_router() -> Router<AppState> {
    Router::new().route("/healthz", get(health::healthz))
}
