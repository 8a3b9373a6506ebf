//! A group's requests are independent: a store failure or a lost race of
//! one leaves the others as they would have been alone (SQLite; the API
//! suite compares groups with one by one on both stores).

use super::super::placing::{Placed, place};
use super::super::{OperationError, Shop};
use super::Writes;
use crate::logic::{BackorderPolicy, Date};
use crate::server::clock::TestClock;
use crate::server::domain::{
    Email, IdempotencyKey, NewReservation, ProductSettings, Quantity, Sku,
};
use crate::server::store::{Store, StoreFailure, Work, as_work};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

fn today() -> Date {
    Date::parse_iso("2026-03-02").unwrap()
}

fn sku() -> Sku {
    Sku::parse("DROP").unwrap()
}

fn shopper(n: u32) -> NewReservation {
    NewReservation {
        sku: sku(),
        quantity: Quantity::new(1).unwrap(),
        email: Email::parse(&format!("shopper{n}@example.com")).unwrap(),
        idempotency_key: None,
        lang: None,
    }
}

async fn shop_with_stock(dir: &tempfile::TempDir, stock: u32) -> Shop {
    let shop = Shop::new(
        Store::open(&dir.path().join("group.db")).unwrap(),
        Arc::new(TestClock::at(today())),
    );
    let settings = ProductSettings {
        name: "Drop".into(),
        stock,
        safety_stock: 0,
        low_stock_threshold: 0,
        backorders: BackorderPolicy::Deny,
        backorder_limit: None,
        lead_time_days: 14,
        incoming: Vec::new(),
        max_per_customer: None,
        supplier: None,
        service_level: crate::server::domain::ServiceLevel::DEFAULT,
    };
    shop.put_product(sku(), settings).await.unwrap();
    shop
}

type Placing = Box<dyn Work<Placed, OperationError>>;

/// Places `request`; `before` decides first whether this run fails instead
/// (after its placement was written: the savepoint must undo it).
fn placing(
    request: NewReservation,
    before: impl Fn() -> Option<StoreFailure> + Send + Sync + 'static,
) -> Placing {
    let request = Arc::new(request);
    let before = Arc::new(before);
    Box::new(as_work(move |tx| {
        let request = Arc::clone(&request);
        let before = Arc::clone(&before);
        Box::pin(async move {
            let placed = place(tx, &request, today(), "2026-03-02T12:00:00Z").await?;
            match before() {
                Some(failure) => Err(OperationError::Store(failure)),
                None => Ok(placed),
            }
        })
    }))
}

/// The addresses of `shopper(n)` for these `n`, in this order.
fn shoppers(numbers: &[u32]) -> Vec<String> {
    numbers
        .iter()
        .map(|n| format!("shopper{n}@example.com"))
        .collect()
}

/// `shopper(n)` with the idempotency key `key`; and the key.
fn keyed_shopper(n: u32, key: &str) -> (NewReservation, IdempotencyKey) {
    let key = IdempotencyKey::parse(key).unwrap();
    let request = NewReservation {
        idempotency_key: Some(key.clone()),
        ..shopper(n)
    };
    (request, key)
}

async fn emails(shop: &Shop) -> Vec<String> {
    let records = shop.reservations_of("DROP".into()).await.unwrap();
    records.iter().map(|record| record.email.folded()).collect()
}

#[tokio::test]
async fn a_store_failure_undoes_only_its_own_request() {
    let dir = tempfile::tempdir().unwrap();
    let shop = shop_with_stock(&dir, 5).await;
    let answers = shop
        .write_as_one_group(vec![
            (placing(shopper(1), || None), Writes::MayHoldBack, None),
            (
                placing(shopper(2), || {
                    Some(StoreFailure::fault(anyhow::anyhow!("disk")))
                }),
                Writes::MayHoldBack,
                None,
            ),
            (placing(shopper(3), || None), Writes::MayHoldBack, None),
        ])
        .await;
    assert!(answers[0].is_ok() && answers[2].is_ok(), "{answers:?}");
    assert!(matches!(&answers[1], Err(OperationError::Store(_))));
    assert_eq!(emails(&shop).await, shoppers(&[1, 3]));
    let product = shop.product(&sku()).await.unwrap().unwrap();
    assert_eq!(product.inventory.stock, 3, "the failed one's unit is back");
}

