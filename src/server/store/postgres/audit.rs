//! The audit log on PostgreSQL.

use super::PgTx;
use crate::server::domain::{Actor, AuditEntry, Audited};
use crate::server::store::audit::{self, below};
use crate::server::store::{AuditRows, StoreFailure, columns};

#[async_trait::async_trait]
impl AuditRows for PgTx {
    async fn add_audit(
        &mut self,
        at: &str,
        actor: &Actor,
        what: &Audited,
    ) -> Result<(), StoreFailure> {
        sqlx::query(audit::ADD)
            .bind(at)
            .bind(&actor.token)
            .bind(&actor.address)
            .bind(what.operation.name())
            .bind(&what.target)
            .bind(&what.detail)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn audit_lines(
        &mut self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreFailure> {
        let rows = sqlx::query(audit::LINES)
            .bind(below(before))
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| columns::audit_entry(row)).collect()
    }

    async fn forget_audit_before(&mut self, at: &str) -> Result<u64, StoreFailure> {
        let done = sqlx::query(audit::FORGET)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }
}
