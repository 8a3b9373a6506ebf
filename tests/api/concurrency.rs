use crate::support::{TestServer, product};
use std::sync::Arc;
use stock_widget::logic::BackorderPolicy;
use stock_widget::server::store::ProductSettings;
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

    let reservations = server.store.reservations_of("HOT".into()).await.unwrap();
    assert_eq!(reservations.len(), 150);
    let from_stock: u32 = reservations.iter().map(|r| r.from_stock).sum();
    let waiting: u32 = reservations.iter().map(|r| r.outstanding()).sum();
    assert_eq!((from_stock, waiting), (100, 50));
    let product = server.store.product("HOT".into()).await.unwrap().unwrap();
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
