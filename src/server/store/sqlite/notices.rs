//! Delay-notice marks and shared secrets on SQLite.

use super::SqliteTx;
use crate::server::domain::{DelayMark, Sku};
use crate::server::store::notices::{self, date_text};
use crate::server::store::{NoticeRows, StoreFailure, columns};
use anyhow::Context;
use rusqlite::params;

#[async_trait::async_trait]
impl NoticeRows for SqliteTx<'_> {
    async fn delay_marks(&mut self, sku: &Sku) -> Result<Vec<DelayMark>, StoreFailure> {
        self.all(notices::MARKS, [sku.as_str()], columns::delay_mark)
    }

    async fn write_delay_mark(&mut self, mark: &DelayMark) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(notices::WRITE_MARK)?
            .execute(params![
                date_text(mark.told),
                date_text(mark.last_notice),
                mark.seq
            ])?;
        Ok(())
    }

    async fn skus_waiting(&mut self) -> Result<Vec<Sku>, StoreFailure> {
        self.all(notices::SKUS_WAITING, [], columns::product_sku)
    }

    async fn shared_secret(&mut self, name: &str, candidate: &str) -> Result<String, StoreFailure> {
        self.connection
            .prepare_cached(notices::KEEP_SECRET)?
            .execute(params![name, candidate])?;
        Ok(self
            .first(notices::SECRET, [name], columns::secret)?
            .context("a kept secret is missing")?)
    }
}
