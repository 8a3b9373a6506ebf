//! The merchant's insight (safety stock, reorder points) through the API,
//! from histories whose numbers were computed independently (Python's
//! `statistics`, in the comments); `product.reorder_point` once per
//! crossing; the list's order and its CSV — on SQLite, and on PostgreSQL in
//! the second run. (The formulas' own edge cases: `src/logic/insight/tests.rs`.)

use crate::support::receiver::{self, Arrival, Receiver};
use crate::support::{TestServer, wait_until_delivered};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(20);

async fn put(server: &TestServer, path: &str, body: Value) -> crate::support::Reply {
    let reply = server
        .send(server.admin(Method::PUT, path).json(&body))
        .await;
    assert!(
        reply.status == 200 || reply.status == 201,
        "{path}: {}",
        reply.body
    );
    reply
}

async fn post(server: &TestServer, path: &str, body: Value) -> crate::support::Reply {
    let reply = server
        .send(server.admin(Method::POST, path).json(&body))
        .await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply
}

async fn insight(server: &TestServer, sku: &str) -> Value {
    let path = format!("/api/v1/admin/products/{sku}/insight");
    let reply = server.send(server.admin(Method::GET, &path)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

/// `units` on every one of the 90 days before the test's today (2026-03-02).
fn every_day(sku: &str, units: u32) -> Vec<Value> {
    (0..90)
        .map(|offset| {
            let days = crate::support::test_today().days_since_epoch() - 90 + offset;
            let date = stock_widget::logic::Date::from_days_since_epoch(days).to_iso();
            json!({"sku": sku, "date": date, "units": units})
        })
        .collect()
}

/// A server whose receiver hears only `product.reorder_point`, and `sku`
/// with 25 on hand and a 10-day lead time.
async fn hearing_reorders(sku: &str) -> (Receiver, TestServer) {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let token = server.admin_token.as_deref().unwrap();
    receiver::register(
        &server.base_url,
        token,
        &receiver.url,
        Some(&["product.reorder_point"]),
    )
    .await;
    put(
        &server,
        &format!("/api/v1/admin/products/{sku}"),
        json!({"name": sku, "stock": 25, "lead_time_days": 10}),
    )
    .await;
    (receiver, server)
}

/// The shop's checkout sold `units` of `sku`.
async fn sell(server: &TestServer, sku: &str, units: u32) {
    let path = format!("/api/v1/admin/products/{sku}/sales");
    post(server, &path, json!({"quantity": units})).await;
}

/// The `product.reorder_point` events, once every delivery was answered.
async fn reorders_told(server: &TestServer, receiver: &Receiver) -> Vec<Value> {
    wait_until_delivered(&server.shop, PATIENCE).await;
    receiver.accepted().iter().map(Arrival::json).collect()
}

fn close(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or(f64::NAN);
    assert!((actual - expected).abs() < 1e-9, "{actual} ≠ {expected}");
}

#[tokio::test]
async fn steady_demand_with_the_products_lead_time() {
    let server = TestServer::start().await;
    put(
        &server,
        "/api/v1/admin/products/STEADY",
        json!({"name": "Steady", "stock": 15, "lead_time_days": 10}),
    )
    .await;
    put(
        &server,
        "/api/v1/admin/demand",
        json!({"demand": every_day("STEADY", 2)}),
    )
    .await;
    let numbers = insight(&server, "STEADY").await;
    // μ = 2, σ = 0, L = 10 (the product's): no safety stock needed;
    // reorder point ⌈2·10⌉ = 20 ≥ position 15: order 20 + ⌈30·2⌉ − 15 = 65.
    close(&numbers["daily_demand_mean"], 2.0);
    close(&numbers["daily_demand_sd"], 0.0);
    close(&numbers["lead_time_days"], 10.0);
    assert_eq!(numbers["lead_time_source"], "product");
    // python3 -c "import statistics; print(statistics.NormalDist().inv_cdf(0.95))"
    assert!((numbers["z"].as_f64().unwrap() - 1.6448536269514715).abs() < 1e-9);
    assert_eq!(numbers["safety_stock"], 0);
    assert_eq!(numbers["reorder_point"], 20);
    assert_eq!(numbers["position"], 15);
    assert_eq!(numbers["reorder_needed"], true);
    assert_eq!(numbers["suggested_order_quantity"], 65);
    assert_eq!(numbers["days_of_cover"], 7);
    close(&numbers["backorder_rate"], 0.0);
    assert_eq!(numbers["window_days"], 90);
    let demand = numbers["demand"].as_array().unwrap();
    assert_eq!(demand.len(), 90);
    assert_eq!(demand[0], json!({"date": "2025-12-02", "units": 2}));
    assert_eq!(demand[89], json!({"date": "2026-03-01", "units": 2}));
}

#[tokio::test]
async fn one_spike_with_an_observed_supplier_lead_time() {
    let server = TestServer::start().await;
    put(
        &server,
        "/api/v1/admin/suppliers/ACME",
        json!({"name": "Acme", "lead_time_days": 30}),
    )
    .await;
    put(
        &server,
        "/api/v1/admin/products/SPIKE",
        json!({"name": "Spike", "stock": 40, "supplier": "ACME", "incoming": [
            {"id": "PO-A", "quantity": 5, "eta": "2026-02-11", "ordered_on": "2026-02-01"},
            {"id": "PO-B", "quantity": 5, "eta": "2026-02-17", "ordered_on": "2026-02-05"},
            {"id": "PO-C", "quantity": 5, "eta": "2026-02-24", "ordered_on": "2026-02-10"},
        ]}),
    )
    .await;
    // Received 10, 12 and 14 days after ordering.
    for (order, received_on) in [
        ("PO-A", "2026-02-11"),
        ("PO-B", "2026-02-17"),
        ("PO-C", "2026-02-24"),
    ] {
        post(
            &server,
            "/api/v1/admin/products/SPIKE/receipts",
            json!({"quantity": 5, "purchase_order": order, "received_on": received_on}),
        )
        .await;
    }
    put(
        &server,
        "/api/v1/admin/demand",
        json!({"demand": [{"sku": "SPIKE", "date": "2026-01-15", "units": 45}]}),
    )
    .await;
    let numbers = insight(&server, "SPIKE").await;
    // python3 -c "import statistics as s, math; d=[0]*90; d[44]=45; z=s.NormalDist().inv_cdf(0.95);
    //   L=s.mean([10,12,14]); sl=s.stdev([10,12,14]); mu=s.mean(d); sd=s.stdev(d);
    //   ss=math.ceil(z*math.sqrt(L*sd**2+mu**2*sl**2)); print(mu, sd, L, sl, ss, math.ceil(mu*L)+ss)"
    // → 0.5 4.743416490252569 12 2.0 28 34
    close(&numbers["daily_demand_mean"], 0.5);
    close(&numbers["daily_demand_sd"], 4.743416490252569);
    close(&numbers["lead_time_days"], 12.0);
    close(&numbers["lead_time_sd"], 2.0);
    assert_eq!(numbers["lead_time_source"], "observed");
    assert_eq!(numbers["safety_stock"], 28);
    assert_eq!(numbers["reorder_point"], 34);
    assert_eq!(numbers["stock"], 55);
    assert_eq!(numbers["on_order"], 0);
    assert_eq!(numbers["position"], 55);
    assert_eq!(numbers["reorder_needed"], false);
    assert_eq!(numbers["suggested_order_quantity"], 0);
    // ⌊55 / 0.5⌋
    assert_eq!(numbers["days_of_cover"], 110);
    assert_eq!(numbers["supplier"], "ACME");

    // Another product of ACME shares its record; one of a supplier with no
    // observed lead times (fewer than 3) takes the supplier's lead time.
    put(
        &server,
        "/api/v1/admin/products/OTHER",
        json!({"name": "Other", "stock": 1, "supplier": "ACME"}),
    )
    .await;
    assert_eq!(
        insight(&server, "OTHER").await["lead_time_source"],
        "observed"
    );
    put(
        &server,
        "/api/v1/admin/suppliers/SLOW",
        json!({"name": "Slow", "lead_time_days": 30}),
    )
    .await;
    put(
        &server,
        "/api/v1/admin/products/OTHER",
        json!({"name": "Other", "stock": 1, "supplier": "SLOW"}),
    )
    .await;
    let other = insight(&server, "OTHER").await;
    assert_eq!(other["lead_time_source"], "supplier");
    close(&other["lead_time_days"], 30.0);
    // No demand: nothing to cover, nothing to rate.
    assert_eq!(other["days_of_cover"], Value::Null);
    assert_eq!(other["backorder_rate"], Value::Null);
    let unknown = server
        .send(server.admin(Method::GET, "/api/v1/admin/products/NOPE/insight"))
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"]["code"], "unknown_product");
}

#[tokio::test]
async fn yesterdays_backorders_count_in_the_backorder_rate() {
    let server = TestServer::start().await;
    put(
        &server,
        "/api/v1/admin/products/LATE",
        json!({"name": "Late", "stock": 1, "backorders": "allow"}),
    )
    .await;
    let placed = server.reserve("LATE", 4, "ann@example.com", None).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    // Today's demand is not in the window yet.
    assert_eq!(
        insight(&server, "LATE").await["backorder_rate"],
        Value::Null
    );
    server.clock.advance_days(1);
    let numbers = insight(&server, "LATE").await;
    // 4 units asked for, 3 of them on backorder.
    close(&numbers["backorder_rate"], 0.75);
    close(&numbers["daily_demand_mean"], 4.0 / 90.0);
    assert_eq!(numbers["position"], -3);
}

#[tokio::test]
async fn a_fall_to_the_reorder_point_is_heard_once_per_crossing() {
    let (receiver, server) = hearing_reorders("FALL").await;
    // μ = 2, L = 10: reorder point 20.
    put(
        &server,
        "/api/v1/admin/demand",
        json!({"demand": every_day("FALL", 2)}),
    )
    .await;
    let sell = |units| sell(&server, "FALL", units);
    sell(3).await; // 22: above
    sell(3).await; // 19: crossed
    sell(1).await; // 18: still below, no news
    post(
        &server,
        "/api/v1/admin/products/FALL/receipts",
        json!({"quantity": 10}),
    )
    .await; // 28: above again
    sell(10).await; // 18: crossed again
    let told = reorders_told(&server, &receiver).await;
    assert_eq!(told.len(), 2, "{told:?}");
    for event in &told {
        assert_eq!(event["type"], "product.reorder_point");
        assert_eq!(event["data"]["sku"], "FALL");
        assert_eq!(event["data"]["reorder_point"], 20);
    }
    assert_eq!(told[0]["data"]["position"], 19);
    assert_eq!(told[0]["data"]["suggested_order_quantity"], 61);
    assert_eq!(told[1]["data"]["position"], 18);
}

#[tokio::test]
async fn the_list_puts_reorders_first_then_the_least_cover_and_says_it_as_csv() {
    let server = TestServer::start().await;
    for (sku, stock) in [("AMPLE", 500), ("SHORT", 5), ("THIN", 40), ("QUIET", 3)] {
        put(
            &server,
            &format!("/api/v1/admin/products/{sku}"),
            json!({"name": format!("Product {sku}"), "stock": stock, "lead_time_days": 10}),
        )
        .await;
    }
    let mut history = every_day("AMPLE", 2);
    history.extend(every_day("SHORT", 2));
    history.extend(every_day("THIN", 2));
    put(&server, "/api/v1/admin/demand", json!({"demand": history})).await;
    let reply = server
        .send(server.admin(Method::GET, "/api/v1/admin/insight"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let order: Vec<&str> = reply.body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["sku"].as_str().unwrap())
        .collect();
    // SHORT (5 ≤ 20) needs a reorder; then THIN (20 days of cover), AMPLE
    // (250), and QUIET without demand last.
    assert_eq!(order, ["SHORT", "THIN", "AMPLE", "QUIET"]);
    assert!(reply.body["products"][0].get("demand").is_none());

    let csv = server
        .http()
        .get(server.url("/api/v1/admin/insight.csv"))
        .bearer_auth(server.admin_token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[0].starts_with("sku,name,supplier,reorder_needed,suggested_order_quantity,position,reorder_point,safety_stock"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("SHORT,Product SHORT,,true,75,5,20,0,"),
        "{}",
        lines[1]
    );
    assert!(lines[4].starts_with("QUIET,"), "{}", lines[4]);
}

/// The reorder point a write compares with is kept for the day; a new
/// history or new settings make it worked out again before the next check.
#[tokio::test]
async fn a_new_history_or_new_settings_move_the_reorder_point_the_next_write_sees() {
    let (receiver, server) = hearing_reorders("MOVE").await;
    put(
        &server,
        "/api/v1/admin/demand",
        json!({"demand": every_day("MOVE", 2)}),
    )
    .await;
    let sell = |units| sell(&server, "MOVE", units);
    sell(1).await; // 24 > 20 (μ = 2, L = 10)
    // Busier than thought: μ = 3, so the point is 30 — the next sale is below it.
    put(
        &server,
        "/api/v1/admin/demand",
        json!({"demand": every_day("MOVE", 3)}),
    )
    .await;
    sell(1).await; // 23 ≤ 30: told
    // A shorter lead time: 15. Above it again, silently; then below.
    put(
        &server,
        "/api/v1/admin/products/MOVE",
        json!({"name": "Move", "stock": 23, "lead_time_days": 5}),
    )
    .await;
    sell(9).await; // 14 ≤ 15: told
    let told = reorders_told(&server, &receiver).await;
    let seen: Vec<(Value, Value)> = told
        .iter()
        .map(|event| {
            (
                event["data"]["position"].clone(),
                event["data"]["reorder_point"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [(json!(23), json!(30)), (json!(14), json!(15))],
        "{told:?}"
    );
}
