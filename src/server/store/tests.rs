//! The store's own tests (SQLite; the API suite runs against both stores).

use super::*;
use crate::logic::{Date, PurchaseOrder};
use rusqlite::Connection;

fn settings() -> ProductSettings {
    ProductSettings {
        name: "Trail Runner".into(),
        stock: 5,
        safety_stock: 1,
        low_stock_threshold: 2,
        backorders: BackorderPolicy::Allow,
        backorder_limit: Some(10),
        lead_time_days: 21,
        incoming: vec![PurchaseOrder {
            quantity: 3,
            eta: Date::parse_iso("2026-12-01").unwrap(),
        }],
        max_per_customer: Some(4),
    }
}

#[tokio::test]
async fn products_survive_reopening_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = Store::open(&path).unwrap();
    assert!(store.is_empty().await.unwrap());
    store.put_product("TR-1".into(), settings()).await.unwrap();
    drop(store);

    let reopened = Store::open(&path).unwrap();
    let product = reopened.product("TR-1".into()).await.unwrap().unwrap();
    assert_eq!(product.name, "Trail Runner");
    assert_eq!(product.inventory.stock, 5);
    assert_eq!(product.inventory.backorder_limit, Some(10));
    assert_eq!(product.inventory.incoming, settings().incoming);
    assert_eq!(product.max_per_customer, Some(4));
    assert!(reopened.product("NOPE".into()).await.unwrap().is_none());
}

#[tokio::test]
async fn putting_settings_again_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.db")).unwrap();
    store.put_product("TR-1".into(), settings()).await.unwrap();
    let changed = ProductSettings {
        stock: 0,
        backorders: BackorderPolicy::Deny,
        ..settings()
    };
    let product = store.put_product("TR-1".into(), changed).await.unwrap();
    assert_eq!(product.inventory.stock, 0);
    assert_eq!(product.inventory.backorders, BackorderPolicy::Deny);
}

/// A small deterministic generator: the same "random" writes every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(sides)) as u32
    }
}

#[tokio::test]
async fn the_snapshot_answers_what_the_database_answers_after_random_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.db")).unwrap();
    let today = Date::parse_iso("2026-03-02").unwrap();
    let skus = ["A", "B", "C"];
    for sku in skus {
        store.put_product(sku.into(), settings()).await.unwrap();
    }
    let mut dice = Dice(0x5eed);
    let mut placed: Vec<String> = Vec::new();
    for step in 0..300 {
        let sku = skus[dice.roll(3) as usize].to_string();
        match dice.roll(4) {
            0 => {
                let request = NewReservation {
                    sku: sku.clone(),
                    quantity: 1 + dice.roll(6),
                    email: format!("shopper{}@example.com", dice.roll(4)),
                    idempotency_key: None,
                };
                if let Ok(reservation) = store.place(request, today, "now".into()).await {
                    placed.push(reservation.id);
                }
            }
            1 if !placed.is_empty() => {
                let id = placed[dice.roll(placed.len() as u32) as usize].clone();
                store.cancel(id, today, "now".into()).await.unwrap();
            }
            2 => {
                let _ = store.receive(sku.clone(), 1 + dice.roll(8)).await;
            }
            _ => {
                let changed = ProductSettings {
                    stock: dice.roll(6),
                    safety_stock: dice.roll(2),
                    backorders: if dice.roll(2) == 0 {
                        BackorderPolicy::Allow
                    } else {
                        BackorderPolicy::Deny
                    },
                    backorder_limit: Some(dice.roll(12)),
                    max_per_customer: Some(1 + dice.roll(5)),
                    ..settings()
                };
                store.put_product(sku.clone(), changed).await.unwrap();
            }
        }
        for sku in skus {
            let snapshot = store.product(sku.into()).await.unwrap().unwrap();
            let database = store
                .product_from_database(sku.into())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(*snapshot, database, "step {step}, {sku}");
        }
    }
    assert!(placed.len() > 20, "the walk placed reservations");
}

#[tokio::test]
async fn a_change_is_published_only_once_it_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = Store::open(&path).unwrap();
    store.put_product("TR-1".into(), settings()).await.unwrap();
    let (mut changes, _) = store.feed().subscribe();
    // Another connection to the file: it sees only committed data.
    let outsider = Connection::open(&path).unwrap();
    let stock_outside = move || -> u32 {
        outsider
            .query_row("SELECT stock FROM products WHERE sku = 'TR-1'", [], |row| {
                row.get(0)
            })
            .unwrap()
    };
    let watcher = tokio::spawn(async move {
        let change = changes.recv().await.unwrap();
        (change, stock_outside())
    });
    let outcome = store.receive("TR-1".into(), 7).await.unwrap();
    let (change, stock_when_told) = watcher.await.unwrap();
    assert_eq!(
        change.changed,
        crate::server::feed::Changed::Product("TR-1".into())
    );
    assert_eq!(stock_when_told, outcome.stock, "told before the commit");

    // A write that fails publishes nothing.
    let (mut changes, _) = store.feed().subscribe();
    let refused = store.receive("TR-1".into(), 0).await;
    assert!(refused.is_err());
    assert!(
        changes.try_recv().is_err(),
        "a rolled-back write was published"
    );
}
