//! The audit log's values: who made an admin write and from where
//! ([`Actor`]), what it did ([`Audited`]: an [`AuditOperation`] and its
//! target), a line of the log as stored ([`AuditEntry`]), and the page of
//! it a request asks for ([`AuditPage`]).

use super::ValidationError;
use serde::Serialize;

/// Days a line of the audit log is kept.
pub const AUDIT_RETENTION_DAYS: i64 = 90;
/// Lines one request lists, at most.
pub const MAX_AUDIT_PAGE: u32 = 500;
/// Lines one request lists when it does not say.
pub const DEFAULT_AUDIT_PAGE: u32 = 100;

/// Who made an admin write, and from which address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The admin token's fingerprint (`tok_…`), never the token; `cli`
    /// for the command line.
    pub token: String,
    /// The client's address as the rate limits read it; `local` for the
    /// command line.
    pub address: String,
}

impl Actor {
    /// A caller of the admin API: its token's fingerprint and its address.
    pub fn admin(fingerprint: &str, address: std::net::IpAddr) -> Actor {
        Actor {
            token: fingerprint.to_owned(),
            address: address.to_string(),
        }
    }

    /// The command line on the server's machine (`import`, `import-demand`).
    pub fn cli() -> Actor {
        Actor {
            token: "cli".into(),
            address: "local".into(),
        }
    }
}

/// Every kind of admin write, by the name the log gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum AuditOperation {
    /// `PUT /admin/products/{sku}`: a product's settings.
    #[serde(rename = "product.put")]
    ProductPut,
    /// `PUT /admin/products` and `stock-widget import`.
    #[serde(rename = "products.put_bulk")]
    ProductsPutBulk,
    #[serde(rename = "product.receipt")]
    ProductReceipt,
    #[serde(rename = "product.sale")]
    ProductSale,
    #[serde(rename = "supplier.put")]
    SupplierPut,
    /// `PUT /admin/demand` and `stock-widget import-demand`.
    #[serde(rename = "demand.put")]
    DemandPut,
    #[serde(rename = "webhook.create")]
    WebhookCreate,
    #[serde(rename = "webhook.delete")]
    WebhookDelete,
}

impl AuditOperation {
    pub const ALL: [AuditOperation; 8] = [
        AuditOperation::ProductPut,
        AuditOperation::ProductsPutBulk,
        AuditOperation::ProductReceipt,
        AuditOperation::ProductSale,
        AuditOperation::SupplierPut,
        AuditOperation::DemandPut,
        AuditOperation::WebhookCreate,
        AuditOperation::WebhookDelete,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AuditOperation::ProductPut => "product.put",
            AuditOperation::ProductsPutBulk => "products.put_bulk",
            AuditOperation::ProductReceipt => "product.receipt",
            AuditOperation::ProductSale => "product.sale",
            AuditOperation::SupplierPut => "supplier.put",
            AuditOperation::DemandPut => "demand.put",
            AuditOperation::WebhookCreate => "webhook.create",
            AuditOperation::WebhookDelete => "webhook.delete",
        }
    }

    pub fn from_name(name: &str) -> Option<AuditOperation> {
        AuditOperation::ALL
            .into_iter()
            .find(|operation| operation.name() == name)
    }
}

/// What an admin write did: its operation, what it was done to (a SKU, a
/// supplier's or webhook's id, or a count such as `12 products`) and a
/// short summary (`stock 4 → 9`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audited {
    pub operation: AuditOperation,
    pub target: Option<String>,
    pub detail: Option<String>,
}

impl Audited {
    pub fn new(operation: AuditOperation, target: impl Into<String>) -> Audited {
        Audited {
            operation,
            target: Some(target.into()),
            detail: None,
        }
    }

    pub fn with_detail(self, detail: Option<String>) -> Audited {
        Audited { detail, ..self }
    }
}

/// A stock that went from `before` (none: the product is new) to `after`,
/// in words; `None` when it stayed.
pub fn stock_change(before: Option<u32>, after: u32) -> Option<String> {
    match before {
        None => Some(format!("created, stock {after}")),
        Some(before) if before != after => Some(format!("stock {before} → {after}")),
        Some(_) => None,
    }
}

/// A line of the audit log: its number (newer lines have higher ones), when
/// (RFC 3339, UTC), who and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: Actor,
    pub what: Audited,
}

/// `?limit=&before=`: at most `limit` lines, newest first, older than the
/// line `before` when given (the previous page's `next_before`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditPage {
    pub limit: u32,
    pub before: Option<i64>,
}

impl AuditPage {
    /// The query's values as given (absent: the default, the newest).
    pub fn parse(limit: Option<&str>, before: Option<&str>) -> Result<AuditPage, ValidationError> {
        let limit = match limit {
            None => DEFAULT_AUDIT_PAGE,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|limit| (1..=MAX_AUDIT_PAGE).contains(limit))
                .ok_or_else(|| {
                    ValidationError::new(
                        "limit",
                        format!("The limit is a whole number from 1 to {MAX_AUDIT_PAGE}."),
                    )
                })?,
        };
        let before = match before {
            None => None,
            Some(text) => Some(text.parse::<i64>().ok().filter(|seq| *seq >= 1).ok_or_else(
                || {
                    ValidationError::new(
                        "before",
                        "before is a line's seq: a whole number from 1 (the previous page's next_before).",
                    )
                },
            )?),
        };
        Ok(AuditPage { limit, before })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_own_name_and_serializes_as_it() {
        for operation in AuditOperation::ALL {
            assert_eq!(AuditOperation::from_name(operation.name()), Some(operation));
            assert_eq!(
                serde_json::to_value(operation).unwrap(),
                serde_json::json!(operation.name())
            );
        }
        assert_eq!(AuditOperation::from_name("product.delete"), None);
    }

    #[test]
    fn a_page_takes_a_limit_of_1_to_500_and_a_positive_cursor() {
        assert_eq!(
            AuditPage::parse(None, None),
            Ok(AuditPage {
                limit: 100,
                before: None
            })
        );
        assert_eq!(
            AuditPage::parse(Some("500"), Some("42")),
            Ok(AuditPage {
                limit: 500,
                before: Some(42)
            })
        );
        for bad in ["0", "501", "-1", "ten", "", "1.5"] {
            assert_eq!(
                AuditPage::parse(Some(bad), None).unwrap_err().field,
                "limit",
                "{bad:?}"
            );
        }
        for bad in ["0", "-3", "x", ""] {
            assert_eq!(
                AuditPage::parse(None, Some(bad)).unwrap_err().field,
                "before",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_stock_change_says_what_changed() {
        assert_eq!(stock_change(None, 9).as_deref(), Some("created, stock 9"));
        assert_eq!(stock_change(Some(4), 9).as_deref(), Some("stock 4 → 9"));
        assert_eq!(stock_change(Some(4), 4), None);
    }
}
