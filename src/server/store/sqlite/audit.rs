//! The audit log on SQLite.

use super::SqliteTx;
use crate::server::domain::{Actor, AuditEntry, Audited};
use crate::server::store::audit::{self, below};
use crate::server::store::{AuditRows, StoreFailure, columns};
use rusqlite::params;

#[async_trait::async_trait]
impl AuditRows for SqliteTx<'_> {
    async fn add_audit(
        &mut self,
        at: &str,
        actor: &Actor,
        what: &Audited,
    ) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(audit::ADD)?
            .execute(params![
                at,
                actor.token,
                actor.address,
                what.operation.name(),
                what.target,
                what.detail,
            ])?;
        Ok(())
    }

    async fn audit_lines(
        &mut self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreFailure> {
        self.all(
            audit::LINES,
            params![below(before), i64::from(limit)],
            columns::audit_entry,
        )
    }

    async fn forget_audit_before(&mut self, at: &str) -> Result<u64, StoreFailure> {
        let deleted = self
            .connection
            .prepare_cached(audit::FORGET)?
            .execute([at])?;
        Ok(deleted as u64)
    }
}
