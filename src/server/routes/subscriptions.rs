//! "Email me when it's back": the shopper's side. The e-mail itself is the
//! merchant's: the server writes `subscription.*` webhook events.

use crate::api::{ErrorBody, SubscriptionConfirmation, SubscriptionRequest};
use crate::server::AppState;
use crate::server::domain::{Email, Lang, Sku, SubscriptionToken};
use crate::server::error::ApiError;
use crate::server::input::JsonBody;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Subscribe to a product that ships nothing now: when it is back, the
/// merchant's endpoints get one `subscription.notify` for this address.
/// When the server mails shoppers, the address first gets a confirmation
/// mail, and the subscription is `confirmed` once its link is followed.
#[utoipa::path(
    post,
    path = "/api/v1/products/{sku}/subscriptions",
    tag = "public",
    params(("sku" = inline(Sku), Path)),
    request_body = SubscriptionRequest,
    responses(
        (status = 201, description = "Subscribed", body = SubscriptionConfirmation),
        (status = 200, description = "Already subscribed (one subscription per product and address, case aside)", body = SubscriptionConfirmation),
        (status = 404, description = "`unknown_product`", body = ErrorBody),
        (status = 409, description = "`in_stock`: it ships now; or `too_many_subscriptions`: the product has 10 000 subscribers", body = ErrorBody),
        (status = 422, description = "`invalid_request` naming the field", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many writes from this address; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until this address may write again"))),
    )
)]
pub async fn subscribe(
    State(state): State<AppState>,
    Path(sku): Path<String>,
    JsonBody(body): JsonBody<SubscriptionRequest>,
) -> Result<(StatusCode, Json<SubscriptionConfirmation>), ApiError> {
    let sku = Sku::parse(&sku)?;
    let email = Email::parse(&body.email)?;
    let lang = body.lang.as_deref().map(Lang::parse).transpose()?;
    let subscribed = state
        .shop
        .subscribe(sku, email, lang, state.clock.now_rfc3339())
        .await?;
    let status = if subscribed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let subscription = subscribed.subscription;
    Ok((
        status,
        Json(SubscriptionConfirmation {
            sku: subscription.sku.into_string(),
            email: subscription.email.masked(),
            confirmed: subscription.confirmed,
            created_at: subscription.created_at,
        }),
    ))
}

/// Unsubscribe (the link in the merchant's e-mail). Idempotent: a token
/// already used, or whose product came back and was notified, is gone too.
#[utoipa::path(
    delete,
    path = "/api/v1/subscriptions/{token}",
    tag = "public",
    params(("token" = inline(SubscriptionToken), Path, description = "From the `subscription.*` event")),
    responses(
        (status = 204, description = "Not subscribed (any more)"),
        (status = 404, description = "`unknown_subscription`: not a token this server issues", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    )
)]
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<StatusCode, ApiError> {
    let token = SubscriptionToken::parse(&token).ok_or_else(ApiError::unknown_subscription)?;
    state.shop.unsubscribe(token).await?;
    Ok(StatusCode::NO_CONTENT)
}
