//! One module per resource, with its handlers and their request and response
//! types; this module wires them to paths.

pub(crate) mod admin;
mod audit;
mod availability;
mod cancel_page;
mod cancel_words;
mod demand;
mod health;
mod insight;
pub(crate) mod mail;
pub mod openapi;
mod page;
mod reservations;
mod stream;
mod subscription_page;
mod subscription_words;
mod subscriptions;
mod suppliers;
mod webhooks;

use super::AppState;
use super::auth::require_admin;
use super::error::ApiError;
use super::rate_limit::{WriteLimitConfig, layer as limit_writes};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::routing::{delete, get, post, put};
use tower::Layer;
use tower_http::cors::CorsLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest request body the API reads; its bodies are a few fields.
pub const MAX_BODY_BYTES: usize = 4 * 1024;
/// The bulk writes: 1 000 products with their purchase orders, 10 000 days of demand.
pub const MAX_BULK_BODY_BYTES: usize = 4 * 1024 * 1024;

/// `/api/v1`: the public API (with CORS for the allowed origins) and the admin
/// API (bearer token, no CORS: browsers on other origins cannot call it).
///
/// The layers every route shares wrap the routers as services (`layer(router)`)
/// instead of `Router::layer`: that boxes every route once per layer, and a
/// request clones the whole chain of boxes at each level (quadratic in the
/// depth: a fifth of the CPU a reservation cost in the HTTP stack).
pub fn api_router(state: &AppState, cors: CorsLayer, writes: Option<&WriteLimitConfig>) -> Router {
    // Placing and cancelling are limited per client address; reads are not.
    let limited = || limit_writes(writes);
    let public = Router::new()
        .route(
            "/products/{sku}/availability",
            get(availability::product_availability),
        )
        .route("/availability", get(availability::batch_availability))
        .route("/availability/stream", get(stream::availability_stream))
        .route(
            "/products/{sku}/reservations",
            post(reservations::create_reservation.layer(limited())),
        )
        .route(
            "/reservations/{id}",
            get(reservations::get_reservation)
                .delete(reservations::cancel_reservation.layer(limited())),
        )
        .route(
            "/products/{sku}/subscriptions",
            post(subscriptions::subscribe.layer(limited())),
        )
        .route(
            "/subscriptions/{token}",
            delete(subscriptions::unsubscribe.layer(limited())),
        )
        .route("/openapi.json", get(openapi::openapi_json))
        .fallback(|| async { ApiError::route_not_found() })
        .with_state(state.clone());
    let admin = Router::new()
        .route(
            "/admin/products",
            put(admin::put_products).layer(DefaultBodyLimit::max(MAX_BULK_BODY_BYTES)),
        )
        .route(
            "/admin/products/{sku}",
            get(admin::get_product).put(admin::put_product),
        )
        .route(
            "/admin/products/{sku}/receipts",
            post(admin::record_receipt),
        )
        .route("/admin/products/{sku}/sales", post(demand::record_sale))
        .route(
            "/admin/demand",
            put(demand::put_demand).layer(DefaultBodyLimit::max(MAX_BULK_BODY_BYTES)),
        )
        .route("/admin/products/{sku}/reservations", get(admin::list_queue))
        .route("/admin/insight", get(insight::list_insight))
        .route("/admin/insight.csv", get(insight::insight_csv))
        .route(
            "/admin/products/{sku}/insight",
            get(insight::product_insight),
        )
        .route("/admin/suppliers", get(suppliers::list_suppliers))
        .route(
            "/admin/suppliers/{id}",
            get(suppliers::get_supplier).put(suppliers::put_supplier),
        )
        .route(
            "/admin/webhooks",
            post(webhooks::create_webhook).get(webhooks::list_webhooks),
        )
        .route("/admin/webhooks/{id}", delete(webhooks::delete_webhook))
        .route(
            "/admin/webhooks/{id}/deliveries",
            get(webhooks::list_deliveries),
        )
        .route("/admin/mail", get(mail::list_mail))
        .route("/admin/audit", get(audit::list_audit))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_admin))
        .with_state(state.clone());
    // Availability changes with every reservation, and the widget asks again
    // right after its own: no cache may answer for the server. (CDN-level
    // caching of a busy product is a deployment choice, not the default.)
    let api = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .service(admin.fallback_service(cors.layer(public)));
    Router::new().fallback_service(api)
}

/// The pages shoppers open from their e-mails (HTML, outside `/api/v1`):
/// the one-click cancel, a subscription's confirmation and its unsubscribe,
/// their `POST`s limited per address like the API's writes.
pub fn pages_router(writes: Option<&WriteLimitConfig>) -> Router<AppState> {
    let limited = limit_writes(writes);
    Router::new()
        .route(
            "/reservations/{id}/cancel",
            get(cancel_page::show).post(cancel_page::cancel.layer(limited.clone())),
        )
        .route(
            "/subscriptions/{token}/confirm",
            get(subscription_page::show_confirm)
                .post(subscription_page::confirm.layer(limited.clone())),
        )
        .route(
            "/subscriptions/{token}/unsubscribe",
            get(subscription_page::show_unsubscribe)
                .post(subscription_page::unsubscribe.layer(limited)),
        )
}

pub fn health_router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/livez", get(health::livez))
}