#[tokio::test]
async fn a_request_that_lost_a_race_runs_again_after_the_others() {
    let dir = tempfile::tempdir().unwrap();
    // Two units: the one that lost its race comes back to find none left.
    let shop = shop_with_stock(&dir, 2).await;
    // It loses twice: first in the group run without savepoints (which a
    // store failure sends back to run with them), then in that one.
    let runs = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&runs);
    let answers = shop
        .write_as_one_group(vec![
            (
                placing(shopper(1), move || {
                    (counted.fetch_add(1, Ordering::Relaxed) < 2)
                        .then(|| StoreFailure::lost_race("a deadlock, say"))
                }),
                Writes::MayHoldBack,
                None,
            ),
            (placing(shopper(2), || None), Writes::MayHoldBack, None),
            (placing(shopper(3), || None), Writes::MayHoldBack, None),
        ])
        .await;
    // Its third run is refused before it asks (the last unit is gone).
    assert_eq!(runs.load(Ordering::Relaxed), 2, "it lost twice");
    assert!(answers[1].is_ok() && answers[2].is_ok(), "{answers:?}");
    assert!(
        matches!(&answers[0], Err(OperationError::Inventory(_))),
        "run again after the others, it finds the last unit gone: {answers:?}"
    );
    assert_eq!(emails(&shop).await, shoppers(&[2, 3]));
}

/// Holds a request mid-run until the test lets it go.
#[derive(Clone)]
struct Gate {
    started: Arc<std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>>,
    released: Arc<tokio::sync::Mutex<Option<tokio::sync::oneshot::Receiver<()>>>>,
}

impl Gate {
    /// The gate, what tells that a request reached it, and what lets it go.
    fn new() -> (
        Gate,
        tokio::sync::oneshot::Receiver<()>,
        tokio::sync::oneshot::Sender<()>,
    ) {
        let (started, reached) = tokio::sync::oneshot::channel();
        let (release, released) = tokio::sync::oneshot::channel();
        let gate = Gate {
            started: Arc::new(std::sync::Mutex::new(Some(started))),
            released: Arc::new(tokio::sync::Mutex::new(Some(released))),
        };
        (gate, reached, release)
    }

    async fn pass(&self) {
        if let Some(started) = self.started.lock().unwrap().take() {
            let _ = started.send(());
        }
        if let Some(released) = self.released.lock().await.take() {
            let _ = released.await;
        }
    }
}

/// Shopper `n`'s placement, noting whether it was decided on the product
/// as the requests before it left it in their transaction (a group's
/// primed copy): whether it joined their group.
fn noting_whether_it_joined(n: u32) -> (Placing, Arc<std::sync::atomic::AtomicBool>) {
    let joined = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let noted = Arc::clone(&joined);
    let work = as_work(move |tx| {
        let noted = Arc::clone(&noted);
        Box::pin(async move {
            noted.store(!tx.notes().primed.is_empty(), Ordering::Relaxed);
            place(tx, &shopper(n), today(), "2026-03-02T12:00:00Z").await
        })
    });
    (Box::new(work), joined)
}

fn in_lane(shop: &Shop, work: Placing) -> tokio::task::JoinHandle<Result<Placed, OperationError>> {
    let shop = shop.clone();
    tokio::spawn(async move { shop.place_grouped(&sku(), None, work).await })
}

#[tokio::test]
async fn a_request_that_comes_while_its_lane_decides_joins_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let shop = shop_with_stock(&dir, 5).await;
    let (gate, first_started, release) = Gate::new();
    // The first request of the group waits, mid-group, for the third to come.
    let first = as_work(move |tx| {
        let gate = gate.clone();
        Box::pin(async move {
            let placed = place(tx, &shopper(1), today(), "2026-03-02T12:00:00Z").await?;
            gate.pass().await;
            Ok::<_, OperationError>(placed)
        })
    });
    let (third, joined) = noting_whether_it_joined(3);
    let a = in_lane(&shop, Box::new(first));
    let b = in_lane(&shop, placing(shopper(2), || None));
    first_started.await.unwrap();
    let c = in_lane(&shop, third);
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    for answer in [a.await.unwrap(), b.await.unwrap(), c.await.unwrap()] {
        assert!(answer.is_ok(), "{answer:?}");
    }
    assert!(
        joined.load(Ordering::Relaxed),
        "the third joined the running group"
    );
    assert_eq!(emails(&shop).await, shoppers(&[1, 2, 3]));
}

