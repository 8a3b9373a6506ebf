//! Every failure a handler can return, rendered as `{"error": {...}}`.

use crate::api::{ErrorBody, ErrorDetail};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: ErrorDetail,
}

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
        (self.status, Json(ErrorBody { error: self.detail })).into_response()
    }
}
