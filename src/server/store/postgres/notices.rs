//! Delay-notice marks and shared secrets on PostgreSQL.

use super::PgTx;
use crate::server::domain::{DelayMark, Sku};
use crate::server::store::notices::{self, date_text};
use crate::server::store::{NoticeRows, StoreFailure, columns};

#[async_trait::async_trait]
impl NoticeRows for PgTx {
    async fn delay_marks(&mut self, sku: &Sku) -> Result<Vec<DelayMark>, StoreFailure> {
        let rows = sqlx::query(notices::MARKS)
            .bind(sku.as_str())
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| columns::delay_mark(row)).collect()
    }

    async fn write_delay_mark(&mut self, mark: &DelayMark) -> Result<(), StoreFailure> {
        sqlx::query(notices::WRITE_MARK)
            .bind(date_text(mark.told))
            .bind(date_text(mark.last_notice))
            .bind(mark.seq as i64)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn skus_waiting(&mut self) -> Result<Vec<Sku>, StoreFailure> {
        let rows = sqlx::query(notices::SKUS_WAITING)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| columns::product_sku(row)).collect()
    }

    /// Servers starting together: the insert of one waits for the other's
    /// to commit and then does nothing; the read (READ COMMITTED, a new
    /// snapshot per statement) sees the row that won.
    async fn shared_secret(&mut self, name: &str, candidate: &str) -> Result<String, StoreFailure> {
        sqlx::query(notices::KEEP_SECRET)
            .bind(name)
            .bind(candidate)
            .execute(&mut *self.tx)
            .await?;
        let row = sqlx::query(notices::SECRET)
            .bind(name)
            .fetch_one(&mut *self.tx)
            .await?;
        columns::secret(&row)
    }
}
