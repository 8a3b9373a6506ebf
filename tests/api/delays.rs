//! Delay notices: `reservation.delayed` when a reservation's likely ship
//! date moves later than its shopper was told (at most one a day), and the
//! one-click cancel page its `cancel_url` opens (on SQLite, and on
//! PostgreSQL in the second run).

use crate::support::receiver::{self, Arrival, Receiver};
use crate::support::{Options, TestServer, wait_until_delivered};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use stock_widget::server::domain::ReservationId;

const PATIENCE: Duration = Duration::from_secs(20);

/// A server whose receiver takes only delay notices.
async fn listening() -> (Receiver, TestServer) {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let token = server.admin_token.as_deref().unwrap();
    receiver::register(
        &server.base_url,
        token,
        &receiver.url,
        Some(&["reservation.delayed"]),
    )
    .await;
    (receiver, server)
}

/// A backorderable product with no stock and one purchase order.
async fn put_order(server: &TestServer, sku: &str, quantity: u32, eta: &str) {
    let reply = server
        .send(
            server
                .admin(Method::PUT, &format!("/api/v1/admin/products/{sku}"))
                .json(
                    &json!({"name": "Lamp <b>&</b>", "stock": 0, "backorders": "allow",
                              "incoming": [{"id": "PO-1", "quantity": quantity, "eta": eta}]}),
                ),
        )
        .await;
    assert!(reply.status == 200 || reply.status == 201, "{}", reply.body);
}

async fn reserve(server: &TestServer, sku: &str, quantity: u64, email: &str) -> Value {
    let reply = server.reserve(sku, quantity, email, None).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

/// Every notice so far, once every delivery was answered.
async fn notices(server: &TestServer, receiver: &Receiver) -> Vec<Value> {
    wait_until_delivered(&server.shop, PATIENCE).await;
    receiver
        .accepted()
        .iter()
        .map(Arrival::json)
        .inspect(|body| assert_eq!(body["type"], "reservation.delayed"))
        .map(|body| body["data"].clone())
        .collect()
}

/// The day changes: the clock moves on and the day's check runs.
async fn next_day(server: &TestServer) {
    server.clock.advance_days(1);
    server.shop.check_delays().await.expect("the day's check");
}

#[tokio::test]
async fn a_later_eta_is_one_notice_and_one_a_day_at_most() {
    let (receiver, server) = listening().await;
    put_order(&server, "LAMP", 5, "2026-03-12").await;
    let placed = reserve(&server, "LAMP", 2, "Ann@Example.com").await;
    assert_eq!(placed["ship_date"], "2026-03-12");
    let id = placed["id"].as_str().unwrap();
    assert!(notices(&server, &receiver).await.is_empty());

    put_order(&server, "LAMP", 5, "2026-03-20").await;
    let sent = notices(&server, &receiver).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let notice = &sent[0];
    assert_eq!(notice["id"], id);
    assert_eq!(notice["sku"], "LAMP");
    assert_eq!(notice["quantity"], 2);
    assert_eq!(notice["status"], "reserved");
    assert_eq!(notice["email"], "Ann@Example.com");
    assert_eq!(notice["previous_ship_date"], "2026-03-12");
    assert_eq!(notice["ship_date"], "2026-03-20");
    assert_eq!(notice["ship_date_latest"], "2026-03-20");
    assert_eq!(notice["reason"], "purchase_order_changed");
    let cancel_url = notice["cancel_url"].as_str().unwrap();
    assert!(
        cancel_url.starts_with(&format!(
            "{}/reservations/{id}/cancel?token=",
            server.base_url
        )),
        "{cancel_url}"
    );

    // Later again the same day: it waits for the next day's check.
    put_order(&server, "LAMP", 5, "2026-03-25").await;
    assert_eq!(notices(&server, &receiver).await.len(), 1);
    next_day(&server).await;
    let sent = notices(&server, &receiver).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1]["previous_ship_date"], "2026-03-20");
    assert_eq!(sent[1]["ship_date"], "2026-03-25");
    assert_eq!(sent[1]["cancel_url"], notice["cancel_url"]);
    // Nothing more to say on a later check.
    next_day(&server).await;
    assert_eq!(notices(&server, &receiver).await.len(), 2);
}

