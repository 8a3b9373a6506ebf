//! Request plumbing: JSON bodies with field-naming errors, headers and
//! query values. What the values mean is `domain`'s to parse.

use super::domain::{Email, IdempotencyKey, Quantity, ValidationError};
use super::error::ApiError;

/// The optional `Idempotency-Key` header.
pub fn idempotency_key(
    headers: &axum::http::HeaderMap,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| IdempotencyKey::invalid())?;
    Ok(Some(IdempotencyKey::parse(text)?))
}

/// A JSON request body. Unlike `axum::Json`, every rejection is a JSON error
/// that names the field at fault.
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                let mime = value.split(';').next().unwrap_or("").trim();
                mime.eq_ignore_ascii_case("application/json")
            });
        if !is_json {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::payload_too_large()
                } else {
                    ApiError::bad_json("The request body could not be read.")
                }
            })?;
        let deserializer = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(deserializer) {
            Ok(value) => Ok(JsonBody(value)),
            Err(error) => {
                if error.inner().is_syntax() || error.inner().is_eof() {
                    return Err(ApiError::bad_json("The request body is not valid JSON."));
                }
                let (field, message) = field_error(error);
                Err(ApiError::invalid_field(&field, message))
            }
        }
    }
}

/// Reads a JSON value (one item of a bulk request) as `T`.
pub fn from_json_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, ValidationError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let (field, message) = field_error(error);
        ValidationError::new(&field, message)
    })
}

/// The field a deserialization error is about, and a message for people.
fn field_error(error: serde_path_to_error::Error<serde_json::Error>) -> (String, String) {
    let field = error.path().to_string();
    let message = error.into_inner().to_string();
    // serde reports unknown and missing fields at the parent path.
    let field = if field == "." {
        field_named_in(&message).unwrap_or_default()
    } else {
        field
    };
    let described = describe_field_error(&field, &message);
    (field, described)
}

/// serde's messages quote the field: "unknown field `colour`, expected ...".
fn field_named_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

fn describe_field_error(field: &str, serde_message: &str) -> String {
    if serde_message.starts_with("unknown field") {
        return format!("Unknown field {field:?}.");
    }
    if serde_message.starts_with("missing field") {
        return format!("The field {field:?} is required.");
    }
    match field {
        "quantity" => Quantity::out_of_range().message,
        "email" => Email::invalid().message,
        "units" => format!("The units are a whole number from 0 to {}.", u32::MAX),
        _ => format!("Invalid value for {field:?}: {serde_message}."),
    }
}

/// The value of `name` in a URL query (percent-decoded; the last one when
/// repeated), without collecting the rest: availability is the hot path.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .filter(|(key, _)| key == name)
        .last()
        .map(|(_, value)| value.into_owned())
}
