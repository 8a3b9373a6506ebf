use crate::server::AppState;
use crate::server::error::STORE_UNAVAILABLE_RETRY_AFTER_SECONDS;
use crate::server::ops::DatabaseState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `GET /healthz`: readiness. `200` when this server can serve requests,
/// `503` (with `Retry-After`) while its database cannot be reached, so a load
/// balancer sends traffic elsewhere. Answered from what the server knows (the
/// change feed's connection), without a query per probe.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.shop.database_state() {
        DatabaseState::Reachable => Json(json!({
            "status": "ok",
            "live": true,
            "ready": true,
            "database": "reachable",
        }))
        .into_response(),
        DatabaseState::Unreachable => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, STORE_UNAVAILABLE_RETRY_AFTER_SECONDS)],
            Json(json!({
                "status": "unavailable",
                "live": true,
                "ready": false,
                "database": "unreachable",
            })),
        )
            .into_response(),
    }
}

/// `GET /livez`: liveness. `200` while the process serves HTTP at all, even
/// when its database is down: restarting it would not help.
pub async fn livez() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "live": true }))
}
