//! Request values parsed into types that can only hold valid input.

use super::error::ApiError;

/// Longest SKU we accept; enough for any real catalogue, short enough to log.
pub const MAX_SKU_LENGTH: usize = 64;
/// Largest quantity one request may ask for.
pub const MAX_QUANTITY: u32 = 1_000_000;

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
