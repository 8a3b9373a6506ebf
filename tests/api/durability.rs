//! Every acknowledged reservation survives a SIGKILL in the middle of a load.

use crate::support::{
    BINARY_ADMIN_TOKEN as TOKEN, TestDatabase, assert_reservations_present,
    assert_store_consistent, start_binary, wait_until,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
/// One address reserves hundreds of times here: lift the per-address limit.
const HEAVY_WRITER: &[&str] = &["--reservations-per-minute", "1000000"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_reservations_survive_sigkill() {
    let database = TestDatabase::new().await;
    let db = database.arg();
    let (mut server, url) = start_binary(&db, HEAVY_WRITER);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let put = http
        .put(format!("{url}/api/v1/admin/products/HOT"))
        .bearer_auth(TOKEN)
        .json(&json!({ "name": "Hot", "stock": 40, "backorders": "allow" }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for client in 0..8 {
        let (http, url, acknowledged) = (http.clone(), url.clone(), Arc::clone(&acknowledged));
        clients.push(tokio::spawn(async move {
            for attempt in 0..200 {
                let sent = http
                    .post(format!("{url}/api/v1/products/HOT/reservations"))
                    .json(&json!({ "quantity": 1 + attempt % 2, "email": format!("c{client}@example.com") }))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 201 => {
                        let body: Value = response.json().await.unwrap();
                        acknowledged.lock().unwrap().push(body["id"].as_str().unwrap().to_owned());
                    }
                    Ok(response) => panic!("unexpected {}", response.status()),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Kill it mid-load, without warning.
    wait_until(
        "60 acknowledged reservations",
        Duration::from_secs(60),
        || {
            let count = acknowledged.lock().unwrap().len();
            async move { count >= 60 }
        },
    )
    .await;
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    for client in clients {
        client.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 60);

    let (mut restarted, url) = start_binary(&db, HEAVY_WRITER);
    assert_reservations_present(&http, &url, &acknowledged).await;
    let store = database.open().await;
    let reservations = store.reservations_of("HOT".into()).await.unwrap();
    assert!(reservations.len() >= acknowledged.len());
    assert_store_consistent(&store, "HOT", 40).await;
    let _ = restarted.kill();
    let _ = restarted.wait();
}
