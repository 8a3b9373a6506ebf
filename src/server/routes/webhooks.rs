//! The merchant's webhook endpoints: register, list, remove, and see what
//! was delivered. Behind `auth::require_admin`.

use crate::api::ErrorBody;
use crate::server::AppState;
use crate::server::clock::rfc3339;
use crate::server::domain::{Actor, Attempt, EndpointId, EndpointState, EventType, WebhookUrl};
use crate::server::error::ApiError;
use crate::server::input::JsonBody;
use crate::server::ops::EndpointError;
use crate::server::webhooks::signing::new_secret;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Attempts `GET …/deliveries` shows.
pub const DELIVERIES_SHOWN: u32 = 50;

/// `POST /api/v1/admin/webhooks`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// An `https://` (or `http://`) URL, at most 2048 characters; see the pattern.
    #[schema(example = "https://shop.example/hooks/stock")]
    pub url: String,
    /// The types to send; omitted = all, including types added later.
    #[serde(default)]
    pub events: Option<Vec<EventType>>,
}

/// A new endpoint, with its signing secret: shown this once.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookCreated {
    pub id: String,
    pub url: String,
    pub events: Vec<EventType>,
    /// `whsec_<base64>`: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<EventType>,
    pub created_at: String,
    /// Disabled endpoints get nothing (the receiver answered `410 Gone`).
    pub disabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Deliveries not made yet.
    pub pending: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

/// One attempt to deliver one event.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryAttempt {
    /// `webhook-id`: the same on every attempt of one event.
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// 1 for the first.
    pub attempt: u32,
    pub attempted_at: String,
    /// The receiver's status; absent when it did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `delivered`, `retrying`, `failed` (given up after 3 days) or `gone` (410: endpoint disabled).
    pub outcome: String,
    /// When it is tried again (`retrying` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_retry_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryLog {
    pub webhook: Webhook,
    /// Newest first, at most 50.
    pub deliveries: Vec<DeliveryAttempt>,
}

fn all_or(events: &Option<Vec<EventType>>) -> Vec<EventType> {
    events.clone().unwrap_or_else(|| EventType::ALL.to_vec())
}

fn webhook(state: EndpointState) -> Webhook {
    let endpoint = state.endpoint;
    Webhook {
        events: all_or(&endpoint.events),
        id: endpoint.id.into_string(),
        url: endpoint.url,
        created_at: endpoint.created_at,
        disabled: endpoint.disabled.is_some(),
        disabled_at: endpoint
            .disabled
            .as_ref()
            .map(|disabled| disabled.at.clone()),
        disabled_reason: endpoint.disabled.map(|disabled| disabled.reason),
        pending: state.pending,
    }
}

fn attempt(attempt: Attempt) -> DeliveryAttempt {
    DeliveryAttempt {
        event_id: attempt.event_id,
        event_type: attempt.event_type,
        attempt: attempt.attempt,
        attempted_at: rfc3339(attempt.attempted_ms.div_euclid(1000)),
        status_code: attempt.status_code,
        error: attempt.error,
        outcome: attempt.outcome.name().to_owned(),
        next_retry_at: attempt.next_retry_ms.map(|ms| rfc3339(ms.div_euclid(1000))),
    }
}

/// Register an endpoint. Events written from now on are delivered to it,
/// signed with the secret in the answer.
///
/// Webhooks go to public addresses only. A URL whose host is a non-public
/// address — loopback (`127.0.0.0/8`, `::1`), private (RFC 1918,
/// `fc00::/7`), link-local (`169.254.0.0/16` with the metadata address
/// 169.254.169.254, `fe80::/10`), unspecified, broadcast, multicast or
/// carrier-grade NAT (`100.64.0.0/10`) — is refused here (`422` naming
/// `url`). A host name is taken and resolved at every send: one that
/// resolves only to such addresses is not sent to, and the attempt's `error`
/// in the deliveries log says so (it is retried like a failed connection).
/// A server started with `--allow-private-webhooks` (local development and
/// tests) lifts the rule.
#[utoipa::path(
    post,
    path = "/api/v1/admin/webhooks",
    tag = "admin",
    security(("admin_token" = [])),
    request_body = WebhookRequest,
    responses(
        (status = 201, body = WebhookCreated),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
        (status = 409, description = "`too_many_webhooks`: 20 at most", body = ErrorBody),
        (status = 422, description = "`invalid_request` naming the field; also a `url` whose host is a non-public address (see above)", body = ErrorBody),
    )
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    JsonBody(body): JsonBody<WebhookRequest>,
) -> Result<(StatusCode, Json<WebhookCreated>), ApiError> {
    let url = WebhookUrl::parse(&body.url)?;
    state.outbound.check_registration(&url)?;
    let events = match body.events {
        Some(events) if events.is_empty() => {
            return Err(ApiError::invalid_field(
                "events",
                "Name at least one event type, or leave events out for all of them.",
            ));
        }
        Some(events) => {
            // Each type once, in the order given.
            let mut unique = Vec::with_capacity(events.len());
            for kind in events {
                if !unique.contains(&kind) {
                    unique.push(kind);
                }
            }
            Some(unique)
        }
        None => None,
    };
    let secret = new_secret().map_err(ApiError::internal)?;
    let endpoint = state
        .shop
        .acting_for(actor)
        .add_endpoint(url, events, secret, state.clock.now_rfc3339())
        .await
        .map_err(|error| match error {
            EndpointError::TooMany { limit } => ApiError::too_many_webhooks(limit),
            EndpointError::Store(failure) => ApiError::from(failure),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated {
            events: all_or(&endpoint.events),
            id: endpoint.id.into_string(),
            url: endpoint.url,
            secret: endpoint.secret,
            created_at: endpoint.created_at,
        }),
    ))
}

/// Every endpoint (without secrets).
#[utoipa::path(
    get,
    path = "/api/v1/admin/webhooks",
    tag = "admin",
    security(("admin_token" = [])),
    responses(
        (status = 200, body = WebhookList),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
    )
)]
pub async fn list_webhooks(State(state): State<AppState>) -> Result<Json<WebhookList>, ApiError> {
    let endpoints = state.shop.endpoints().await?;
    Ok(Json(WebhookList {
        webhooks: endpoints.into_iter().map(webhook).collect(),
    }))
}

/// Remove an endpoint; what was not delivered to it yet never will be.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/webhooks/{id}",
    tag = "admin",
    security(("admin_token" = [])),
    params(("id" = inline(EndpointId), Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
        (status = 404, description = "`unknown_webhook`", body = ErrorBody),
    )
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = EndpointId::parse(&id).ok_or_else(ApiError::unknown_webhook)?;
    if state.shop.acting_for(actor).remove_endpoint(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::unknown_webhook())
    }
}

/// The endpoint's latest delivery attempts: status code, time, next retry.
#[utoipa::path(
    get,
    path = "/api/v1/admin/webhooks/{id}/deliveries",
    tag = "admin",
    security(("admin_token" = [])),
    params(("id" = inline(EndpointId), Path)),
    responses(
        (status = 200, body = DeliveryLog),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
        (status = 404, description = "`unknown_webhook`", body = ErrorBody),
    )
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DeliveryLog>, ApiError> {
    let id = EndpointId::parse(&id).ok_or_else(ApiError::unknown_webhook)?;
    let (endpoint, attempts) = state
        .shop
        .attempts_of(id, DELIVERIES_SHOWN)
        .await?
        .ok_or_else(ApiError::unknown_webhook)?;
    Ok(Json(DeliveryLog {
        webhook: webhook(endpoint),
        deliveries: attempts.into_iter().map(attempt).collect(),
    }))
}
