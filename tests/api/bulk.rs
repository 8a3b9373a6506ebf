//! `PUT /api/v1/admin/products`: many products at once, all or nothing.

use crate::support::{TestServer, product};
use reqwest::Method;
use serde_json::{Value, json};

async fn bulk(server: &TestServer, products: Value) -> crate::support::Reply {
    server
        .send(
            server
                .admin(Method::PUT, "/api/v1/admin/products")
                .json(&json!({ "products": products })),
        )
        .await
}

#[tokio::test]
async fn a_bulk_write_creates_and_updates_in_one_call() {
    let server = TestServer::start().await;
    server.put_product("OLD", product("Old name", 1)).await;
    let reply = bulk(
        &server,
        json!([
            {"sku": "NEW-1", "name": "New one", "stock": 4},
            {"sku": "OLD", "name": "New name", "stock": 9, "backorders": "allow", "backorder_limit": 3,
             "incoming": [{"quantity": 5, "eta": "2026-04-01"}]},
            {"sku": "NEW-2", "name": "New two", "stock": 0, "lead_time_days": 30},
        ]),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["created"], json!(["NEW-1", "NEW-2"]));
    assert_eq!(reply.body["updated"], json!(["OLD"]));
    let old = server.get("/api/v1/products/OLD/availability").await;
    assert_eq!(old.body["name"], "New name");
    assert_eq!(old.body["available"], 9);
    let new = server.get("/api/v1/products/NEW-2/availability").await;
    assert_eq!(new.body["status"], "out_of_stock");
}

#[tokio::test]
async fn every_bad_item_is_named_and_nothing_changes() {
    let server = TestServer::start().await;
    server.put_product("KEEP", product("Kept", 2)).await;
    let reply = bulk(
        &server,
        json!([
            {"sku": "KEEP", "name": "Changed", "stock": 50},
            {"sku": "A", "name": "Bad stock", "stock": -1},
            {"sku": "B", "stock": 1},
            {"sku": "C", "name": "Fine", "stock": 1},
            {"sku": "A", "name": "Twice", "stock": 1},
            {"sku": "bad sku", "name": "Spaces", "stock": 1},
            {"sku": "D", "name": "Colour", "stock": 1, "colour": "red"},
        ]),
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let error = &reply.body["error"];
    assert_eq!(error["code"], "invalid_request");
    assert_eq!(error["field"], "products[1].stock");
    let named: Vec<(u64, String)> = error["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["at"].as_u64().unwrap(),
                item["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (1, "stock".into()),
            (2, "name".into()),
            (4, "sku".into()),
            (5, "sku".into()),
            (6, "colour".into()),
        ]
    );
    // Nothing was written: not the good items either.
    let kept = server.get("/api/v1/products/KEEP/availability").await;
    assert_eq!(kept.body["name"], "Kept");
    assert_eq!(kept.body["available"], 2);
    assert_eq!(
        server.get("/api/v1/products/C/availability").await.status,
        404
    );
}

#[tokio::test]
async fn a_thousand_products_go_in_one_call_and_more_are_refused() {
    let server = TestServer::start().await;
    let products: Vec<Value> = (0..1000)
        .map(|index| {
            json!({"sku": format!("SKU-{index:04}"), "name": format!("Product {index}"), "stock": index,
                   "incoming": [{"quantity": 1, "eta": "2026-05-01"}]})
        })
        .collect();
    let reply = bulk(&server, json!(products)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["created"].as_array().unwrap().len(), 1000);
    let last = server.get("/api/v1/products/SKU-0999/availability").await;
    assert_eq!(last.body["available"], 999);

    let too_many: Vec<Value> = (0..1001)
        .map(|index| json!({"sku": format!("X-{index}"), "name": "X", "stock": 1}))
        .collect();
    let refused = bulk(&server, json!(too_many)).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["error"]["field"], "products");
    let empty = bulk(&server, json!([])).await;
    assert_eq!(empty.status, 422);
    assert_eq!(
        server.get("/api/v1/products/X-0/availability").await.status,
        404
    );
}
