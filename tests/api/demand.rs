//! Demand: sales the shop's checkout reports, reservations counted as
//! demand, the history a merchant brings (`PUT /api/v1/admin/demand`,
//! `stock-widget import-demand`), and the service level a product aims
//! for — on SQLite, and on PostgreSQL in the second run.

use crate::stream::{EventStream, SOON};
use crate::support::receiver::{self, Receiver};
use crate::support::{TestServer, product, test_today, wait_until_delivered};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use stock_widget::logic::{BackorderPolicy, Date};
use stock_widget::server::domain::{ProductSettings, Sku};

const PATIENCE: Duration = Duration::from_secs(20);

async fn sell(server: &TestServer, sku: &str, body: Value) -> crate::support::Reply {
    server
        .send(
            server
                .admin(Method::POST, &format!("/api/v1/admin/products/{sku}/sales"))
                .json(&body),
        )
        .await
}

async fn put_demand(server: &TestServer, rows: Value) -> crate::support::Reply {
    server
        .send(
            server
                .admin(Method::PUT, "/api/v1/admin/demand")
                .json(&json!({ "demand": rows })),
        )
        .await
}

fn day(text: &str) -> Date {
    Date::parse_iso(text).unwrap()
}

/// The product's days of demand from `from` to today: `(day, units, backordered)`.
async fn demand(server: &TestServer, sku: &str, from: &str) -> Vec<(String, u32, u32)> {
    server
        .shop
        .demand_of(
            Sku::parse(sku).unwrap(),
            day(from),
            test_today().plus_days(1),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|(day, units, backordered)| (day.to_iso(), units, backordered))
        .collect()
}

async fn stock(server: &TestServer, sku: &str) -> u32 {
    server
        .shop
        .product_from_database(&Sku::parse(sku).unwrap())
        .await
        .unwrap()
        .unwrap()
        .inventory
        .stock
}

fn backorderable(name: &str, stock: u32) -> ProductSettings {
    ProductSettings {
        backorders: BackorderPolicy::Allow,
        ..product(name, stock)
    }
}

#[tokio::test]
async fn a_sale_moves_stock_and_demand_and_is_heard_like_a_receipt() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let token = server.admin_token.as_deref().unwrap();
    receiver::register(&server.base_url, token, &receiver.url, None).await;
    server
        .put_product(
            "MUG",
            ProductSettings {
                low_stock_threshold: 2,
                ..product("Mug", 5)
            },
        )
        .await;
    let mut stream = EventStream::open(&server, "skus=MUG", None).await;
    stream.next_event(SOON).await.expect("the current state");

    let sold = sell(&server, "MUG", json!({"quantity": 3})).await;
    assert_eq!(sold.status, 200, "{}", sold.body);
    assert_eq!(sold.body["sku"], "MUG");
    assert_eq!(sold.body["stock"], 2);
    assert_eq!(sold.body["available"], 2);
    assert_eq!(sold.body["low_stock"], true);
    // Widgets see it at once, as after a receipt.
    let live = stream
        .next_event(SOON)
        .await
        .expect("the sale's change")
        .json();
    assert_eq!(
        (live["sku"].as_str(), live["available"].as_u64()),
        (Some("MUG"), Some(2))
    );
    // And the merchant's endpoint hears it is low.
    let arrivals = receiver
        .wait_for(PATIENCE, "the low-stock event", |arrivals| {
            !arrivals.is_empty()
        })
        .await;
    assert_eq!(arrivals[0].event_type(), "product.low_stock");
    assert_eq!(arrivals[0].json()["data"]["available"], 2);
    assert_eq!(
        demand(&server, "MUG", "2026-01-01").await,
        [("2026-03-02".into(), 3, 0)]
    );

    // The same day adds up; `2.0` is a whole number.
    let again = sell(&server, "MUG", json!({"quantity": 2.0})).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["status"], "out_of_stock");
    assert_eq!(
        demand(&server, "MUG", "2026-01-01").await,
        [("2026-03-02".into(), 5, 0)]
    );

    let unknown = sell(&server, "NOPE", json!({"quantity": 1})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"]["code"], "unknown_product");
    for bad in [
        json!({"quantity": 0}),
        json!({"quantity": 1.5}),
        json!({"quantity": 1_000_001}),
        json!({}),
        json!({"quantity": 1, "note": "x"}),
    ] {
        let refused = sell(&server, "MUG", bad.clone()).await;
        assert_eq!(refused.status, 422, "{bad}: {}", refused.body);
        assert!(
            ["quantity", "note"].contains(&refused.body["error"]["field"].as_str().unwrap()),
            "{}",
            refused.body
        );
    }
}