#[tokio::test]
async fn a_move_that_comes_back_or_goes_earlier_says_nothing() {
    let (receiver, server) = listening().await;
    put_order(&server, "BACK", 5, "2026-03-12").await;
    reserve(&server, "BACK", 1, "ben@example.com").await;
    put_order(&server, "BACK", 5, "2026-03-14").await;
    assert_eq!(notices(&server, &receiver).await.len(), 1);

    // Later (waits: told today), then back to what was told: nothing, today or tomorrow.
    put_order(&server, "BACK", 5, "2026-03-30").await;
    put_order(&server, "BACK", 5, "2026-03-14").await;
    next_day(&server).await;
    assert_eq!(notices(&server, &receiver).await.len(), 1);

    // Earlier: no notice, and the date told stays (a move back up to it says nothing).
    put_order(&server, "BACK", 5, "2026-03-09").await;
    put_order(&server, "BACK", 5, "2026-03-14").await;
    next_day(&server).await;
    assert_eq!(notices(&server, &receiver).await.len(), 1);

    // Beyond it: told.
    put_order(&server, "BACK", 5, "2026-03-16").await;
    let sent = notices(&server, &receiver).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1]["previous_ship_date"], "2026-03-14");
    assert_eq!(sent[1]["ship_date"], "2026-03-16");
}

#[tokio::test]
async fn an_overdue_order_at_the_day_change_is_a_notice() {
    let (receiver, server) = listening().await;
    // Expected today: likely today.
    put_order(&server, "DUE", 5, "2026-03-02").await;
    let placed = reserve(&server, "DUE", 1, "cat@example.com").await;
    assert_eq!(placed["ship_date"], "2026-03-02");
    next_day(&server).await;
    let sent = notices(&server, &receiver).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["reason"], "purchase_order_overdue");
    assert_eq!(sent[0]["previous_ship_date"], "2026-03-02");
    assert_eq!(sent[0]["ship_date"], "2026-03-03");
}

