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

/// A store with product TR-1 and an endpoint taking `events`.
async fn with_endpoint(
    dir: &tempfile::TempDir,
    events: Option<Vec<crate::server::webhooks::events::EventType>>,
) -> Store {
    let store = Store::open(&dir.path().join("store.db")).unwrap();
    store.put_product("TR-1".into(), settings()).await.unwrap();
    store
        .add_endpoint(
            "http://127.0.0.1:9/hooks".into(),
            events,
            "whsec_AAAA".into(),
            "2026-03-02T12:00:00Z".into(),
        )
        .await
        .unwrap();
    store
}

/// The outbox is written in the change's transaction: a write that fails
/// after its events were written leaves none behind.
#[tokio::test]
async fn a_rolled_back_write_leaves_no_event() {
    let dir = tempfile::tempdir().unwrap();
    let store = with_endpoint(&dir, None).await;
    let request = Arc::new(NewReservation {
        sku: "TR-1".into(),
        quantity: 1,
        email: "a@example.com".into(),
        idempotency_key: None,
    });
    let today = Date::parse_iso("2026-03-02").unwrap();
    let placed_then_failed = {
        let request = Arc::clone(&request);
        store
            .write(move |tx| {
                let request = Arc::clone(&request);
                Box::pin(async move {
                    reservations::place(tx, &request, today, "2026-03-02T12:00:00Z").await?;
                    // Fails after the reservation and its events were written.
                    Err::<(), _>(OperationError::UnknownProduct)
                })
            })
            .await
    };
    assert!(placed_then_failed.is_err());
    let far_future = i64::MAX / 2;
    let due = store
        .claim_deliveries(1_000, 100, true, Some(far_future))
        .await
        .unwrap();
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
    let due = store
        .claim_deliveries(1_000, 100, true, Some(far_future))
        .await
        .unwrap();
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
        .finish_delivery(
            delivered,
            Some((due[0].sku.clone(), 1_000)),
            Some(far_future),
        )
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
    let store = with_endpoint(
        &dir,
        Some(vec![
            crate::server::webhooks::events::EventType::ReservationCreated,
        ]),
    )
    .await;
    let request = NewReservation {
        sku: "TR-1".into(),
        quantity: 1,
        email: "a@example.com".into(),
        idempotency_key: None,
    };
    let today = Date::parse_iso("2026-03-02").unwrap();
    store
        .place(request, today, "2026-03-02T12:00:00Z".into())
        .await
        .unwrap();
    let now = crate::server::clock::real_unix_millis();
    let first = store
        .claim_deliveries(1_000, 10, true, Some(now))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert!(
        store
            .claim_deliveries(1_000, 10, true, Some(now + 500))
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    // The lease ran out: another claim takes it over.
    let second = store
        .claim_deliveries(1_000, 10, true, Some(now + 2_000))
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].event_id, first[0].event_id);
    let finish = |due: &Due, outcome| Finished {
        endpoint_id: due.endpoint_id.clone(),
        event_seq: due.event_seq,
        attempt: 1,
        attempted_ms: now,
        status_code: Some(204),
        error: None,
        outcome,
        next_retry_ms: None,
        lease_until_ms: due.lease_until_ms,
    };
    let finished =
        |due: &Due, outcome| store.finish_delivery(finish(due, outcome), None, Some(now + 2_100));
    // The first holder finishes late, while the second's lease runs.
    let (late, _) = finished(&first[0], AttemptOutcome::Retrying).await.unwrap();
    assert!(!late, "the late finish changes nothing");
    assert!(
        store
            .claim_deliveries(1_000, 10, true, Some(now + 2_500))
            .await
            .unwrap()
            .is_empty(),
        "still the second holder's"
    );
    let (current, _) = finished(&second[0], AttemptOutcome::Delivered)
        .await
        .unwrap();
    assert!(current);
    assert!(
        store
            .claim_deliveries(1_000, 10, true, Some(now + 10_000_000))
            .await
            .unwrap()
            .is_empty()
    );
    let (_, attempts) = store
        .attempts_of(first[0].endpoint_id.clone(), 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attempts.len(), 1, "one attempt logged: the one that counts");
}