#[tokio::test]
async fn a_refused_sale_changes_nothing() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let token = server.admin_token.as_deref().unwrap();
    receiver::register(&server.base_url, token, &receiver.url, None).await;
    server
        .put_product(
            "LAMP",
            ProductSettings {
                low_stock_threshold: 1,
                ..product("Lamp", 2)
            },
        )
        .await;

    let refused = sell(&server, "LAMP", json!({"quantity": 3})).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "insufficient_stock");
    assert_eq!(refused.body["error"]["max_quantity"], 2);
    assert_eq!(stock(&server, "LAMP").await, 2);
    assert!(demand(&server, "LAMP", "2026-01-01").await.is_empty());

    // One that counts, to show the worker was listening all along: its
    // event is the only one.
    assert_eq!(
        sell(&server, "LAMP", json!({"quantity": 1})).await.status,
        200
    );
    wait_until_delivered(&server.shop, PATIENCE).await;
    let arrivals = receiver.arrivals();
    let types: Vec<String> = arrivals
        .iter()
        .map(|arrival| arrival.event_type())
        .collect();
    assert_eq!(types, ["product.low_stock"]);
    assert_eq!(arrivals[0].json()["data"]["available"], 1);
    assert_eq!(
        demand(&server, "LAMP", "2026-01-01").await,
        [("2026-03-02".into(), 1, 0)]
    );
}

#[tokio::test]
async fn a_reservation_is_demand_and_a_cancellation_does_not_undo_it() {
    let server = TestServer::start().await;
    server.put_product("BOOT", backorderable("Boot", 2)).await;

    // Two from stock, one on backorder.
    let placed = server.reserve("BOOT", 3, "a@example.com", None).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(
        demand(&server, "BOOT", "2026-01-01").await,
        [("2026-03-02".into(), 3, 1)]
    );
    let cancelled = server
        .send(server.http().delete(server.url(&format!(
            "/api/v1/reservations/{}",
            placed.body["id"].as_str().unwrap()
        ))))
        .await;
    assert_eq!(cancelled.status, 200);
    assert_eq!(
        demand(&server, "BOOT", "2026-01-01").await,
        [("2026-03-02".into(), 3, 1)],
        "what was asked for stays asked for"
    );
    // A replayed reservation is one reservation: counted once.
    for _ in 0..2 {
        let replayed = server
            .reserve("BOOT", 1, "b@example.com", Some("key-1"))
            .await;
        assert_eq!(replayed.status, 201);
    }
    assert_eq!(
        demand(&server, "BOOT", "2026-01-01").await,
        [("2026-03-02".into(), 4, 1)]
    );
    // A refused one is none.
    server.put_product("SOLD", product("Sold out", 0)).await;
    assert_eq!(
        server
            .reserve("SOLD", 1, "c@example.com", None)
            .await
            .status,
        409
    );
    assert!(demand(&server, "SOLD", "2026-01-01").await.is_empty());

    // The next day is a day of its own, by the shop's clock.
    server.clock.advance_days(1);
    assert_eq!(
        server
            .reserve("BOOT", 2, "d@example.com", None)
            .await
            .status,
        201
    );
    let days = server
        .shop
        .demand_of(
            Sku::parse("BOOT").unwrap(),
            day("2026-03-01"),
            day("2026-03-04"),
        )
        .await
        .unwrap();
    // The cancelled reservation's two units went back to stock; the
    // replayed one took one of them: one ships now, one waits.
    assert_eq!(days, [(day("2026-03-02"), 4, 1), (day("2026-03-03"), 2, 1)]);
}