/// The server's own day check, not the test's: at start (it was down over
/// the day change) and at a day change while it runs.
#[tokio::test]
async fn a_server_down_over_the_day_change_checks_when_it_starts_and_then_daily() {
    let (receiver, mut server) = listening().await;
    put_order(&server, "LATE", 5, "2026-03-02").await;
    reserve(&server, "LATE", 1, "dan@example.com").await;
    server.stop().await;
    server.clock.advance_days(1);
    server.resume().await;
    let told = |count: usize| {
        move |arrivals: &[Arrival]| {
            arrivals
                .iter()
                .filter(|arrival| arrival.answered == 204)
                .count()
                >= count
        }
    };
    receiver
        .wait_for(PATIENCE, "the notice at start", told(1))
        .await;
    server.clock.advance_days(1);
    receiver
        .wait_for(PATIENCE, "the next day's notice", told(2))
        .await;
    let sent = notices(&server, &receiver).await;
    let moves: Vec<_> = sent
        .iter()
        .map(|notice| {
            (
                notice["previous_ship_date"].clone(),
                notice["ship_date"].clone(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            (json!("2026-03-02"), json!("2026-03-03")),
            (json!("2026-03-03"), json!("2026-03-04"))
        ]
    );
}

async fn text_of(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

pub(crate) fn assert_page_headers(response: &reqwest::Response) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header("cache-control"), "no-store");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("x-robots-tag"), "noindex");
    let policy = header("content-security-policy");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("form-action 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("script-src"), "{policy}");
}

#[tokio::test]
async fn the_cancel_page_shows_and_only_its_post_cancels() {
    let server = TestServer::start().await;
    put_order(&server, "PAGE", 3, "2026-03-12").await;
    let first = reserve(&server, "PAGE", 2, "dan@example.com").await;
    let second = reserve(&server, "PAGE", 2, "eve@example.com").await;
    let id = ReservationId::parse(first["id"].as_str().unwrap()).unwrap();
    let path = server.shop.cancel_links().unwrap().path(&id);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // GET (a link scanner, a shopper looking): the page, nothing cancelled.
    for _ in 0..2 {
        let response = http.get(server.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_page_headers(&response);
        let html = text_of(response).await;
        assert!(
            html.contains("Lamp &lt;b&gt;&amp;&lt;/b&gt;"),
            "escaped: {html}"
        );
        assert!(html.contains("Units: 2"), "{html}");
        assert!(html.contains("2026-03-12"), "{html}");
        assert!(html.contains("<form method=\"post\""), "{html}");
        assert!(html.contains("Cancel reservation"), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }
    let still = server.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(still.status, 200);
    assert_eq!(still.body["status"], "reserved");

    // In the shopper's language.
    let german = http
        .get(server.url(&path))
        .header("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(text_of(german).await.contains("Reservierung stornieren"));

    // POST cancels, as DELETE does, and goes back to the page.
    let response = http.post(server.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_page_headers(&response);
    assert_eq!(response.headers()["location"].to_str().unwrap(), path);
    let gone = server.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["error"]["code"], "reservation_cancelled");
    // Its units went to the reservation behind it: all 2 of the 3 ordered.
    let queue = server
        .send(server.admin(Method::GET, "/api/v1/admin/products/PAGE/reservations"))
        .await;
    let ids: Vec<&str> = queue.body["reservations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second["id"].as_str().unwrap()]);
    let availability = server.get("/api/v1/products/PAGE/availability").await;
    assert_eq!(availability.status, 200);

    let after = http.get(server.url(&path)).send().await.unwrap();
    assert_eq!(after.status(), 200);
    let html = text_of(after).await;
    assert!(html.contains("This reservation is cancelled."), "{html}");
    assert!(!html.contains("<form"), "{html}");
    // Again: no change, back to the same page.
    let again = http.post(server.url(&path)).send().await.unwrap();
    assert_eq!(again.status(), 303);
}

#[tokio::test]
async fn a_wrong_token_or_unknown_reservation_reveals_nothing() {
    let server = TestServer::start().await;
    put_order(&server, "SAFE", 3, "2026-03-12").await;
    let placed = reserve(&server, "SAFE", 1, "fay@example.com").await;
    let id = placed["id"].as_str().unwrap();
    let links = server.shop.cancel_links().unwrap();
    let other = ReservationId::parse("rsv_0123456789abcdef0123456789abcdef").unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let wrong = [
        format!("/reservations/{id}/cancel"),
        format!("/reservations/{id}/cancel?token="),
        format!("/reservations/{id}/cancel?token=AAAA"),
        // Another reservation's token.
        format!("/reservations/{id}/cancel?token={}", links.token(&other)),
        // A token that is right for an id nobody holds.
        links.path(&other),
        format!("/reservations/nope/cancel?token={}", links.token(&other)),
    ];
    let mut pages = Vec::new();
    for path in &wrong {
        for method in [Method::GET, Method::POST] {
            let response = http
                .request(method.clone(), server.url(path))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 404, "{method} {path}");
            assert_page_headers(&response);
            let html = text_of(response).await;
            assert!(!html.contains("Lamp"), "{html}");
            assert!(!html.contains("<form"), "{html}");
            pages.push(html);
        }
    }
    assert!(
        pages.windows(2).all(|pair| pair[0] == pair[1]),
        "one page for all"
    );
    let kept = server.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(kept.body["status"], "reserved");
}

#[tokio::test]
async fn servers_on_one_database_share_the_links_secret() {
    let first = TestServer::start().await;
    let second = TestServer::start_on(first.database.clone(), Options::default()).await;
    put_order(&first, "TWO", 3, "2026-03-12").await;
    let placed = reserve(&first, "TWO", 1, "gus@example.com").await;
    let id = ReservationId::parse(placed["id"].as_str().unwrap()).unwrap();
    let path = first.shop.cancel_links().unwrap().path(&id);
    assert_eq!(second.shop.cancel_links().unwrap().path(&id), path);
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(second.url(&path))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let gone = first.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(gone.body["error"]["code"], "reservation_cancelled");
}

#[tokio::test]
async fn a_slower_supplier_is_a_notice_for_its_products() {
    let (receiver, server) = listening().await;
    let supplier = |lead_time_days: u32| {
        server
            .admin(Method::PUT, "/api/v1/admin/suppliers/SLOW")
            .json(&json!({"name": "Slow Co", "lead_time_days": lead_time_days}))
    };
    assert_eq!(server.send(supplier(30)).await.status, 201);
    let reply = server
        .send(
            server
                .admin(Method::PUT, "/api/v1/admin/products/KETTLE")
                .json(&json!({"name": "Kettle", "stock": 0, "backorders": "allow",
                              "supplier": "SLOW"})),
        )
        .await;
    assert!(reply.status == 200 || reply.status == 201, "{}", reply.body);
    let placed = reserve(&server, "KETTLE", 1, "hal@example.com").await;
    assert_eq!(placed["ship_date"], "2026-04-01");

    assert_eq!(server.send(supplier(40)).await.status, 200);
    let sent = notices(&server, &receiver).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["id"], placed["id"]);
    assert_eq!(sent[0]["reason"], "supplier_reliability");
    assert_eq!(sent[0]["previous_ship_date"], "2026-04-01");
    assert_eq!(sent[0]["ship_date"], "2026-04-11");
}
