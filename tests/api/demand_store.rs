//! The demand rows and the observed lead times, on the store itself: where
//! the two backends could differ (upserts that add, text dates as ranges,
//! grouping, window functions), each is checked on SQLite, and on
//! PostgreSQL in the second run.

use crate::support::{TestDatabase, product, test_today};
use std::sync::Arc;
use std::time::Instant;
use stock_widget::logic::Date;
use stock_widget::server::domain::demand::DemandDay;
use stock_widget::server::domain::{
    PurchaseOrderId, Sku, SupplierId, SupplierReceipt, SupplierSettings,
};
use stock_widget::server::store::{Connections, Database, DayDemand, Store, StoreFailure, Work};
use stock_widget::server::{Shop, TestClock};

fn day(text: &str) -> Date {
    Date::parse_iso(text).unwrap()
}

fn sku(text: &str) -> Sku {
    Sku::parse(text).unwrap()
}

/// A fresh database with these products, and the store on it.
async fn store_with(skus: &[&str]) -> (Arc<TestDatabase>, Store) {
    let database = Arc::new(TestDatabase::new().await);
    let shop = database.open().await;
    for text in skus {
        shop.put_product(sku(text), product(text, 1)).await.unwrap();
    }
    let store = Store::connect(&database.database, Connections::default())
        .await
        .unwrap();
    (database, store)
}

async fn write<T: Send + 'static>(store: &Store, work: impl Work<T, StoreFailure>) -> T {
    store.write(work).await.unwrap()
}

async fn read<T: Send + 'static>(store: &Store, work: impl Work<T, StoreFailure>) -> T {
    store.read(work).await.unwrap()
}

async fn days_of(store: &Store, text: &'static str, from: &str, to: &str) -> Vec<DayDemand> {
    let (from, to) = (day(from), day(to));
    read(store, move |tx| {
        Box::pin(async move { tx.demand_of(&sku(text), from, to).await })
    })
    .await
}

#[tokio::test]
async fn demand_adds_up_is_replaced_and_is_read_by_window() {
    let (_database, store) = store_with(&["MUG", "CUP", "BOWL", "mug-2"]).await;
    write(&store, |tx| {
        Box::pin(async move {
            tx.add_demand(&sku("MUG"), day("2026-03-01"), 2, 1).await?;
            tx.add_demand(&sku("MUG"), day("2026-03-01"), 3, 0).await?;
            tx.add_demand(&sku("MUG"), day("2026-02-28"), 1, 1).await?;
            tx.add_demand(&sku("CUP"), day("2026-03-02"), 4, 0).await?;
            tx.add_demand(&sku("mug-2"), day("2026-03-01"), 1, 0).await
        })
    })
    .await;
    assert_eq!(
        days_of(&store, "MUG", "2026-02-01", "2026-04-01").await,
        [(day("2026-02-28"), 1, 1), (day("2026-03-01"), 5, 1)]
    );
    // [from, to): the day `to` is out, the day `from` in.
    assert_eq!(
        days_of(&store, "MUG", "2026-03-01", "2026-03-02").await,
        [(day("2026-03-01"), 5, 1)]
    );
    assert!(
        days_of(&store, "MUG", "2026-02-01", "2026-02-28")
            .await
            .is_empty()
    );

    // A replaced day takes the units given and keeps its backordered units;
    // a new one has none on backorder.
    write(&store, |tx| {
        Box::pin(async move {
            let days = [
                DemandDay {
                    sku: sku("MUG"),
                    day: day("2026-03-01"),
                    units: 9,
                },
                DemandDay {
                    sku: sku("MUG"),
                    day: day("2026-01-15"),
                    units: 7,
                },
            ];
            tx.replace_demand(&days).await
        })
    })
    .await;
    assert_eq!(
        days_of(&store, "MUG", "2026-01-01", "2026-04-01").await,
        [
            (day("2026-01-15"), 7, 0),
            (day("2026-02-28"), 1, 1),
            (day("2026-03-01"), 9, 1)
        ]
    );

    // Every product's days of a window, by SKU then day; BOWL has none.
    let all = read(&store, |tx| {
        Box::pin(async move {
            tx.demand_between(day("2026-02-28"), day("2026-03-02"))
                .await
        })
    })
    .await;
    let skus: Vec<&str> = all.iter().map(|(sku, _)| sku.as_str()).collect();
    assert_eq!(
        skus,
        ["MUG", "mug-2"],
        "each SKU with days once, in byte order"
    );
    let of = |text: &str| {
        all.iter()
            .find(|(sku, _)| sku.as_str() == text)
            .map(|(_, days)| days.clone())
    };
    assert_eq!(
        of("MUG").unwrap(),
        [(day("2026-02-28"), 1, 1), (day("2026-03-01"), 9, 1)]
    );
    assert_eq!(of("mug-2").unwrap(), [(day("2026-03-01"), 1, 0)]);
    assert_eq!(of("CUP"), None, "2026-03-02 is past the window");
    assert_eq!(of("BOWL"), None);

    let unknown = read(&store, |tx| {
        Box::pin(async move {
            tx.unknown_products(&[sku("MUG"), sku("GHOST"), sku("CUP"), sku("GHOST")])
                .await
        })
    })
    .await;
    assert_eq!(unknown, [sku("GHOST")]);
}

