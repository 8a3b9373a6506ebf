//! The operations' own tests, on SQLite (the API suite runs against both
//! stores). Time is a test clock: leases and retries come due when it jumps.

use super::*;
use crate::logic::{BackorderPolicy, Date, PurchaseOrder};
use crate::server::clock::TestClock;
use crate::server::domain::{
    AttemptOutcome, Due, Email, EventType, Finished, NewReservation, ProductSettings, Quantity,
    Sku, WebhookUrl,
};
use crate::server::domain::{PlannedOrder, PurchaseOrderId, ReceiptRequest};
use rusqlite::Connection;

fn today() -> Date {
    Date::parse_iso("2026-03-02").unwrap()
}

fn sku() -> Sku {
    Sku::parse("TR-1").unwrap()
}

/// A shop on a SQLite file in `dir`, and the clock it runs by.
fn open(path: &std::path::Path) -> (Shop, Arc<TestClock>) {
    let clock = Arc::new(TestClock::at(today()));
    let shop = Shop::new(Store::open(path).unwrap(), clock.clone());
    (shop, clock)
}

fn one_unit() -> NewReservation {
    NewReservation {
        sku: sku(),
        quantity: Quantity::new(1).unwrap(),
        email: Email::parse("a@example.com").unwrap(),
        idempotency_key: None,
        lang: None,
    }
}

fn settings() -> ProductSettings {
    ProductSettings {
        name: "Trail Runner".into(),
        stock: 5,
        safety_stock: 1,
        low_stock_threshold: 2,
        backorders: BackorderPolicy::Allow,
        backorder_limit: Some(10),
        lead_time_days: 21,
        incoming: vec![PlannedOrder::new(3, Date::parse_iso("2026-12-01").unwrap())],
        max_per_customer: Some(4),
        supplier: None,
        service_level: crate::server::domain::ServiceLevel::DEFAULT,
    }
}

fn receipt(units: u32) -> ReceiptRequest {
    ReceiptRequest {
        units,
        purchase_order: None,
        received_on: today(),
    }
}

#[tokio::test]
async fn products_survive_reopening_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let (store, _) = open(&path);
    assert!(store.is_empty().await.unwrap());
    store.put_product(sku(), settings()).await.unwrap();
    drop(store);

    let (reopened, _) = open(&path);
    let product = reopened.product(&sku()).await.unwrap().unwrap();
    assert_eq!(product.name, "Trail Runner");
    assert_eq!(product.inventory.stock, 5);
    assert_eq!(product.inventory.backorder_limit, Some(10));
    assert_eq!(
        product.inventory.incoming,
        vec![PurchaseOrder {
            quantity: 3,
            eta: Date::parse_iso("2026-12-01").unwrap(),
        }]
    );
    assert!(product.orders[0].id.as_str().starts_with("po_"));
    assert_eq!(product.max_per_customer, Some(4));
    let nope = Sku::parse("NOPE").unwrap();
    assert!(reopened.product(&nope).await.unwrap().is_none());
}

#[tokio::test]
async fn purchase_orders_stored_without_numbers_get_the_same_ones_until_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let (store, _) = open(&path);
    store.put_product(sku(), settings()).await.unwrap();
    drop(store);
    // As a server before purchase-order numbers wrote them.
    Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE products SET incoming = '[{\"quantity\":3,\"eta\":\"2026-12-01\"},{\"quantity\":2,\"eta\":\"2026-11-01\"}]'",
            [],
        )
        .unwrap();
    let (store, _) = open(&path);
    let ids = |product: &crate::server::domain::Product| -> Vec<String> {
        product
            .orders
            .iter()
            .map(|order| order.id.to_string())
            .collect()
    };
    let read = store.product_from_database(&sku()).await.unwrap().unwrap();
    assert_eq!(ids(&read), ["po_1", "po_2"]);
    let again = store.product_from_database(&sku()).await.unwrap().unwrap();
    assert_eq!(ids(&again), ["po_1", "po_2"], "the same on every read");
    let named = ReceiptRequest {
        purchase_order: Some(PurchaseOrderId::parse("po_1", "id").unwrap()),
        ..receipt(1)
    };
    store.receive(sku(), named).await.unwrap();
    let after = store.product_from_database(&sku()).await.unwrap().unwrap();
    assert_eq!(ids(&after), ["po_1", "po_2"], "kept by the write");
    assert_eq!(after.orders[0].quantity, 2, "the named order was reduced");
    assert_eq!(after.orders[0].received_on, Some(today()));
    assert_eq!(after.orders[1].received_on, None);
}

#[tokio::test]
async fn putting_settings_again_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(&dir.path().join("store.db"));
    store.put_product(sku(), settings()).await.unwrap();
    let changed = ProductSettings {
        stock: 0,
        backorders: BackorderPolicy::Deny,
        ..settings()
    };
    let product = store.put_product(sku(), changed).await.unwrap();
    assert_eq!(product.inventory.stock, 0);
    assert_eq!(product.inventory.backorders, BackorderPolicy::Deny);
}

#[tokio::test]
async fn a_change_is_published_only_once_it_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let (store, _) = open(&path);
    store.put_product(sku(), settings()).await.unwrap();
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
    let outcome = store.receive(sku(), receipt(7)).await.unwrap();
    let (change, stock_when_told) = watcher.await.unwrap();
    assert_eq!(
        change.changed,
        crate::server::feed::Changed::Product("TR-1".into())
    );
    assert_eq!(stock_when_told, outcome.stock, "told before the commit");

    // A write that fails after it changed the product publishes nothing.
    let (mut changes, _) = store.feed().subscribe();
    let failed = store
        .write(|tx| {
            Box::pin(async move {
                placing::place(tx, &one_unit(), today(), "2026-03-02T12:00:00Z").await?;
                assert_eq!(tx.notes().touched.len(), 1, "the product was changed");
                Err::<(), _>(OperationError::UnknownProduct)
            })
        })
        .await;
    assert!(failed.is_err());
    assert!(
        changes.try_recv().is_err(),
        "a rolled-back write was published"
    );
    let product = store.product_from_database(&sku()).await.unwrap().unwrap();
    assert_eq!(
        product.inventory.stock, outcome.stock,
        "and it was rolled back"
    );
}

