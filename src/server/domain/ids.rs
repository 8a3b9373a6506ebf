//! Names and numbers a request carries: SKUs, quantities, e-mail addresses,
//! references the server issued, idempotency keys, language tags.

use super::ValidationError;
use crate::api::{push_hex, time_ordered_hex};
use rand::RngCore;

/// Longest SKU we accept; enough for any real catalogue, short enough to log.
pub const MAX_SKU_LENGTH: usize = 64;
/// Most units one request may ask for.
pub const MAX_QUANTITY: u32 = crate::api::MAX_REQUEST_QUANTITY;
/// Longest `Idempotency-Key` header we store.
pub const MAX_IDEMPOTENCY_KEY_LENGTH: usize = 255;

/// A SKU: 1 to [`MAX_SKU_LENGTH`] ASCII letters, digits, `-`, `_` or `.`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sku(String);

impl Sku {
    pub fn parse(text: &str) -> Result<Sku, ValidationError> {
        if text.is_empty() || text.len() > MAX_SKU_LENGTH {
            return Err(ValidationError::new(
                "sku",
                format!("A SKU has 1 to {MAX_SKU_LENGTH} characters."),
            ));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(ValidationError::new(
                "sku",
                "A SKU has only ASCII letters, digits, '-', '_' and '.'.",
            ));
        }
        Ok(Sku(text.to_owned()))
    }

