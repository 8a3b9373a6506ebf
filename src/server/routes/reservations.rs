use crate::api::{ErrorBody, Reservation, ReservationRequest};
use crate::server::AppState;
use crate::server::domain::{
    Email, IdempotencyKey, NewReservation, Quantity, ReservationId, Sku, mail_lang,
};
use crate::server::error::ApiError;
use crate::server::input::{JsonBody, idempotency_key};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};

/// Reserve units: from stock first, the rest on backorder.
#[utoipa::path(
    post,
    path = "/api/v1/products/{sku}/reservations",
    tag = "public",
    params(
        ("sku" = inline(Sku), Path),
        ("Idempotency-Key" = inline(Option<IdempotencyKey>), Header, description = "1–255 visible ASCII characters; the same key with the same body replays the first response. A key belongs to one request body: the same key with another body is refused with 422 `idempotency_key_reused` (a rule JSON Schema cannot state: send a fresh key with each new reservation). Keys that begin with the time, as the widget's do (milliseconds in hex, then random bits) or a UUIDv7, are indexed at lower cost than random ones"),
    ),
    request_body = ReservationRequest,
    responses(
        (status = 201, body = Reservation),
        (status = 404, description = "`unknown_product`", body = ErrorBody),
        (status = 409, description = "`quantity_unavailable`, with `max_quantity`; or `customer_limit_reached`: this e-mail address would hold more than the product's `max_per_customer` on backorder (`max_quantity`: how many more it may)", body = ErrorBody),
        (status = 422, description = "`invalid_request` naming the field, or `idempotency_key_reused`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many reservations from this address; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until this address may write again"))),
    )
)]
pub async fn create_reservation(
    State(state): State<AppState>,
    Path(sku): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ReservationRequest>,
) -> Result<(StatusCode, [(HeaderName, HeaderValue); 1], String), ApiError> {
    let sku = Sku::parse(&sku)?;
    let quantity = Quantity::new(body.quantity)?;
    let email = Email::parse(&body.email)?;
    let idempotency_key = idempotency_key(&headers)?;
    let lang = body.lang.as_deref().map(mail_lang).transpose()?;
    let request = NewReservation {
        sku,
        quantity,
        email,
        idempotency_key,
        lang,
    };
    let placed = state
        .shop
        .place(request, state.clock.today(), state.clock.now_rfc3339())
        .await?;
    // The body as stored for replays: encoded once.
    let json = HeaderValue::from_static("application/json");
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, json)],
        placed.body,
    ))
}

/// A reservation with its current ship estimate.
#[utoipa::path(
    get,
    path = "/api/v1/reservations/{id}",
    tag = "public",
    params(("id" = inline(ReservationId), Path, description = "The reference returned when it was placed")),
    responses(
        (status = 200, body = Reservation),
        (status = 404, description = "`unknown_reservation`, or `reservation_cancelled`: it was cancelled", body = ErrorBody),
    )
)]
pub async fn get_reservation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Reservation>, ApiError> {
    let id = ReservationId::parse(&id).ok_or_else(ApiError::unknown_reservation)?;
    let found = state.shop.reservation(id, state.clock.today()).await?;
    let found = found.ok_or_else(ApiError::unknown_reservation)?;
    // Cancelled is gone: DELETE removed it from what the shopper can reach.
    if found.record.cancelled {
        return Err(ApiError::reservation_cancelled());
    }
    Ok(Json(found.to_api()))
}

/// Cancel a reservation (idempotent): its units go to the shoppers waiting behind it, then to stock.
#[utoipa::path(
    delete,
    path = "/api/v1/reservations/{id}",
    tag = "public",
    params(("id" = inline(ReservationId), Path)),
    responses(
        (status = 200, description = "Cancelled now", body = Reservation),
        (status = 404, description = "`unknown_reservation`, or `reservation_cancelled`: cancelled before (nothing changes)", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many writes from this address; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until this address may write again"))),
    )
)]
pub async fn cancel_reservation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Reservation>, ApiError> {
    let id = ReservationId::parse(&id).ok_or_else(ApiError::unknown_reservation)?;
    let outcome = state
        .shop
        .cancel(id, state.clock.today(), state.clock.now_rfc3339())
        .await?;
    let outcome = outcome.ok_or_else(ApiError::unknown_reservation)?;
    if outcome.already_cancelled {
        return Err(ApiError::reservation_cancelled());
    }
    Ok(Json(outcome.state.to_api()))
}
