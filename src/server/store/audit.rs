//! Audit rows: one line per admin write, newest first, and the deletion of
//! old ones.

use super::StoreFailure;
use crate::server::domain::{Actor, AuditEntry, Audited};

#[async_trait::async_trait]
pub trait AuditRows {
    /// Appends a line at `at` (RFC 3339, UTC): who, and what they did.
    async fn add_audit(
        &mut self,
        at: &str,
        actor: &Actor,
        what: &Audited,
    ) -> Result<(), StoreFailure>;
    /// At most `limit` lines, newest first; only those numbered below
    /// `before` when given.
    async fn audit_lines(
        &mut self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreFailure>;
    /// Deletes the lines written before `at`; returns how many.
    async fn forget_audit_before(&mut self, at: &str) -> Result<u64, StoreFailure>;
}

pub(super) const ADD: &str = "INSERT INTO audit (at, token, address, operation, target, detail) VALUES ($1, $2, $3, $4, $5, $6)";
pub(super) const LINES: &str = "SELECT seq, at, token, address, operation, target, detail
     FROM audit WHERE seq < $1 ORDER BY seq DESC LIMIT $2";
pub(super) const FORGET: &str = "DELETE FROM audit WHERE at < $1";

/// The cursor of a first page: below every line.
pub(super) fn below(before: Option<i64>) -> i64 {
    before.unwrap_or(i64::MAX)
}