#[tokio::test]
async fn the_history_is_set_all_or_nothing_naming_every_bad_row() {
    let server = TestServer::start().await;
    server.put_product("MUG", product("Mug", 7)).await;
    server.put_product("BOOT", backorderable("Boot", 0)).await;
    assert_eq!(
        sell(&server, "MUG", json!({"quantity": 2})).await.status,
        200
    );
    assert_eq!(
        server
            .reserve("BOOT", 2, "a@example.com", None)
            .await
            .status,
        201
    );

    let refused = put_demand(
        &server,
        json!([
            {"sku": "MUG", "date": "2026-03-01", "units": 5},
            {"sku": "GHOST", "date": "2026-03-01", "units": 1},
            {"sku": "MUG", "date": "2026-02-30", "units": 1},
            {"sku": "MUG", "date": "2026-03-03", "units": 1},
            {"sku": "MUG", "date": "2026-02-01", "units": -1},
            {"sku": "MUG", "date": "2026-02-02", "units": 1.5},
            {"sku": "MUG", "date": "2026-03-01", "units": 6},
            {"sku": "MUG", "date": "2026-02-03"},
            {"sku": "MUG", "date": "2026-02-04", "units": 1, "colour": "red"},
            "MUG,2026-02-05,1",
            {"sku": "bad sku", "date": "2026-02-06", "units": 1},
            {"sku": "CUP", "date": "2026-02-07", "units": 4_294_967_296_u64},
        ]),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let error = &refused.body["error"];
    assert_eq!(error["code"], "invalid_request");
    assert_eq!(error["field"], "demand[1].sku");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("11 of 12 rows are invalid"),
        "{error}"
    );
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
    let expected: Vec<(u64, String)> = [
        (1, "sku"),
        (2, "date"),
        (3, "date"),
        (4, "units"),
        (5, "units"),
        (6, "date"),
        (7, "units"),
        (8, "colour"),
        (9, "sku"),
        (10, "sku"),
        (11, "units"),
    ]
    .into_iter()
    .map(|(at, field)| (at, field.to_owned()))
    .collect();
    assert_eq!(named, expected, "{error}");
    assert_eq!(error["items"][0]["sku"], "GHOST");
    // Nothing was written, not the good row either.
    assert_eq!(
        demand(&server, "MUG", "2026-01-01").await,
        [("2026-03-02".into(), 2, 0)]
    );

    // Too many, or none: the request as a whole.
    let rows: Vec<Value> = (0..10_001)
        .map(|index| json!({"sku": "MUG", "date": Date::parse_iso("2000-01-01").unwrap().plus_days(index).to_iso(), "units": 1}))
        .collect();
    let too_many = put_demand(&server, json!(rows)).await;
    assert_eq!(too_many.status, 422);
    assert_eq!(too_many.body["error"]["field"], "demand");
    assert_eq!(put_demand(&server, json!([])).await.status, 422);

    // Days replace what was there: units set, backordered kept; stock stays.
    let set = put_demand(
        &server,
        json!([
            {"sku": "MUG", "date": "2026-03-01", "units": 5},
            {"sku": "MUG", "date": "2026-03-02", "units": 9},
            {"sku": "BOOT", "date": "2026-03-02", "units": 1},
        ]),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body, json!({"days": 3}));
    assert_eq!(
        demand(&server, "MUG", "2026-01-01").await,
        [("2026-03-01".into(), 5, 0), ("2026-03-02".into(), 9, 0)]
    );
    assert_eq!(
        demand(&server, "BOOT", "2026-01-01").await,
        [("2026-03-02".into(), 1, 2)]
    );
    assert_eq!(stock(&server, "MUG").await, 5, "never touches stock");
    let again = put_demand(
        &server,
        json!([{"sku": "MUG", "date": "2026-03-01", "units": 0}]),
    )
    .await;
    assert_eq!(again.status, 200);
    assert_eq!(
        demand(&server, "MUG", "2026-03-01").await[0],
        ("2026-03-01".into(), 0, 0)
    );

    // Ten thousand rows in one call.
    let rows: Vec<Value> = (0..10_000)
        .map(|index| json!({"sku": if index % 2 == 0 { "MUG" } else { "BOOT" }, "date": Date::parse_iso("2000-01-01").unwrap().plus_days(index / 2).to_iso(), "units": index}))
        .collect();
    let many = put_demand(&server, json!(rows)).await;
    assert_eq!(many.status, 200, "{}", many.body);
    assert_eq!(many.body["days"], 10_000);
    assert_eq!(
        demand(&server, "BOOT", "2000-01-01").await[0],
        ("2000-01-01".into(), 1, 0)
    );
}