/// A placement that began its group alone: it writes as a write alone does,
/// unless company came by its first write; then it holds back and the
/// company joins its transaction.
#[tokio::test]
async fn a_lone_placement_takes_the_company_that_comes_while_it_waits() {
    let dir = tempfile::tempdir().unwrap();
    let shop = shop_with_stock(&dir, 5).await;
    // Notes how many reservation inserts its placement left held back.
    let noting_held = |n: u32, held: Arc<AtomicU32>| {
        as_work(move |tx| {
            let held = Arc::clone(&held);
            Box::pin(async move {
                let placed = place(tx, &shopper(n), today(), "2026-03-02T12:00:00Z").await?;
                let count = tx.notes().held_back.reservations.len() as u32;
                held.store(count, Ordering::Relaxed);
                Ok::<_, OperationError>(placed)
            })
        })
    };
    let held_alone = Arc::new(AtomicU32::new(u32::MAX));
    shop.place_grouped(&sku(), None, noting_held(1, Arc::clone(&held_alone)))
        .await
        .unwrap();
    assert_eq!(
        held_alone.load(Ordering::Relaxed),
        0,
        "alone, it wrote at once"
    );

    // The second waits, before it places, for the third to come to the lane.
    let (gate, second_started, release) = Gate::new();
    let held_second = Arc::new(AtomicU32::new(u32::MAX));
    let second = {
        let placing = noting_held(2, Arc::clone(&held_second));
        as_work(move |tx| {
            let (gate, placing) = (gate.clone(), placing.clone());
            Box::pin(async move {
                gate.pass().await;
                placing(tx).await
            })
        })
    };
    let (third, joined) = noting_whether_it_joined(3);
    let b = in_lane(&shop, Box::new(second));
    second_started.await.unwrap();
    let c = in_lane(&shop, third);
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    for answer in [b.await.unwrap(), c.await.unwrap()] {
        assert!(answer.is_ok(), "{answer:?}");
    }
    assert_eq!(
        held_second.load(Ordering::Relaxed),
        1,
        "company waited: it held its insert back"
    );
    assert!(joined.load(Ordering::Relaxed), "the third joined its group");
    assert_eq!(emails(&shop).await, shoppers(&[1, 2, 3]));
    let product = shop.product(&sku()).await.unwrap().unwrap();
    assert_eq!(product.inventory.stock, 2);
}

/// The same key sent twice at once: the second replays the first, even when
/// the group wrote the first's held-back insert before the second ran (here
/// before a write that does not hold back) and the last unit is gone. (The
/// keys of a group are looked up together: what was looked up before that
/// write is stale after it.)
#[tokio::test]
async fn a_key_sent_twice_replays_after_the_groups_held_writes() {
    let dir = tempfile::tempdir().unwrap();
    let shop = shop_with_stock(&dir, 3).await;
    let keyed_in_lane = |shop: &Shop, n: u32, key: &str| {
        let (request, key) = keyed_shopper(n, key);
        let (shop, work) = (shop.clone(), placing(request, || None));
        tokio::spawn(async move { shop.place_grouped(&sku(), Some(key), work).await })
    };
    // The group's first request waits, before it places, for the others to come.
    let (gate, first_started, release) = Gate::new();
    let first = as_work(move |tx| {
        let gate = gate.clone();
        Box::pin(async move {
            gate.pass().await;
            place(tx, &shopper(1), today(), "2026-03-02T12:00:00Z").await
        })
    });
    let a = in_lane(&shop, Box::new(first));
    first_started.await.unwrap();
    let once = keyed_in_lane(&shop, 2, "twice");
    tokio::task::yield_now().await;
    let other = keyed_in_lane(&shop, 3, "other");
    tokio::task::yield_now().await;
    let writes_at_once = {
        let shop = shop.clone();
        let nothing = as_work(|_tx| Box::pin(async { Ok::<_, OperationError>(()) }));
        tokio::spawn(async move { shop.write_grouped(&sku(), nothing).await })
    };
    tokio::task::yield_now().await;
    let twice = keyed_in_lane(&shop, 2, "twice");
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    assert!(a.await.unwrap().is_ok());
    assert!(other.await.unwrap().is_ok());
    writes_at_once.await.unwrap().unwrap();
    let once = once.await.unwrap().expect("the key's first placement");
    let twice = twice.await.unwrap().expect("the same key replays");
    assert_eq!(twice, once);
    assert_eq!(emails(&shop).await, shoppers(&[1, 2, 3]));
}

/// A group's keys are looked up in one statement: the ones stored by
/// earlier commits replay (whatever characters they hold, quotes and
/// backslashes too), a new one places.
#[tokio::test]
async fn a_groups_stored_keys_replay_from_one_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let shop = shop_with_stock(&dir, 5).await;
    let keyed = |n: u32, key: &str| {
        let (request, key) = keyed_shopper(n, key);
        (placing(request, || None), Writes::MayHoldBack, Some(key))
    };
    let (quote, backslash) = (r#"a"b"#, r"c\d");
    let before = shop
        .write_as_one_group(vec![keyed(1, quote), keyed(2, backslash)])
        .await;
    let again = shop
        .write_as_one_group(vec![
            keyed(1, quote),
            keyed(3, "fresh"),
            keyed(2, backslash),
        ])
        .await;
    let placed = |answer: &Result<Placed, OperationError>| answer.as_ref().unwrap().body.clone();
    assert_eq!(placed(&again[0]), placed(&before[0]));
    assert_eq!(placed(&again[2]), placed(&before[1]));
    assert_ne!(placed(&again[1]), placed(&before[0]));
    assert_eq!(emails(&shop).await, shoppers(&[1, 2, 3]));
}
