//! The store's snapshot against the database itself, on either store (the
//! API suite runs on SQLite and again on PostgreSQL).

use crate::support::{TestDatabase, product};
use stock_widget::logic::{BackorderPolicy, Date};
use stock_widget::server::domain::{
    Email, NewReservation, PlannedOrder, ProductSettings, Quantity, ReceiptRequest, ReservationId,
    Sku,
};

fn settings() -> ProductSettings {
    ProductSettings {
        backorders: BackorderPolicy::Allow,
        backorder_limit: Some(10),
        safety_stock: 1,
        low_stock_threshold: 2,
        lead_time_days: 21,
        incoming: vec![PlannedOrder::new(3, Date::parse_iso("2026-12-01").unwrap())],
        max_per_customer: Some(4),
        ..product("Trail Runner", 5)
    }
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
    let database = TestDatabase::new().await;
    let store = database.open().await;
    // The snapshot is kept only while the feed follows the database.
    let _following = store.follow().await.unwrap();
    assert!(store.feed().is_following());
    let today = Date::parse_iso("2026-03-02").unwrap();
    let skus = ["A", "B", "C"];
    for sku in skus {
        store
            .put_product(Sku::parse(sku).unwrap(), settings())
            .await
            .unwrap();
    }
    let mut dice = Dice(0x5eed);
    let mut placed: Vec<String> = Vec::new();
    for step in 0..300 {
        let sku = Sku::parse(skus[dice.roll(3) as usize]).unwrap();
        match dice.roll(4) {
            0 => {
                let request = NewReservation {
                    sku: sku.clone(),
                    quantity: Quantity::new((1 + dice.roll(6)).into()).unwrap(),
                    email: Email::parse(&format!("shopper{}@example.com", dice.roll(4))).unwrap(),
                    idempotency_key: None,
                    lang: None,
                };
                if let Ok(reservation) = store.place(request, today, "now".into()).await {
                    placed.push(reservation.reservation.id);
                }
            }
            1 if !placed.is_empty() => {
                let id = placed[dice.roll(placed.len() as u32) as usize].clone();
                let id = ReservationId::parse(&id).unwrap();
                store.cancel(id, today, "now".into()).await.unwrap();
            }
            2 => {
                let _ = store
                    .receive(
                        sku.clone(),
                        ReceiptRequest {
                            units: 1 + dice.roll(8),
                            purchase_order: None,
                            received_on: today,
                        },
                    )
                    .await;
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
            let sku = Sku::parse(sku).unwrap();
            let snapshot = store.product(&sku).await.unwrap().unwrap();
            let database = store.product_from_database(&sku).await.unwrap().unwrap();
            assert_eq!(*snapshot, database, "step {step}, {sku}");
        }
    }
    assert!(placed.len() > 20, "the walk placed reservations");
}