#[tokio::test]
async fn the_service_level_round_trips_and_is_checked() {
    let server = TestServer::start().await;
    let put = |sku: &'static str, body: Value| {
        let request = server
            .admin(Method::PUT, &format!("/api/v1/admin/products/{sku}"))
            .json(&body);
        server.send(request)
    };
    let defaulted = put("MUG", json!({"name": "Mug", "stock": 1})).await;
    assert_eq!(defaulted.status, 200, "{}", defaulted.body);
    assert_eq!(defaulted.body["service_level"], 0.95);
    for level in [0.5, 0.99, 0.999] {
        let set = put(
            "MUG",
            json!({"name": "Mug", "stock": 1, "service_level": level}),
        )
        .await;
        assert_eq!(set.status, 200, "{}", set.body);
        assert_eq!(set.body["service_level"], level);
        let read = server
            .send(server.admin(Method::GET, "/api/v1/admin/products/MUG"))
            .await;
        assert_eq!(read.body["service_level"], level);
    }
    for level in [
        json!(0.3),
        json!(1.0),
        json!(0.4999),
        json!("high"),
        json!(null),
    ] {
        let refused = put(
            "MUG",
            json!({"name": "Mug", "stock": 1, "service_level": level}),
        )
        .await;
        assert_eq!(refused.status, 422, "{level}: {}", refused.body);
        assert_eq!(refused.body["error"]["field"], "service_level");
    }
    let read = server
        .send(server.admin(Method::GET, "/api/v1/admin/products/MUG"))
        .await;
    assert_eq!(
        read.body["service_level"], 0.999,
        "refusals changed nothing"
    );

    let bulk = server
        .send(
            server
                .admin(Method::PUT, "/api/v1/admin/products")
                .json(&json!({"products": [
                    {"sku": "A", "name": "A", "stock": 1, "service_level": 0.8},
                    {"sku": "B", "name": "B", "stock": 1, "service_level": 0.3},
                    {"sku": "C", "name": "C", "stock": 1, "service_level": 1.0},
                ]})),
        )
        .await;
    assert_eq!(bulk.status, 422, "{}", bulk.body);
    assert_eq!(bulk.body["error"]["field"], "products[1].service_level");
    assert_eq!(bulk.body["error"]["items"][1]["field"], "service_level");
    let bulk = server
        .send(
            server
                .admin(Method::PUT, "/api/v1/admin/products")
                .json(&json!({"products": [
                    {"sku": "A", "name": "A", "stock": 1, "service_level": 0.8},
                ]})),
        )
        .await;
    assert_eq!(bulk.status, 200, "{}", bulk.body);
    let a = server
        .send(server.admin(Method::GET, "/api/v1/admin/products/A"))
        .await;
    assert_eq!(a.body["service_level"], 0.8);
}
