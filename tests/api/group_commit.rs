//! Group commit: the requests of one group get exactly the answers they
//! would have had one at a time — on SQLite and on PostgreSQL.

use crate::support::{TestDatabase, on_postgres, product, test_today};
use proptest::prelude::*;
use stock_widget::api::Reservation;
use stock_widget::logic::BackorderPolicy;
use stock_widget::server::domain::{
    Email, IdempotencyKey, NewReservation, ProductSettings, Quantity, Sku,
};
use stock_widget::server::ops::{GroupedAnswer, GroupedWrite, OperationError, Placed, Shop};
use stock_widget::server::store::DayDemand;

/// One shopper's request in a generated mix, or the checkout's sale.
#[derive(Clone, Debug)]
struct Ask {
    /// A sale of `quantity` from the shop's checkout: it writes at once,
    /// so the placements' held-back writes before it are written first.
    sale: bool,
    quantity: u64,
    /// One of a few shoppers: the per-customer cap bites.
    shopper: usize,
    /// One of a few keys, or none: a key sent twice is a retry (the same
    /// request) or a reuse (another quantity).
    key: Option<usize>,
}

#[derive(Clone, Debug)]
struct Mix {
    stock: u32,
    /// Units allowed on backorder (`None`: backorders denied).
    backorder_limit: Option<u32>,
    max_per_customer: Option<u32>,
    asks: Vec<Ask>,
}

fn mixes() -> impl Strategy<Value = Mix> {
    let ask = (
        prop::bool::weighted(0.2),
        1u64..=4,
        0usize..3,
        prop::option::of(0usize..3),
    )
        .prop_map(|(sale, quantity, shopper, key)| Ask {
            sale,
            quantity,
            shopper,
            key,
        });
    (
        0u32..10,
        prop::option::of(0u32..8),
        prop::option::of(1u32..5),
        prop::collection::vec(ask, 1..16),
    )
        .prop_map(|(stock, backorder_limit, max_per_customer, asks)| Mix {
            stock,
            backorder_limit,
            max_per_customer,
            asks,
        })
}

fn settings(mix: &Mix) -> ProductSettings {
    ProductSettings {
        backorders: if mix.backorder_limit.is_some() {
            BackorderPolicy::Allow
        } else {
            BackorderPolicy::Deny
        },
        backorder_limit: mix.backorder_limit,
        max_per_customer: mix.max_per_customer,
        ..product("Drop", mix.stock)
    }
}

/// The mix's writes for `sku`; `run` keeps each run's keys apart (a key
/// is one request in the whole shop).
fn writes(mix: &Mix, sku: &Sku, run: &str) -> Vec<GroupedWrite> {
    mix.asks
        .iter()
        .map(|ask| {
            let quantity = Quantity::new(ask.quantity).unwrap();
            match ask.sale {
                true => GroupedWrite::Sell(sku.clone(), quantity),
                false => GroupedWrite::Place(reservation(ask, sku, run)),
            }
        })
        .collect()
}

/// An ask's reservation request.
fn reservation(ask: &Ask, sku: &Sku, run: &str) -> NewReservation {
    NewReservation {
        sku: sku.clone(),
        quantity: Quantity::new(ask.quantity).unwrap(),
        // Written two ways: the cap counts the folded address.
        email: Email::parse(&if ask.shopper == 2 {
            "Shopper1@Example.com".to_owned()
        } else {
            format!("shopper{}@example.com", ask.shopper)
        })
        .unwrap(),
        idempotency_key: ask
            .key
            .map(|key| IdempotencyKey::parse(&format!("{run}-key-{key}")).unwrap()),
        lang: None,
    }
}

