//! The audit log: who made each admin write, what, when and from where,
//! newest first. Behind `auth::require_admin`, like the rest of the admin API.

use crate::api::ErrorBody;
use crate::server::AppState;
use crate::server::domain::{AuditEntry, AuditOperation, AuditPage};
use crate::server::error::ApiError;
use crate::server::input::query_param;
use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Serialize;
use utoipa::ToSchema;

/// One admin write.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// The line's number: newer lines have higher ones (`before` pages by it).
    pub seq: i64,
    /// When it was made (RFC 3339, UTC, by the server's clock).
    pub at: String,
    /// The admin token's fingerprint (`tok_` and 8 hex digits), never the
    /// token; `cli` for `stock-widget import` and `import-demand`.
    pub token: String,
    /// The client's address (as the rate limits read it: the
    /// `--client-ip-header` entry when set, else the peer); `local` for the
    /// command line.
    pub address: String,
    pub operation: AuditOperation,
    /// What it was done to: a SKU, a supplier's or webhook's id, or a count
    /// (`12 products`, `90 days`).
    pub target: Option<String>,
    /// A short summary (`stock 4 → 9`, `2 created, 10 updated`), or null.
    pub detail: Option<String>,
}

impl AuditEntryView {
    fn from_entry(entry: AuditEntry) -> AuditEntryView {
        AuditEntryView {
            seq: entry.seq,
            at: entry.at,
            token: entry.actor.token,
            address: entry.actor.address,
            operation: entry.what.operation,
            target: entry.what.target,
            detail: entry.what.detail,
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditLogView {
    /// Newest first.
    pub entries: Vec<AuditEntryView>,
    /// `before` for the next, older page; null when there is none.
    pub next_before: Option<i64>,
}

/// Every admin write of the last 90 days — products, bulk writes, receipts,
/// sales, suppliers, demand, webhooks —, newest first: which token (by its
/// fingerprint), what, when and from which address. Each line is written in
/// its write's own transaction: a write refused or rolled back has none.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "admin",
    security(("admin_token" = [])),
    params(
        ("limit" = Option<u32>, Query, description = "Lines, 1–500; default 100"),
        ("before" = Option<i64>, Query, description = "Only lines older than this `seq`: the previous page's `next_before`"),
    ),
    responses(
        (status = 200, body = AuditLogView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
        (status = 422, description = "`invalid_request` naming `limit` or `before`", body = ErrorBody),
    )
)]
pub async fn list_audit(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<AuditLogView>, ApiError> {
    let query = query.as_deref();
    let page = AuditPage::parse(
        query_param(query, "limit").as_deref(),
        query_param(query, "before").as_deref(),
    )?;
    let log = state.shop.audit_log(page).await?;
    Ok(Json(AuditLogView {
        entries: log
            .entries
            .into_iter()
            .map(AuditEntryView::from_entry)
            .collect(),
        next_before: log.next_before,
    }))
}