/// A store with product TR-1 and an endpoint taking `events`.
async fn with_endpoint(
    dir: &tempfile::TempDir,
    events: Option<Vec<EventType>>,
) -> (Shop, Arc<TestClock>) {
    let (store, clock) = open(&dir.path().join("store.db"));
    store.put_product(sku(), settings()).await.unwrap();
    store
        .add_endpoint(
            WebhookUrl::parse("http://127.0.0.1:9/hooks").unwrap(),
            events,
            "whsec_AAAA".into(),
            "2026-03-02T12:00:00Z".into(),
        )
        .await
        .unwrap();
    (store, clock)
}

/// The outbox is written in the change's transaction: a write that fails
/// after its events were written leaves none behind.
#[tokio::test]
async fn a_rolled_back_write_leaves_no_event() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = with_endpoint(&dir, None).await;
    let request = Arc::new(one_unit());
    let today = today();
    let placed_then_failed = {
        let request = Arc::clone(&request);
        store
            .write(move |tx| {
                let request = Arc::clone(&request);
                Box::pin(async move {
                    placing::place(tx, &request, today, "2026-03-02T12:00:00Z").await?;
                    // Fails after the reservation and its events were written.
                    Err::<(), _>(OperationError::UnknownProduct)
                })
            })
            .await
    };
    assert!(placed_then_failed.is_err());
    // Whatever might have been written would be due a year on.
    clock.advance_days(365);
    let due = store.claim_deliveries(1_000, 100, true).await.unwrap();
    assert!(due.is_empty(), "{due:?}");
    assert!(
        store
            .reservations_of("TR-1".into())
            .await
            .unwrap()
            .is_empty()
    );

    store
        .place((*request).clone(), today, "2026-03-02T12:00:00Z".into())
        .await
        .unwrap();
    clock.advance_millis(1);
    let due = store.claim_deliveries(1_000, 100, true).await.unwrap();
    let types: Vec<&str> = due
        .iter()
        .map(|delivery| delivery.body.split('"').nth(3).unwrap())
        .collect();
    assert_eq!(
        types,
        ["reservation.created"],
        "the next in line waits: in order"
    );
    // Delivered: the same transaction claims the next of its line.
    let delivered = Finished {
        endpoint_id: due[0].endpoint_id.clone(),
        event_seq: due[0].event_seq,
        attempt: 1,
        attempted_ms: 0,
        status_code: Some(200),
        error: None,
        outcome: AttemptOutcome::Delivered,
        next_retry_ms: None,
        lease_until_ms: due[0].lease_until_ms,
    };
    let (finished, next) = store
        .finish_delivery(delivered, Some((due[0].sku.clone(), 1_000)))
        .await
        .unwrap();
    assert!(finished);
    let next = next.expect("the next of the line");
    assert!(next.body.contains("\"reservation.ready\""), "{}", next.body);
}

/// A server whose lease ran out (another took the delivery over) cannot
/// overwrite what the new holder records.
#[tokio::test]
async fn only_the_current_lease_finishes_a_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = with_endpoint(&dir, Some(vec![EventType::ReservationCreated])).await;
    store
        .place(one_unit(), today(), "2026-03-02T12:00:00Z".into())
        .await
        .unwrap();
    // Leases far longer than this test takes: only the clock's jumps count.
    let lease_ms = 60_000;
    let first = store.claim_deliveries(lease_ms, 10, true).await.unwrap();
    assert_eq!(first.len(), 1);
    clock.advance_millis(lease_ms / 2);
    assert!(
        store
            .claim_deliveries(lease_ms, 10, true)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    // The lease ran out: another claim takes it over.
    clock.advance_millis(lease_ms);
    let second = store.claim_deliveries(lease_ms, 10, true).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].event_id, first[0].event_id);
    let finish = |due: &Due, outcome| Finished {
        endpoint_id: due.endpoint_id.clone(),
        event_seq: due.event_seq,
        attempt: 1,
        attempted_ms: clock.unix_millis(),
        status_code: Some(204),
        error: None,
        outcome,
        next_retry_ms: None,
        lease_until_ms: due.lease_until_ms,
    };
    let finished = |due: &Due, outcome| store.finish_delivery(finish(due, outcome), None);
    // The first holder finishes late, while the second's lease runs.
    let (late, _) = finished(&first[0], AttemptOutcome::Retrying).await.unwrap();
    assert!(!late, "the late finish changes nothing");
    clock.advance_millis(lease_ms / 4);
    assert!(
        store
            .claim_deliveries(lease_ms, 10, true)
            .await
            .unwrap()
            .is_empty(),
        "still the second holder's"
    );
    let (current, _) = finished(&second[0], AttemptOutcome::Delivered)
        .await
        .unwrap();
    assert!(current);
    clock.advance_days(1);
    assert!(
        store
            .claim_deliveries(lease_ms, 10, true)
            .await
            .unwrap()
            .is_empty(),
        "delivered: nothing is due any more"
    );
    let endpoint = first[0].endpoint_id.clone();
    let (_, attempts) = store.attempts_of(endpoint, 10).await.unwrap().unwrap();
    assert_eq!(attempts.len(), 1, "one attempt logged: the one that counts");
}
