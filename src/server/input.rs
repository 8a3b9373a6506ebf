//! Request values parsed into types that can only hold valid input.

use super::error::ApiError;

/// Longest SKU we accept; enough for any real catalogue, short enough to log.
pub const MAX_SKU_LENGTH: usize = 64;
pub use crate::api::MAX_REQUEST_QUANTITY as MAX_QUANTITY;

/// A SKU: 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sku(String);

impl Sku {
    pub fn parse(text: &str) -> Result<Sku, ApiError> {
        if text.is_empty() || text.len() > MAX_SKU_LENGTH {
            return Err(ApiError::invalid_field(
                "sku",
                "A SKU has 1 to 64 characters.",
            ));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(ApiError::invalid_field(
                "sku",
                "A SKU has only ASCII letters, digits, '-', '_' and '.'.",
            ));
        }
        Ok(Sku(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A requested quantity, 1 to `MAX_QUANTITY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity(u32);

impl Quantity {
    pub fn new(value: u64) -> Result<Quantity, ApiError> {
        if value == 0 || value > MAX_QUANTITY as u64 {
            return Err(ApiError::invalid_field(
                "quantity",
                "The quantity must be a whole number from 1 to 1000000.",
            ));
        }
        Ok(Quantity(value as u32))
    }

    /// Parses a query-string value; absent means 1.
    pub fn parse_optional(text: Option<&str>) -> Result<Quantity, ApiError> {
        match text {
            None => Ok(Quantity(1)),
            Some(text) => match text.parse::<u64>() {
                Ok(value) => Quantity::new(value),
                Err(_) => Quantity::new(0),
            },
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_short_ascii_words() {
        assert!(Sku::parse("TEE-CLASSIC_2.0").is_ok());
        for bad in ["", "a b", "ä", "x/y", &"X".repeat(65)] {
            assert_eq!(
                Sku::parse(bad).unwrap_err().detail.field.as_deref(),
                Some("sku"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn quantities_are_between_one_and_the_maximum() {
        assert_eq!(Quantity::parse_optional(None).unwrap().get(), 1);
        assert_eq!(
            Quantity::parse_optional(Some("1000000")).unwrap().get(),
            1_000_000
        );
        for bad in [
            "0",
            "-1",
            "1.5",
            "abc",
            "1000001",
            "99999999999999999999999",
        ] {
            assert!(Quantity::parse_optional(Some(bad)).is_err(), "{bad}");
        }
    }
}

/// An e-mail address that passes `api::is_plausible_email`, the same rule
/// the widget checks (on the trimmed input) before it sends. Not trimmed
/// here: the API takes exactly what its OpenAPI pattern describes.
pub fn parse_email(text: &str) -> Result<String, ApiError> {
    let email = text;
    if !crate::api::is_plausible_email(email) {
        return Err(ApiError::invalid_field(
            "email",
            "Enter a valid e-mail address, like name@example.com.",
        ));
    }
    Ok(email.to_owned())
}

/// `jane@example.com` → `j***@example.com`: enough to recognise, not to harvest.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            first + "***@" + domain
        }
        None => String::from("***"),
    }
}

/// Longest `Idempotency-Key` header we store.
pub const MAX_IDEMPOTENCY_KEY_LENGTH: usize = 255;

/// The optional `Idempotency-Key` header: 1 to 255 visible ASCII characters.
pub fn parse_idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::invalid_field(
            "Idempotency-Key",
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters.",
        )
    };
    let text = value.to_str().map_err(|_| invalid())?;
    if text.is_empty()
        || text.len() > MAX_IDEMPOTENCY_KEY_LENGTH
        || !text.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid());
    }
    Ok(Some(text.to_owned()))
}

/// A reference as the store issues them: `prefix` and 32 lowercase hex digits.
fn is_issued(text: &str, prefix: &str) -> bool {
    text.len() == prefix.len() + 32
        && text.starts_with(prefix)
        && text[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A reservation reference: `rsv_` and 32 lowercase hex digits.
pub fn parse_reservation_id(text: &str) -> Result<String, ApiError> {
    if is_issued(text, "rsv_") {
        Ok(text.to_owned())
    } else {
        Err(ApiError::unknown_reservation())
    }
}

/// A subscription's token (`sub_…`); `None` when it cannot be one.
pub fn parse_subscription_token(text: &str) -> Option<String> {
    is_issued(text, "sub_").then(|| text.to_owned())
}

/// A webhook endpoint's id (`ep_…`).
pub fn parse_webhook_id(text: &str) -> Result<String, ApiError> {
    if is_issued(text, "ep_") {
        Ok(text.to_owned())
    } else {
        Err(ApiError::unknown_webhook())
    }
}

/// A language tag as the widget sends it (`en`, `pt-BR`): passed to the
/// merchant's mailer, so nothing else gets through.
pub fn parse_lang(text: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let (language, region) = match text.split_once('-') {
        Some((language, region)) => (language, Some(region)),
        None => (text, None),
    };
    let valid = (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && region.is_none_or(|region| {
            (1..=8).contains(&region.len()) && region.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if valid {
        Ok(Some(text.to_owned()))
    } else {
        Err(ApiError::invalid_field(
            "lang",
            "A language is a tag like en or pt-BR.",
        ))
    }
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
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let (field, message) = field_error(error);
        ApiError::invalid_field(&field, message)
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
        "quantity" => "The quantity must be a whole number from 1 to 1000000.".into(),
        "email" => "Enter a valid e-mail address, like name@example.com.".into(),
        _ => format!("Invalid value for {field:?}: {serde_message}."),
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn emails_must_look_deliverable() {
        assert_eq!(
            parse_email("jane.doe+shop@example.co.uk").unwrap(),
            "jane.doe+shop@example.co.uk"
        );
        // Lengths count characters, as the OpenAPI document's do.
        assert!(parse_email(&format!("{}@example.com", "é".repeat(64))).is_ok());
        for bad in [
            "",
            // Exactly what the OpenAPI pattern allows: no surrounding spaces.
            "  jane@example.com ",
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "jane@exa..mple.com",
            "a@b@example.com",
            "x<y>@example.com",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?}");
        }
        assert!(parse_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn masking_keeps_the_first_letter_and_the_domain() {
        assert_eq!(mask_email("jane@example.com"), "j***@example.com");
        assert_eq!(mask_email("éva@example.com"), "é***@example.com");
    }

    #[test]
    fn reservation_ids_have_one_shape() {
        assert!(parse_reservation_id("rsv_0123456789abcdef0123456789abcdef").is_ok());
        for bad in [
            "rsv_0123",
            "rsv_0123456789ABCDEF0123456789abcdef",
            "xyz_0123456789abcdef0123456789abcdef",
            "' OR 1=1",
        ] {
            assert!(parse_reservation_id(bad).is_err(), "{bad}");
        }
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