/// An answer without what differs between two runs by design: the
/// reservation's random id becomes the order in which the run first
/// answered it (a replay answers an earlier one's).
fn comparable(
    answers: &[Result<GroupedAnswer, OperationError>],
) -> Vec<Result<(usize, Reservation, bool), String>> {
    let mut ids: Vec<String> = Vec::new();
    answers
        .iter()
        .map(|answer| match answer {
            Ok(GroupedAnswer::Placed(Placed { reservation, body })) => {
                let first = match ids.iter().position(|id| *id == reservation.id) {
                    Some(first) => first,
                    None => {
                        ids.push(reservation.id.clone());
                        ids.len() - 1
                    }
                };
                // The body sent (and stored for replays) says the same.
                let body_agrees =
                    serde_json::from_str::<Reservation>(body).ok().as_ref() == Some(reservation);
                let mut reservation = reservation.clone();
                reservation.id = String::new();
                reservation.sku = String::new();
                Ok((first, reservation, body_agrees))
            }
            // A sale: what it left (stock and version; the product's name differs by run).
            Ok(GroupedAnswer::Sold(product)) => Err(format!(
                "sold: stock {}, version {}",
                product.inventory.stock, product.version
            )),
            Err(error) => Err(format!("{error:?}")),
        })
        .collect()
}

/// What a run left: the product's stock and version (one per write), its
/// reservations in order (quantity, from stock, held on backorder, the
/// shopper), and the day's demand (units asked, units backordered).
type State = (u32, u64, Vec<(u32, u32, u32, String)>, Vec<DayDemand>);

async fn state(shop: &Shop, sku: &Sku) -> State {
    let product = shop.product(sku).await.unwrap().unwrap();
    let day = test_today();
    let demand = shop
        .demand_of(sku.clone(), day, day.plus_days(1))
        .await
        .unwrap();
    let reservations = shop.reservations_of(sku.to_string()).await.unwrap();
    let rows = reservations
        .iter()
        .map(|record| {
            (
                record.quantity,
                record.from_stock,
                record.outstanding(),
                record.email.masked(),
            )
        })
        .collect();
    (product.inventory.stock, product.version, rows, demand)
}

fn cases() -> u32 {
    // Each case is two products and their writes; PostgreSQL's round trips
    // cost more than SQLite's calls.
    if on_postgres() { 24 } else { 64 }
}

#[test]
fn a_groups_answers_equal_the_same_requests_one_by_one() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let database = runtime.block_on(TestDatabase::new());
    let shop = runtime.block_on(database.open());
    let case = std::sync::atomic::AtomicUsize::new(0);
    let config = ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(mix in mixes())| {
        let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (alone, together) = runtime.block_on(async {
            let now = "2026-03-02T12:00:00Z".to_owned();
            let one = Sku::parse(&format!("ONE-{case}")).unwrap();
            let all = Sku::parse(&format!("ALL-{case}")).unwrap();
            for sku in [&one, &all] {
                shop.put_product(sku.clone(), settings(&mix)).await.unwrap();
            }
            // Key 0 was used before the rush (or refused then): the asks
            // that send it again find it in the database, not in the group.
            for (sku, run) in [(&one, format!("one{case}")), (&all, format!("all{case}"))] {
                let earlier = NewReservation {
                    quantity: Quantity::new(1).unwrap(),
                    ..reservation(&mix.asks[0], sku, &run)
                };
                let earlier = NewReservation {
                    idempotency_key: Some(IdempotencyKey::parse(&format!("{run}-key-0")).unwrap()),
                    ..earlier
                };
                let _ = shop.place(earlier, test_today(), now.clone()).await;
            }
            let mut alone = Vec::new();
            for write in writes(&mix, &one, &format!("one{case}")) {
                alone.push(match write {
                    GroupedWrite::Place(request) => shop
                        .place(request, test_today(), now.clone())
                        .await
                        .map(GroupedAnswer::Placed),
                    GroupedWrite::Sell(sku, quantity) => {
                        shop.sell(sku, quantity).await.map(GroupedAnswer::Sold)
                    }
                });
            }
            let together = shop
                .write_together(writes(&mix, &all, &format!("all{case}")), test_today(), now)
                .await;
            prop_assert_eq!(comparable(&alone), comparable(&together));
            Ok((state(&shop, &one).await, state(&shop, &all).await))
        })?;
        prop_assert_eq!(alone, together);
    });
}
