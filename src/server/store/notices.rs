//! Delay-notice rows: per waiting reservation the ship date its shopper was
//! told and the day of the last notice, and the secrets every server on the
//! database shares (the cancel links' key).

use super::StoreFailure;
use crate::logic::Date;
use crate::server::domain::{DelayMark, Sku};

#[async_trait::async_trait]
pub trait NoticeRows {
    /// The marks of the reservations of `sku` that wait, in queue order.
    async fn delay_marks(&mut self, sku: &Sku) -> Result<Vec<DelayMark>, StoreFailure>;
    /// Records what the shopper was told, and the day of the last notice.
    async fn write_delay_mark(&mut self, mark: &DelayMark) -> Result<(), StoreFailure>;
    /// The SKUs with reservations that wait.
    async fn skus_waiting(&mut self) -> Result<Vec<Sku>, StoreFailure>;
    /// The secret called `name`: `candidate` if none was stored yet, else
    /// the stored one (servers starting together agree on one).
    async fn shared_secret(&mut self, name: &str, candidate: &str) -> Result<String, StoreFailure>;
}

pub(super) const MARKS: &str = "SELECT seq, told_ship_date, last_notice_on FROM reservations
     WHERE sku = $1 AND status = 'reserved' AND quantity - from_stock - filled > 0
     ORDER BY seq";
pub(super) const WRITE_MARK: &str =
    "UPDATE reservations SET told_ship_date = $1, last_notice_on = $2 WHERE seq = $3";
pub(super) const SKUS_WAITING: &str = "SELECT DISTINCT sku FROM reservations
     WHERE status = 'reserved' AND quantity - from_stock - filled > 0 ORDER BY sku";
pub(super) const KEEP_SECRET: &str =
    "INSERT INTO server_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
pub(super) const SECRET: &str = "SELECT secret FROM server_secrets WHERE name = $1";

/// A date as stored (`YYYY-MM-DD`).
pub(super) fn date_text(date: Option<Date>) -> Option<String> {
    date.map(Date::to_iso)
}
