//! Suppliers, their record of deliveries, and the ship windows it gives
//! their products (on SQLite, and on PostgreSQL in the second run).

use crate::support::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

async fn put(server: &TestServer, path: &str, body: Value) -> crate::support::Reply {
    server
        .send(server.admin(Method::PUT, path).json(&body))
        .await
}

async fn admin_get(server: &TestServer, path: &str) -> crate::support::Reply {
    server.send(server.admin(Method::GET, path)).await
}

async fn receive(server: &TestServer, sku: &str, body: Value) -> crate::support::Reply {
    server
        .send(
            server
                .admin(
                    Method::POST,
                    &format!("/api/v1/admin/products/{sku}/receipts"),
                )
                .json(&body),
        )
        .await
}

async fn supplier(server: &TestServer, id: &str, lead_time_days: u32) {
    let reply = put(
        server,
        &format!("/api/v1/admin/suppliers/{id}"),
        json!({"name": format!("Supplier {id}"), "lead_time_days": lead_time_days}),
    )
    .await;
    assert!(reply.status == 201 || reply.status == 200, "{}", reply.body);
}

fn assert_refused(reply: &crate::support::Reply, field: &str) {
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.body["error"]["field"], field, "{}", reply.body);
}

#[tokio::test]
async fn suppliers_are_created_replaced_listed_and_read() {
    let server = TestServer::start().await;
    let created = put(
        &server,
        "/api/v1/admin/suppliers/ACME-1",
        json!({"name": "Acme", "lead_time_days": 21}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["id"], "ACME-1");
    assert_eq!(created.body["lead_time_days"], 21);
    assert_eq!(
        created.body["reliability"],
        json!({"purchase_orders_received": 0, "days_late_p50": null,
               "days_late_p90": null, "on_time_rate": null})
    );
    let replaced = put(
        &server,
        "/api/v1/admin/suppliers/ACME-1",
        json!({"name": "Acme Tools", "lead_time_days": 30}),
    )
    .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["name"], "Acme Tools");
    supplier(&server, "Zeta_2", 3).await;

    let list = admin_get(&server, "/api/v1/admin/suppliers").await;
    assert_eq!(list.status, 200);
    let ids: Vec<&str> = list.body["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|supplier| supplier["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ACME-1", "Zeta_2"]);
    let one = admin_get(&server, "/api/v1/admin/suppliers/ACME-1").await;
    assert_eq!(one.body["lead_time_days"], 30);
    let missing = admin_get(&server, "/api/v1/admin/suppliers/NOPE").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"]["code"], "unknown_supplier");

    for (path, body, field) in [
        (
            "/api/v1/admin/suppliers/a.b",
            json!({"name": "X", "lead_time_days": 1}),
            "id",
        ),
        (
            "/api/v1/admin/suppliers/OK",
            json!({"name": " ", "lead_time_days": 1}),
            "name",
        ),
        (
            "/api/v1/admin/suppliers/OK",
            json!({"name": "X", "lead_time_days": 3651}),
            "lead_time_days",
        ),
        (
            "/api/v1/admin/suppliers/OK",
            json!({"name": "X"}),
            "lead_time_days",
        ),
    ] {
        assert_refused(&put(&server, path, body).await, field);
    }
    let anonymous = server
        .send(server.http().get(server.url("/api/v1/admin/suppliers")))
        .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn reliability_counts_the_first_receipt_of_each_purchase_order_once() {
    let server = TestServer::start().await;
    supplier(&server, "ACME", 14).await;
    let product = put(
        &server,
        "/api/v1/admin/products/BOLT",
        json!({"name": "Bolt", "stock": 0, "supplier": "ACME", "incoming": [
            {"id": "LATE", "quantity": 4, "eta": "2026-02-25", "ordered_on": "2026-02-01"},
            {"id": "EARLY", "quantity": 4, "eta": "2026-03-04"},
            {"id": "ON-TIME", "quantity": 4, "eta": "2026-03-02"},
        ]}),
    )
    .await;
    assert_eq!(product.status, 200, "{}", product.body);
    assert_eq!(product.body["supplier"], "ACME");

    // Today is 2026-03-02: five days after LATE's ETA.
    let late = receive(
        &server,
        "BOLT",
        json!({"quantity": 1, "purchase_order": "LATE"}),
    )
    .await;
    assert_eq!(late.status, 200, "{}", late.body);
    let early = receive(
        &server,
        "BOLT",
        json!({"quantity": 4, "purchase_order": "EARLY"}),
    )
    .await;
    assert_eq!(early.status, 200, "{}", early.body);
    let record = admin_get(&server, "/api/v1/admin/suppliers/ACME")
        .await
        .body;
    assert_eq!(
        record["reliability"],
        json!({"purchase_orders_received": 2, "days_late_p50": null,
               "days_late_p90": null, "on_time_rate": 0.5})
    );
    // LATE again, later: not its first receipt, so not on the record again.
    let again = receive(
        &server,
        "BOLT",
        json!({"quantity": 1, "purchase_order": "LATE", "received_on": "2026-03-20"}),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    let record = admin_get(&server, "/api/v1/admin/suppliers/ACME")
        .await
        .body;
    assert_eq!(record["reliability"]["purchase_orders_received"], 2);

    let on_time = receive(
        &server,
        "BOLT",
        json!({"quantity": 2, "purchase_order": "ON-TIME", "received_on": "2026-03-02"}),
    )
    .await;
    assert_eq!(on_time.status, 200, "{}", on_time.body);
    let record = admin_get(&server, "/api/v1/admin/suppliers/ACME")
        .await
        .body;
    // Days late: 5, -2, 0 → sorted -2, 0, 5.
    assert_eq!(record["reliability"]["purchase_orders_received"], 3);
    assert_eq!(record["reliability"]["days_late_p50"], 0);
    assert_eq!(record["reliability"]["days_late_p90"], 5);
    let rate = record["reliability"]["on_time_rate"].as_f64().unwrap();
    assert!((rate - 2.0 / 3.0).abs() < 1e-9, "{rate}");

    let bolt = admin_get(&server, "/api/v1/admin/products/BOLT").await.body;
    let late = bolt["incoming"]
        .as_array()
        .unwrap()
        .iter()
        .find(|order| order["id"] == "LATE")
        .unwrap();
    assert_eq!(late["quantity"], 2);
    assert_eq!(late["received_on"], "2026-03-02");
    assert_eq!(late["ordered_on"], "2026-02-01");

    // A product without a supplier records nothing.
    put(
        &server,
        "/api/v1/admin/products/LOOSE",
        json!({"name": "Loose", "stock": 0, "incoming": [{"quantity": 2, "eta": "2026-01-01"}]}),
    )
    .await;
    assert_eq!(
        receive(&server, "LOOSE", json!({"quantity": 1}))
            .await
            .status,
        200
    );
    let record = admin_get(&server, "/api/v1/admin/suppliers/ACME")
        .await
        .body;
    assert_eq!(record["reliability"]["purchase_orders_received"], 3);
}

async fn window(server: &TestServer, sku: &str) -> (String, String) {
    let reply = server
        .get(&format!("/api/v1/products/{sku}/availability?quantity=1"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    (
        reply.body["ship_date"].as_str().unwrap().to_owned(),
        reply.body["ship_date_latest"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_late_supplier_widens_the_windows_of_all_its_products() {
    let server = TestServer::start().await;
    supplier(&server, "SLOW", 30).await;
    let backordered = |supplier: Option<&str>| {
        json!({"name": "Kettle", "stock": 0, "backorders": "allow", "supplier": supplier,
               "incoming": [{"quantity": 5, "eta": "2026-03-12"}]})
    };
    put(
        &server,
        "/api/v1/admin/products/KETTLE",
        backordered(Some("SLOW")),
    )
    .await;
    put(&server, "/api/v1/admin/products/PLAIN", backordered(None)).await;
    // Nothing on the record yet: the ETA holds, a one-day window.
    assert_eq!(
        window(&server, "KETTLE").await,
        ("2026-03-12".into(), "2026-03-12".into())
    );

    // Another product of the same supplier: three orders, 2, 5 and 12 days late.
    put(
        &server,
        "/api/v1/admin/products/RECORDS",
        json!({"name": "Records", "stock": 0, "supplier": "SLOW", "incoming": [
            {"id": "A", "quantity": 1, "eta": "2026-02-28"},
            {"id": "B", "quantity": 1, "eta": "2026-02-25"},
            {"id": "C", "quantity": 1, "eta": "2026-02-18"},
        ]}),
    )
    .await;
    for id in ["A", "B", "C"] {
        let reply = receive(
            &server,
            "RECORDS",
            json!({"quantity": 1, "purchase_order": id}),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    // p50 5, p90 12: the kettle's order likely comes 5 days late, at worst 12.
    assert_eq!(
        window(&server, "KETTLE").await,
        ("2026-03-17".into(), "2026-03-24".into())
    );
    let (likely, latest) = window(&server, "PLAIN").await;
    assert_eq!(likely, latest, "no supplier: a one-day window");
    assert_eq!(likely, "2026-03-12");

    // Units beyond every order: the supplier's lead time, not the product's 14 days.
    let beyond = server
        .get("/api/v1/products/KETTLE/availability?quantity=6")
        .await
        .body;
    assert_eq!(beyond["ship_date"], "2026-04-06", "today + 30 + 5");
    assert_eq!(beyond["ship_date_latest"], "2026-04-13", "today + 30 + 12");
    // A new lead time reaches every product of the supplier at once.
    supplier(&server, "SLOW", 40).await;
    let beyond = server
        .get("/api/v1/products/KETTLE/availability?quantity=6")
        .await
        .body;
    assert_eq!(beyond["ship_date"], "2026-04-16", "today + 40 + 5");
    let settings = admin_get(&server, "/api/v1/admin/products/KETTLE")
        .await
        .body;
    assert_eq!(
        settings["lead_time_days"], 14,
        "the product's own setting stays"
    );
}

#[tokio::test]
async fn a_receipt_goes_to_the_purchase_order_it_names_first() {
    let server = TestServer::start().await;
    let created = put(
        &server,
        "/api/v1/admin/products/LAMP",
        json!({"name": "Lamp", "stock": 0, "incoming": [
            {"id": "PO-1", "quantity": 5, "eta": "2026-03-10"},
            {"quantity": 5, "eta": "2026-03-20"},
            {"id": "PO-OLD", "quantity": 1, "eta": "2025-12-01"},
        ]}),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let orders = created.body["incoming"].as_array().unwrap().clone();
    assert_eq!(
        orders[0]["id"], "PO-OLD",
        "an ETA in the past is an overdue order"
    );
    let generated = orders[2]["id"].as_str().unwrap().to_owned();
    assert!(generated.starts_with("po_"), "{generated}");

    let reply = receive(
        &server,
        "LAMP",
        json!({"quantity": 3, "purchase_order": generated}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let after = admin_get(&server, "/api/v1/admin/products/LAMP").await.body;
    let quantities: Vec<(String, u64)> = after["incoming"]
        .as_array()
        .unwrap()
        .iter()
        .map(|order| {
            (
                order["id"].as_str().unwrap().to_owned(),
                order["quantity"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        quantities,
        [
            ("PO-OLD".to_owned(), 1),
            ("PO-1".to_owned(), 5),
            (generated.clone(), 2)
        ],
        "the named order was reduced, and its generated id is kept"
    );
    // Without a name: the earliest open order.
    receive(&server, "LAMP", json!({"quantity": 2})).await;
    let after = admin_get(&server, "/api/v1/admin/products/LAMP").await.body;
    assert_eq!(after["incoming"][0]["id"], "PO-1");
    assert_eq!(after["incoming"][0]["quantity"], 4);

    assert_refused(
        &receive(
            &server,
            "LAMP",
            json!({"quantity": 1, "purchase_order": "PO-9"}),
        )
        .await,
        "purchase_order",
    );
    assert_refused(
        &receive(
            &server,
            "LAMP",
            json!({"quantity": 1, "purchase_order": "no spaces"}),
        )
        .await,
        "purchase_order",
    );
    assert_refused(
        &receive(
            &server,
            "LAMP",
            json!({"quantity": 1, "received_on": "2026-02-30"}),
        )
        .await,
        "received_on",
    );
}

#[tokio::test]
async fn unknown_suppliers_and_repeated_purchase_order_ids_are_refused() {
    let server = TestServer::start().await;
    assert_refused(
        &put(
            &server,
            "/api/v1/admin/products/X",
            json!({"name": "X", "stock": 1, "supplier": "GHOST"}),
        )
        .await,
        "supplier",
    );
    assert_refused(
        &put(
            &server,
            "/api/v1/admin/products/X",
            json!({"name": "X", "stock": 1, "supplier": "not valid!"}),
        )
        .await,
        "supplier",
    );
    assert_refused(
        &put(
            &server,
            "/api/v1/admin/products/X",
            json!({"name": "X", "stock": 1, "incoming": [
                {"id": "P", "quantity": 1, "eta": "2026-04-01"},
                {"id": "P", "quantity": 2, "eta": "2026-05-01"},
            ]}),
        )
        .await,
        "incoming[1].id",
    );
    supplier(&server, "REAL", 7).await;
    let bulk = put(
        &server,
        "/api/v1/admin/products",
        json!({"products": [
            {"sku": "A", "name": "A", "stock": 1, "supplier": "REAL"},
            {"sku": "B", "name": "B", "stock": 1, "supplier": "GHOST"},
        ]}),
    )
    .await;
    assert_refused(&bulk, "products[1].supplier");
    assert_eq!(bulk.body["error"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        admin_get(&server, "/api/v1/admin/products/A").await.status,
        404,
        "nothing written"
    );
}

/// First receipts of many purchase orders, on several products of one
/// supplier, at once: each puts its order on the supplier's record and
/// rechecks the supplier's other products (whose rows it then locks, in
/// another order than a concurrent receipt). On PostgreSQL that can
/// deadlock; the loser is retried, so every receipt lands, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_receipts_across_one_suppliers_products_all_land_once() {
    let server = std::sync::Arc::new(TestServer::start().await);
    supplier(&server, "ACME", 14).await;
    let skus = ["NUT-0", "NUT-1", "NUT-2", "NUT-3"];
    for sku in skus {
        let orders: Vec<Value> = (0..5)
            .map(|n| json!({"id": format!("PO-{n}"), "quantity": 2, "eta": "2026-02-20"}))
            .collect();
        let reply = put(
            &server,
            &format!("/api/v1/admin/products/{sku}"),
            json!({"name": sku, "stock": 0, "backorders": "allow", "supplier": "ACME",
                   "incoming": orders}),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        // A waiting shopper: the supplier's record changing rechecks them.
        let placed = server.reserve(sku, 1, "wait@example.com", None).await;
        assert_eq!(placed.status, 201, "{}", placed.body);
    }
    let mut receipts = tokio::task::JoinSet::new();
    for n in 0..5 {
        for sku in skus {
            let server = std::sync::Arc::clone(&server);
            receipts.spawn(async move {
                let body = json!({"quantity": 2, "purchase_order": format!("PO-{n}")});
                (sku, n, receive(&server, sku, body).await)
            });
        }
    }
    while let Some(done) = receipts.join_next().await {
        let (sku, n, reply) = done.unwrap();
        assert_eq!(reply.status, 200, "{sku} PO-{n}: {}", reply.body);
    }
    let record = admin_get(&server, "/api/v1/admin/suppliers/ACME")
        .await
        .body;
    assert_eq!(
        record["reliability"]["purchase_orders_received"], 20,
        "{record}"
    );
    for sku in skus {
        let product = admin_get(&server, &format!("/api/v1/admin/products/{sku}"))
            .await
            .body;
        assert_eq!(product["incoming"], json!([]), "{product}");
        assert_eq!(
            product["stock"], 9,
            "10 received, 1 to the waiting shopper: {product}"
        );
    }
}
