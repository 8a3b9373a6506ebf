//! The audit log: every admin write says what it did ([`note`]); a shop
//! acting for a caller ([`Shop::acting_for`]) writes that, with who and
//! when, in the write's own transaction ([`record`], from `Shop::write`), so
//! a write rolled back leaves no line. Lines are kept 90 days.

use super::Shop;
use crate::server::clock::{SECONDS_PER_DAY, rfc3339};
use crate::server::domain::{
    AUDIT_RETENTION_DAYS, Actor, AuditEntry, AuditOperation, AuditPage, Audited, Sku, stock_change,
};
use crate::server::store::{StoreFailure, Tx};
use std::sync::Arc;

/// Notes what this admin write did; the last note of a transaction stands.
/// An operation that changed nothing notes nothing.
pub(super) fn note(tx: &mut dyn Tx, what: Audited) {
    tx.notes().audit = Some(what);
}

/// The stock a product had when this transaction first wrote it (`None`:
/// the transaction created it), for a line's summary.
pub(super) fn stock_before(tx: &mut dyn Tx, sku: &Sku) -> Option<u32> {
    tx.notes()
        .touched
        .iter()
        .find(|touched| touched.sku == *sku)
        .and_then(|touched| touched.before)
        .map(|before| before.stock)
}

/// A batch's size as a line's target: `12 products`, `1 day`.
pub(super) fn count(how_many: usize, what: &str) -> String {
    if how_many == 1 {
        format!("1 {what}")
    } else {
        format!("{how_many} {what}s")
    }
}

/// A receipt of `units` that left the product's stock at `stock`.
pub(super) fn note_receipt(tx: &mut dyn Tx, sku: &Sku, units: u32, stock: u32) {
    let detail = match stock_change(stock_before(tx, sku), stock) {
        Some(change) => format!("{units} received, {change}"),
        None => format!("{units} received"),
    };
    note(
        tx,
        Audited::new(AuditOperation::ProductReceipt, sku.as_str()).with_detail(Some(detail)),
    );
}

/// Writes the line of the write that just did its work, as `actor`'s, at
/// `now_ms`: in its transaction, before the commit.
pub(super) async fn record(
    tx: &mut dyn Tx,
    actor: &Actor,
    now_ms: i64,
) -> Result<(), StoreFailure> {
    let Some(what) = tx.notes().audit.take() else {
        return Ok(());
    };
    tx.add_audit(&rfc3339(now_ms.div_euclid(1000)), actor, &what)
        .await
}

/// A page of the log, newest first, and the cursor of the next one.
#[derive(Clone, Debug)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
    /// `before` for the next page; `None` when this one is the last.
    pub next_before: Option<i64>,
}

impl Shop {
    /// This shop acting for `actor` (an admin caller, the command line):
    /// each admin write it makes writes a line of the audit log in its own
    /// transaction.
    pub fn acting_for(&self, actor: Actor) -> Shop {
        Shop {
            actor: Some(Arc::new(actor)),
            ..self.clone()
        }
    }

    /// A page of the audit log, newest first.
    pub async fn audit_log(&self, page: AuditPage) -> Result<AuditLog, StoreFailure> {
        // One more than asked: whether there is a next page.
        let mut entries = self
            .read(move |tx| {
                Box::pin(async move { tx.audit_lines(page.before, page.limit + 1).await })
            })
            .await?;
        let more = entries.len() > page.limit as usize;
        entries.truncate(page.limit as usize);
        let next_before = more
            .then(|| entries.last().map(|entry| entry.seq))
            .flatten();
        Ok(AuditLog {
            entries,
            next_before,
        })
    }

    /// Deletes the lines older than 90 days; returns how many. (The
    /// application runs it at start and at each day change.)
    pub async fn forget_old_audit(&self) -> Result<u64, StoreFailure> {
        let cutoff_seconds = self.clock.unix_seconds() - AUDIT_RETENTION_DAYS * SECONDS_PER_DAY;
        let cutoff = Arc::new(rfc3339(cutoff_seconds));
        self.write(move |tx| {
            let cutoff = Arc::clone(&cutoff);
            Box::pin(async move { tx.forget_audit_before(&cutoff).await })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::Date;
    use crate::server::clock::TestClock;
    use crate::server::ops::OperationError;
    use crate::server::store::Store;

    fn supplier_put() -> Audited {
        Audited::new(AuditOperation::SupplierPut, "S")
    }

    async fn lines(shop: &Shop) -> Vec<AuditEntry> {
        let page = AuditPage {
            limit: 500,
            before: None,
        };
        shop.audit_log(page).await.unwrap().entries
    }

    #[tokio::test]
    async fn a_line_is_written_in_the_writes_own_transaction_and_only_for_an_actor() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(TestClock::at(Date::parse_iso("2026-03-02").unwrap()));
        let shop = Shop::new(Store::open(&dir.path().join("audit.db")).unwrap(), clock);
        let admin = shop.acting_for(Actor::cli());

        // Noted, then refused: rolled back, and the line with it.
        let refused = admin
            .write(|tx| {
                Box::pin(async move {
                    note(tx, supplier_put());
                    Err::<(), _>(OperationError::UnknownProduct)
                })
            })
            .await;
        assert!(matches!(refused, Err(OperationError::UnknownProduct)));
        // A line the work wrote itself goes too.
        let refused = admin
            .write(|tx| {
                Box::pin(async move {
                    tx.add_audit("2026-03-02T12:00:00Z", &Actor::cli(), &supplier_put())
                        .await?;
                    Err::<(), _>(OperationError::InStock)
                })
            })
            .await;
        assert!(matches!(refused, Err(OperationError::InStock)));
        // Nothing noted: nothing changed, no line.
        admin
            .write(|_tx| Box::pin(async move { Ok::<_, StoreFailure>(()) }))
            .await
            .unwrap();
        // Noted, without anyone to act for (seeding, tests): no line.
        shop.write(|tx| {
            Box::pin(async move {
                note(tx, supplier_put());
                Ok::<_, StoreFailure>(())
            })
        })
        .await
        .unwrap();
        assert_eq!(lines(&shop).await, Vec::new());

        admin
            .write(|tx| {
                Box::pin(async move {
                    note(tx, supplier_put());
                    Ok::<_, StoreFailure>(())
                })
            })
            .await
            .unwrap();
        let found = lines(&shop).await;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].actor, Actor::cli());
        assert_eq!(found[0].what, supplier_put());
        assert!(
            found[0].at.starts_with("2026-03-02T12:00"),
            "{:?}",
            found[0]
        );
    }
}
