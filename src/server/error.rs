//! Every failure a handler can return, rendered as `{"error": {...}}`.

use crate::api::{ErrorBody, ErrorDetail};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: ErrorDetail,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

/// `Retry-After` while the database is unreachable: about how long a
/// PostgreSQL restart takes, and the feed reconnects within a second.
pub const STORE_UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 2;

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: ErrorDetail {
                code: code.to_owned(),
                message: message.into(),
                field: None,
                max_quantity: None,
            },
            retry_after: None,
        }
    }

    pub fn unknown_product(sku: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_product",
            format!("No product has the SKU {sku:?}."),
        )
    }

    /// 422 naming the request field at fault.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message);
        error.detail.field = Some(field.to_owned());
        error
    }

    pub fn unknown_subscription() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_subscription",
            "This is not a subscription token.",
        )
    }

    pub fn unknown_supplier() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_supplier",
            "No supplier has this id.",
        )
    }

    pub fn unknown_webhook() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_webhook",
            "No webhook endpoint has this id.",
        )
    }

    pub fn too_many_webhooks(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "too_many_webhooks",
            format!("A shop has at most {limit} webhook endpoints: delete one first."),
        )
    }

    pub fn unknown_reservation() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_reservation",
            "No reservation has this reference.",
        )
    }

    /// 404 for a reservation that was cancelled: cancelling removes it.
    pub fn reservation_cancelled() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "reservation_cancelled",
            "This reservation was cancelled.",
        )
    }

    pub fn quantity_unavailable(max_quantity: u32) -> ApiError {
        let message =
            crate::logic::InventoryError::QuantityUnavailable { max_quantity }.to_string();
        let mut error = ApiError::new(StatusCode::CONFLICT, "quantity_unavailable", message);
        error.detail.max_quantity = Some(max_quantity);
        error
    }

    /// 409: a sale of more than the stock holds; `max_quantity` is the stock.
    pub fn insufficient_stock(stock: u32) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::CONFLICT,
            "insufficient_stock",
            format!("Only {stock} in stock: a sale cannot take more."),
        );
        error.detail.field = Some("quantity".into());
        error.detail.max_quantity = Some(stock);
        error
    }

    pub fn idempotency_key_reused() -> ApiError {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request.",
        );
        error.detail.field = Some("Idempotency-Key".into());
        error
    }

    /// 409: this e-mail address may not hold more of this product on backorder.
    pub fn customer_limit_reached(allowed: u32) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::CONFLICT,
            "customer_limit_reached",
            format!(
                "One customer may hold only so many of this product on backorder; {allowed} more can be reserved with this e-mail address."
            ),
        );
        error.detail.field = Some("quantity".into());
        error.detail.max_quantity = Some(allowed);
        error
    }

    /// 408: the request took longer than the server allows.
    pub fn request_timeout() -> ApiError {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "The request took too long.",
        )
    }

    /// 429: this client wrote too often; `Retry-After` says when to try again.
    pub fn rate_limited(retry_after_seconds: u64) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "Too many reservations from this address; try again in {retry_after_seconds} s."
            ),
        );
        error.retry_after = Some(retry_after_seconds);
        error
    }

    /// 503 with `Retry-After`: every event-stream slot is taken.
    pub fn too_many_streams(retry_after_seconds: u64) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_streams",
            "Too many live availability streams are open; try again later.",
        );
        error.retry_after = Some(retry_after_seconds);
        error
    }

    /// 503 with `Retry-After`: the database cannot be reached right now.
    /// Nothing was changed; the same request (with the same
    /// `Idempotency-Key`) may be sent again.
    pub fn store_unavailable(cause: impl std::fmt::Display) -> ApiError {
        tracing::warn!(%cause, "the database is unavailable");
        let mut error = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "The stock database cannot be reached right now; please try again in a moment.",
        );
        error.retry_after = Some(STORE_UNAVAILABLE_RETRY_AFTER_SECONDS);
        error
    }

    /// The server could not tell which client sent a limited request.
    pub fn unknown_client() -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "unknown_client",
            "The client's address could not be determined.",
        )
    }

    pub fn bad_json(message: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", message)
    }

    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as application/json.",
        )
    }

    pub fn payload_too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is too large.",
        )
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "A valid admin token is required.",
        )
    }

    pub fn admin_disabled() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "The admin API is off: start the server with --admin-token to turn it on.",
        )
    }

    /// 403: a read-only token tried to change something.
    pub fn read_only_token() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "read_only_token",
            "This token may only read (GET): changing anything needs an admin token.",
        )
    }

    /// 429: too many wrong admin tokens from this address; every admin
    /// request from it, with any token, waits `Retry-After` seconds.
    pub fn too_many_failed_logins(retry_after_seconds: u64) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_failed_logins",
            format!(
                "Too many wrong admin tokens from this address; try again in {retry_after_seconds} s."
            ),
        );
        error.retry_after = Some(retry_after_seconds);
        error
    }

    pub fn route_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "There is no such API endpoint.",
        )
    }

    /// Logs the cause; the client only learns that it was our fault.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side. Please try again.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(ErrorBody { error: self.detail })).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

impl From<crate::server::domain::ValidationError> for ApiError {
    fn from(error: crate::server::domain::ValidationError) -> ApiError {
        ApiError::invalid_field(&error.field, error.message)
    }
}

impl From<crate::server::store::StoreFailure> for ApiError {
    fn from(failure: crate::server::store::StoreFailure) -> ApiError {
        use crate::server::store::FailureKind;
        match failure.kind {
            FailureKind::Unavailable => ApiError::store_unavailable(failure),
            // A race lost even after the retries: the client may try again.
            FailureKind::Retry => ApiError::store_unavailable(failure),
            FailureKind::Fault => ApiError::internal(failure),
        }
    }
}

impl From<crate::server::ops::OperationError> for ApiError {
    fn from(failure: crate::server::ops::OperationError) -> ApiError {
        use crate::logic::InventoryError;
        use crate::server::ops::OperationError;
        match failure {
            OperationError::UnknownProduct => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_product",
                "No product has this SKU.",
            ),
            OperationError::Inventory(InventoryError::QuantityUnavailable { max_quantity }) => {
                ApiError::quantity_unavailable(max_quantity)
            }
            OperationError::Inventory(error @ InventoryError::InvalidQuantity) => {
                ApiError::invalid_field("quantity", error.to_string())
            }
            OperationError::IdempotencyKeyReused => ApiError::idempotency_key_reused(),
            OperationError::CustomerLimit { allowed } => ApiError::customer_limit_reached(allowed),
            OperationError::InStock => ApiError::new(
                StatusCode::CONFLICT,
                "in_stock",
                "This product ships now: order it instead.",
            ),
            OperationError::TooManySubscriptions => ApiError::new(
                StatusCode::CONFLICT,
                "too_many_subscriptions",
                "This product has as many people waiting as it can take: please check back later.",
            ),
            OperationError::UnknownSupplier { .. } => ApiError::invalid_field(
                "supplier",
                "No supplier has this id: create it first (PUT /api/v1/admin/suppliers/{id}).",
            ),
            OperationError::UnknownPurchaseOrder => ApiError::invalid_field(
                "purchase_order",
                "The product has no open purchase order with this id.",
            ),
            OperationError::InsufficientStock { stock } => ApiError::insufficient_stock(stock),
            OperationError::InvalidItems(items) => match items.first() {
                Some(first) => ApiError::invalid_field(&first.field, first.message.clone()),
                None => ApiError::internal("a batch refused without a bad item"),
            },
            OperationError::Store(failure) => ApiError::from(failure),
        }
    }
}