    /// What [`Sku::parse`] accepts, as a regular expression without anchors
    /// (the OpenAPI document uses it alone and in comma-separated lists).
    pub fn pattern() -> String {
        format!("[A-Za-z0-9._-]{{1,{MAX_SKU_LENGTH}}}")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Sku {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A requested quantity, 1 to [`MAX_QUANTITY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity(u32);

impl Quantity {
    pub fn new(value: u64) -> Result<Quantity, ValidationError> {
        if value == 0 || value > u64::from(MAX_QUANTITY) {
            return Err(Quantity::out_of_range());
        }
        Ok(Quantity(value as u32))
    }

    /// Parses a query-string value; absent means 1.
    pub fn parse_optional(text: Option<&str>) -> Result<Quantity, ValidationError> {
        match text {
            None => Ok(Quantity(1)),
            Some(text) => match text.parse::<u64>() {
                Ok(value) => Quantity::new(value),
                Err(_) => Err(Quantity::out_of_range()),
            },
        }
    }

    /// Why a value is not a quantity.
    pub fn out_of_range() -> ValidationError {
        ValidationError::new(
            "quantity",
            format!("The quantity must be a whole number from 1 to {MAX_QUANTITY}."),
        )
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// An e-mail address that passes `api::is_plausible_email`, the same rule
/// the widget checks (on the trimmed input) before it sends. Not trimmed
/// here: the API takes exactly what its OpenAPI pattern describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, ValidationError> {
        if !crate::api::is_plausible_email(text) {
            return Err(Email::invalid());
        }
        Ok(Email(text.to_owned()))
    }

    pub fn invalid() -> ValidationError {
        ValidationError::new(
            "email",
            "Enter a valid e-mail address, like name@example.com.",
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How two addresses are compared: without case, the same way on both
    /// stores (SQL's `lower` differs between them).
    pub fn folded(&self) -> String {
        fold_email(&self.0)
    }

    /// `jane@example.com` → `j***@example.com`: enough to recognise, not to harvest.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
}

/// See [`Email::folded`]; for addresses read back from the store.
pub fn fold_email(email: &str) -> String {
    email.to_lowercase()
}

/// See [`Email::masked`]; for addresses read back from the store.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            first + "***@" + domain
        }
        None => String::from("***"),
    }
}

/// The optional `Idempotency-Key`: 1 to [`MAX_IDEMPOTENCY_KEY_LENGTH`] visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<IdempotencyKey, ValidationError> {
        if text.is_empty()
            || text.len() > MAX_IDEMPOTENCY_KEY_LENGTH
            || !text.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(IdempotencyKey::invalid());
        }
        Ok(IdempotencyKey(text.to_owned()))
    }

    pub fn invalid() -> ValidationError {
        ValidationError::new(
            "Idempotency-Key",
            format!(
                "The Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters."
            ),
        )
    }

    /// The OpenAPI pattern of what [`IdempotencyKey::parse`] accepts.
    pub fn pattern() -> String {
        format!("^[!-~]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}$")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `prefix` + 128 random bits in hex: a reference nobody can guess or enumerate.
pub fn new_reference(prefix: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)?;
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    push_hex(&mut id, &bytes);
    Ok(id)
}

/// `prefix` + [`time_ordered_hex`]: as hard to guess as a random reference
/// (80 bits), and issued in the order of time, so a busy minute's references
/// are inserted at the end of their index (a few pages written per commit,
/// not one per reference). The random bits come from the thread's CSPRNG
/// (ChaCha, seeded and reseeded from the system's): a drop issues tens of
/// thousands a second, and a system call each was 1 % of the server's time.
pub fn new_ordered_reference(prefix: &str, now_ms: i64) -> String {
    let mut random = [0u8; 10];
    rand::rng().fill_bytes(&mut random);
    format!("{prefix}{}", time_ordered_hex(now_ms as u64, &random))
}

/// A reference as the server issues them: `prefix` and 32 lowercase hex digits.
fn is_issued(text: &str, prefix: &str) -> bool {
    text.len() == prefix.len() + 32
        && text.starts_with(prefix)
        && text[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The OpenAPI schema of a text value: exactly what its `parse` takes, so
/// parameters are documented by their type (`inline(Sku)` in a route's
/// `params`), not by their name.
macro_rules! text_schema {
    ($name:ident, $pattern:expr, $min:expr, $max:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .min_length(Some($min))
                    .max_length(Some($max))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

text_schema!(Sku, format!("^{}$", Sku::pattern()), 1, MAX_SKU_LENGTH);
text_schema!(
    IdempotencyKey,
    IdempotencyKey::pattern(),
    1,
    MAX_IDEMPOTENCY_KEY_LENGTH
);

/// Longest supplier id and purchase-order number.
pub const MAX_SUPPLY_ID_LENGTH: usize = 64;

/// A name the merchant chose: 1 to [`MAX_SUPPLY_ID_LENGTH`] ASCII letters,
/// digits and the `extra` punctuation.
fn merchant_name(text: &str, extra: &[u8]) -> bool {
    !text.is_empty()
        && text.len() <= MAX_SUPPLY_ID_LENGTH
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// A supplier's id, as the merchant names it: 1 to 64 ASCII letters,
/// digits, `-` or `_`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SupplierId(String);

impl SupplierId {
    /// `field` names where the text came from (`id`, `supplier`).
    pub fn parse(text: &str, field: &str) -> Result<SupplierId, ValidationError> {
        if merchant_name(text, b"-_") {
            Ok(SupplierId(text.to_owned()))
        } else {
            Err(ValidationError::new(
                field,
                format!(
                    "A supplier id has 1 to {MAX_SUPPLY_ID_LENGTH} ASCII letters, digits, '-' and '_'."
                ),
            ))
        }
    }

    pub fn pattern() -> String {
        format!("^[A-Za-z0-9_-]{{1,{MAX_SUPPLY_ID_LENGTH}}}$")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SupplierId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A purchase order's number: the merchant's (1 to 64 ASCII letters, digits,
/// `-`, `_` or `.`), or `po_` and 128 random bits when it gave none.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct PurchaseOrderId(String);

impl PurchaseOrderId {
    pub fn parse(text: &str, field: &str) -> Result<PurchaseOrderId, ValidationError> {
        if merchant_name(text, b"-_.") {
            Ok(PurchaseOrderId(text.to_owned()))
        } else {
            Err(ValidationError::new(
                field,
                format!(
                    "A purchase order id has 1 to {MAX_SUPPLY_ID_LENGTH} ASCII letters, digits, '-', '_' and '.'."
                ),
            ))
        }
    }

    /// A new one for an order the merchant gave no number.
    pub fn issue() -> Result<PurchaseOrderId, getrandom::Error> {
        new_reference("po_").map(PurchaseOrderId)
    }

    pub fn pattern() -> String {
        format!("^[A-Za-z0-9._-]{{1,{MAX_SUPPLY_ID_LENGTH}}}$")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PurchaseOrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

text_schema!(SupplierId, SupplierId::pattern(), 1, MAX_SUPPLY_ID_LENGTH);
text_schema!(
    PurchaseOrderId,
    PurchaseOrderId::pattern(),
    1,
    MAX_SUPPLY_ID_LENGTH
);

/// References the server issues: a prefix and 32 hex digits (128 random bits; a
/// reservation's, the time then 80 random bits: `ReservationId::issue_at`).
macro_rules! reference {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new one, as [`new_reference`] makes them.
            pub fn issue() -> Result<$name, getrandom::Error> {
                new_reference($prefix).map($name)
            }

            /// `None` when `text` cannot be one the server issued.
            pub fn parse(text: &str) -> Option<$name> {
                is_issued(text, $prefix).then(|| $name(text.to_owned()))
            }

            /// The OpenAPI pattern of what [`Self::parse`] accepts.
            pub fn pattern() -> String {
                format!("^{}[0-9a-f]{{32}}$", $prefix)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        text_schema!($name, $name::pattern(), $prefix.len() + 32, $prefix.len() + 32);
    };
}

reference!(
    /// A reservation's reference (`rsv_…`): it lets its holder see and cancel it.
    ReservationId,
    "rsv_"
);
impl ReservationId {
    /// A new one, in the order of time (`now_ms`): see [`new_ordered_reference`].
    pub fn issue_at(now_ms: i64) -> ReservationId {
        ReservationId(new_ordered_reference(Self::PREFIX, now_ms))
    }
}

reference!(
    /// A subscription's token (`sub_…`): it unsubscribes, so it is never listed.
    SubscriptionToken,
    "sub_"
);
reference!(
    /// A webhook endpoint's id (`ep_…`).
    EndpointId,
    "ep_"
);

/// A language tag as the widget sends it (`en`, `pt-BR`): passed to the
/// merchant's mailer, so nothing else gets through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lang(String);

impl Lang {
    pub fn parse(text: &str) -> Result<Lang, ValidationError> {
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
            Ok(Lang(text.to_owned()))
        } else {
            Err(ValidationError::new(
                "lang",
                "A language is a tag like en or pt-BR.",
            ))
        }
    }

    /// The OpenAPI pattern of what [`Lang::parse`] accepts.
    pub const PATTERN: &'static str = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})?$";

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The languages the shop writes in (the widget's four).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    En,
    De,
    Fr,
    Es,
}

impl Language {
    /// By a tag's first subtag (`de-AT` → German); `None` for the others.
    pub fn of_tag(tag: &str) -> Option<Language> {
        let primary = tag.trim().split('-').next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "en" => Some(Language::En),
            "de" => Some(Language::De),
            "fr" => Some(Language::Fr),
            "es" => Some(Language::Es),
            _ => None,
        }
    }

    /// A stored or sent tag's language; English when there is none or it is
    /// another.
    pub fn or_english(tag: Option<&str>) -> Language {
        tag.and_then(Language::of_tag).unwrap_or(Language::En)
    }

    /// The best of `Accept-Language` (by its `q` values); English otherwise.
    pub fn of_accept_language(header: Option<&str>) -> Language {
        let mut best: Option<(f32, Language)> = None;
        for item in header.unwrap_or("").split(',') {
            let mut parts = item.split(';');
            let Some(language) = Language::of_tag(parts.next().unwrap_or("")) else {
                continue;
            };
            let quality = parts
                .filter_map(|part| part.trim().strip_prefix("q="))
                .find_map(|value| value.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if quality > 0.0 && best.is_none_or(|(seen, _)| quality > seen) {
                best = Some((quality, language));
            }
        }
        best.map_or(Language::En, |(_, language)| language)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supplier_and_purchase_order_ids_are_short_ascii_words() {
        assert!(SupplierId::parse("ACME_tools-2", "id").is_ok());
        assert_eq!(
            SupplierId::parse("a.b", "supplier").unwrap_err().field,
            "supplier"
        );
        assert!(SupplierId::parse("", "id").is_err());
        assert!(SupplierId::parse(&"x".repeat(65), "id").is_err());
        assert!(PurchaseOrderId::parse("PO-2026.11_3", "id").is_ok());
        assert!(PurchaseOrderId::parse("PO 1", "id").is_err());
        let issued = PurchaseOrderId::issue().unwrap();
        assert!(issued.as_str().starts_with("po_"));
        assert!(PurchaseOrderId::parse(issued.as_str(), "id").is_ok());
    }

    #[test]
    fn skus_are_short_ascii_words() {
        assert!(Sku::parse("TEE-CLASSIC_2.0").is_ok());
        for bad in ["", "a b", "ä", "x/y", &"X".repeat(65)] {
            assert_eq!(Sku::parse(bad).unwrap_err().field, "sku", "{bad:?}");
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
        assert!(Quantity::out_of_range().message.contains("1000000"));
    }

    #[test]
    fn emails_must_look_deliverable() {
        assert_eq!(
            Email::parse("jane.doe+shop@example.co.uk")
                .unwrap()
                .as_str(),
            "jane.doe+shop@example.co.uk"
        );
        // Lengths count characters, as the OpenAPI document's do.
        assert!(Email::parse(&format!("{}@example.com", "é".repeat(64))).is_ok());
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
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn masking_keeps_the_first_letter_and_the_domain() {
        assert_eq!(
            Email::parse("jane@example.com").unwrap().masked(),
            "j***@example.com"
        );
        assert_eq!(mask_email("éva@example.com"), "é***@example.com");
    }

    #[test]
    fn references_have_one_shape() {
        assert!(ReservationId::parse("rsv_0123456789abcdef0123456789abcdef").is_some());
        for bad in [
            "rsv_0123",
            "rsv_0123456789ABCDEF0123456789abcdef",
            "xyz_0123456789abcdef0123456789abcdef",
            "' OR 1=1",
        ] {
            assert!(ReservationId::parse(bad).is_none(), "{bad}");
        }
        let issued = new_reference(EndpointId::PREFIX).unwrap();
        assert_eq!(EndpointId::parse(&issued).unwrap().as_str(), issued);
    }

    #[test]
    fn reservation_ids_are_issued_in_the_order_of_time_and_still_unguessable() {
        let now = 1_796_000_000_000;
        let first = ReservationId::issue_at(now);
        let same_time = ReservationId::issue_at(now);
        let later = ReservationId::issue_at(now + 1);
        assert!(ReservationId::parse(first.as_str()).is_some());
        assert_eq!(first.as_str()[..16], same_time.as_str()[..16]);
        assert_ne!(first, same_time, "80 random bits follow the time");
        assert!(first.as_str() < later.as_str() && same_time.as_str() < later.as_str());
        assert_eq!(&first.as_str()[4..16], format!("{now:012x}"));
    }

    #[test]
    fn language_tags_are_short() {
        assert!(Lang::parse("pt-BR").is_ok());
        for bad in ["e", "english", "en-", "en-toolongregion", "e1"] {
            assert!(Lang::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert!(IdempotencyKey::parse("order-1").is_ok());
        for bad in ["", "with space", "ü", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