fn receipt(
    supplier: &str,
    order: usize,
    ordered_on: Option<Date>,
    received_on: Date,
) -> SupplierReceipt {
    SupplierReceipt {
        supplier: SupplierId::parse(supplier, "id").unwrap(),
        sku: sku("MUG"),
        purchase_order: PurchaseOrderId::parse(&format!("PO-{order}"), "id").unwrap(),
        eta: received_on,
        ordered_on,
        received_on,
    }
}

#[tokio::test]
async fn observed_lead_times_are_the_last_twenty_orders_with_an_order_date() {
    let (database, store) = store_with(&["MUG"]).await;
    let shop = database.open().await;
    for id in ["ACME", "ZETA", "IDLE"] {
        let settings = SupplierSettings {
            name: id.into(),
            lead_time_days: 10,
        };
        shop.put_supplier(SupplierId::parse(id, "id").unwrap(), settings)
            .await
            .unwrap();
    }
    // ACME: 30 orders received a day apart, ordered 1, 2, … 30 days before;
    // every fifth without an order date. ZETA: two, on one day.
    write(&store, |tx| {
        Box::pin(async move {
            let start = day("2026-01-01");
            for order in 1..=30 {
                let received = start.plus_days(order as u32);
                let ordered = (order % 5 != 0).then(|| {
                    Date::from_days_since_epoch(received.days_since_epoch() - order as i64)
                });
                tx.add_to_record(&receipt("ACME", order, ordered, received))
                    .await?;
            }
            tx.add_to_record(&receipt(
                "ZETA",
                1,
                Some(day("2026-02-01")),
                day("2026-02-11"),
            ))
            .await?;
            tx.add_to_record(&receipt(
                "ZETA",
                2,
                Some(day("2026-02-10")),
                day("2026-02-11"),
            ))
            .await
        })
    })
    .await;
    let dated: Vec<i32> = (1..=30).filter(|order| order % 5 != 0).collect();
    let last_twenty = dated[dated.len() - 20..].to_vec();
    assert_eq!(last_twenty[0], 6, "1 to 4 are older than the last twenty");
    let observed = read(&store, |tx| {
        Box::pin(async move {
            tx.observed_lead_times(&SupplierId::parse("ACME", "id").unwrap())
                .await
        })
    })
    .await;
    assert_eq!(
        observed, last_twenty,
        "oldest first, orders without a date left out"
    );
    let all = read(&store, |tx| {
        Box::pin(async move { tx.all_observed_lead_times().await })
    })
    .await;
    let all: Vec<(String, Vec<i32>)> = all
        .into_iter()
        .map(|(id, days)| (id.to_string(), days))
        .collect();
    assert_eq!(
        all,
        [
            ("ACME".to_owned(), last_twenty),
            ("ZETA".to_owned(), vec![10, 1])
        ],
        "by id, in receipt order; a supplier without one absent"
    );
}

/// The insight list's read: 10 000 products × 90 days, out of a year of
/// history, in one query. Run by hand, in the production profile (it writes
/// 3.65 million rows): `cargo test --profile server --test api
/// a_catalogs_ninety_days -- --ignored --nocapture` (and with
/// `STOCK_WIDGET_TEST_STORE=postgres`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn a_catalogs_ninety_days_are_read_in_under_a_second() {
    let skus: Vec<String> = (0..10_000).map(|index| format!("SKU-{index:05}")).collect();
    let database = Arc::new(TestDatabase::new().await);
    let patient = Connections {
        transaction_timeout: std::time::Duration::from_secs(600),
        ..Connections::default()
    };
    let clock = Arc::new(TestClock::at(test_today()));
    let shop = Shop::connect(&database.database, patient, clock)
        .await
        .unwrap();
    let products: Vec<_> = skus
        .iter()
        .map(|text| (sku(text), product(text, 1)))
        .collect();
    shop.put_products(products, Default::default())
        .await
        .unwrap();
    let store = Store::connect(&database.database, patient).await.unwrap();
    let first = day("2025-03-02");
    let skus = Arc::new(skus);
    let started = Instant::now();
    write(&store, move |tx| {
        let skus = Arc::clone(&skus);
        Box::pin(async move {
            let mut days = Vec::with_capacity(10_000);
            for offset in 0..365 {
                days.clear();
                for (index, text) in skus.iter().enumerate() {
                    days.push(DemandDay {
                        sku: sku(text),
                        day: first.plus_days(offset),
                        units: (index as u32 + offset) % 7,
                    });
                }
                tx.replace_demand(&days).await?;
            }
            Ok(())
        })
    })
    .await;
    eprintln!("wrote 3 650 000 days in {:?}", started.elapsed());
    if let Database::Postgres(url) = &database.database {
        // As autovacuum leaves a table that grew a day at a time (a bulk
        // load read at once would first set every row's hint bits).
        let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(url)
            .await
            .unwrap();
        sqlx::query("VACUUM ANALYZE demand")
            .execute(&mut connection)
            .await
            .unwrap();
    }
    for _ in 0..3 {
        let started = Instant::now();
        let all = read(&store, |tx| {
            Box::pin(async move {
                tx.demand_between(day("2025-12-02"), day("2026-03-02"))
                    .await
            })
        })
        .await;
        let elapsed = started.elapsed();
        eprintln!(
            "read {} products × {} days in {elapsed:?}",
            all.len(),
            all[0].1.len()
        );
        assert_eq!((all.len(), all[0].1.len()), (10_000, 90));
        assert!(elapsed.as_secs_f64() < 1.0, "{elapsed:?}");
    }
}
