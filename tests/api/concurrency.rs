use crate::support::{TestServer, product};
use std::sync::Arc;
use stock_widget::logic::BackorderPolicy;
use stock_widget::server::domain::ProductSettings;
use tokio::sync::Barrier;

/// 300 shoppers press "Reserve" at the same moment for the last 100 units
/// plus 50 allowed on backorder: exactly 150 get them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reservations_never_oversell() {
    let server = Arc::new(TestServer::start().await);
    server
        .put_product(
            "HOT",
            ProductSettings {
                backorders: BackorderPolicy::Allow,
                backorder_limit: Some(50),
                ..product("Hot item", 100)
            },
        )
        .await;
    let clients = 300;
    let barrier = Arc::new(Barrier::new(clients));
    let mut tasks = Vec::new();
    for shopper in 0..clients {
        let server = Arc::clone(&server);
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            server
                .reserve("HOT", 1, &format!("shopper{shopper}@example.com"), None)
                .await
        }));
    }
    let (mut created, mut conflicts) = (0, 0);
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            201 => created += 1,
            409 => {
                assert_eq!(reply.body["error"]["max_quantity"], 0);
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!((created, conflicts), (150, 150));

    let reservations = server.shop.reservations_of("HOT".into()).await.unwrap();
    assert_eq!(reservations.len(), 150);
    let from_stock: u32 = reservations.iter().map(|r| r.from_stock).sum();
    let waiting: u32 = reservations.iter().map(|r| r.outstanding()).sum();
    assert_eq!((from_stock, waiting), (100, 50));
    let product = server
        .shop
        .product(&stock_widget::server::domain::Sku::parse("HOT").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(product.inventory.stock, 0);
    assert_eq!(product.inventory.queued(), 50);
    // The first 100 placed took stock; the 50 after them wait, in order.
    assert!(reservations.iter().take(100).all(|r| r.from_stock == 1));
    assert!(reservations.iter().skip(100).all(|r| r.outstanding() == 1));
    assert_eq!(
        server.get("/api/v1/products/HOT/availability").await.body["status"],
        "out_of_stock"
    );
}

/// 50 requests at once from one e-mail address (written two ways) for a
/// product capped at 5 units per customer: exactly 5 are placed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_email_never_holds_more_than_the_cap_per_customer() {
    let server = Arc::new(TestServer::start().await);
    server
        .put_product(
            "CAPPED",
            ProductSettings {
                backorders: BackorderPolicy::Allow,
                max_per_customer: Some(5),
                ..product("Capped item", 0)
            },
        )
        .await;
    let clients = 50;
    let barrier = Arc::new(Barrier::new(clients));
    let mut tasks = Vec::new();
    for attempt in 0..clients {
        let server = Arc::clone(&server);
        let barrier = Arc::clone(&barrier);
        let email = if attempt % 2 == 0 {
            "hoarder@example.com"
        } else {
            "Hoarder@Example.com"
        };
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            server.reserve("CAPPED", 1, email, None).await
        }));
    }
    let (mut created, mut refused) = (0, 0);
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            201 => created += 1,
            409 => {
                assert_eq!(reply.body["error"]["code"], "customer_limit_reached");
                assert_eq!(reply.body["error"]["max_quantity"], 0);
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!((created, refused), (5, 45));
    let held: u32 = server
        .shop
        .reservations_of("CAPPED".into())
        .await
        .unwrap()
        .iter()
        .map(|r| r.outstanding())
        .sum();
    assert_eq!(held, 5, "zero over the cap");
    // Someone else is not affected, and asking for more than is left says how much is.
    assert_eq!(
        server
            .reserve("CAPPED", 2, "jane@example.com", None)
            .await
            .status,
        201
    );
    let over = server.reserve("CAPPED", 4, "jane@example.com", None).await;
    assert_eq!(over.status, 409);
    assert_eq!(over.body["error"]["max_quantity"], 3);
    // Beyond ASCII, case is folded the same on both stores.
    let first = server
        .reserve("CAPPED", 4, "Élodie@example.com", None)
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = server
        .reserve("CAPPED", 2, "éLODIE@example.com", None)
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.body["error"]["max_quantity"], 1);
}
