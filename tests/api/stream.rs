//! `GET /api/v1/availability/stream`: what a stream sends, when, and when not.

use crate::support::{Options, TestServer, product};
use serde_json::Value;
use std::time::Duration;
use stock_widget::logic::BackorderPolicy;
use stock_widget::server::domain::{PlannedOrder, ProductSettings};
use stock_widget::server::{Clock, Limits};

/// One block of a `text/event-stream`: an event, a `retry:` or a comment.
#[derive(Debug, Default)]
pub(crate) struct Block {
    event: Option<String>,
    id: Option<String>,
    data: String,
    retry: Option<u64>,
    comment: Option<String>,
}

impl Block {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.data).expect("event data is JSON")
    }
}

/// A minimal server-sent-events reader over a streaming response (also
/// for other tests that watch what a write sends to the widgets).
pub(crate) struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    pub(crate) async fn open(
        server: &TestServer,
        query: &str,
        last_event_id: Option<&str>,
    ) -> EventStream {
        let mut request = server
            .http()
            .get(server.url(&format!("/api/v1/availability/stream?{query}")));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("the server answers");
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "an event stream"
        );
        EventStream {
            response,
            buffer: String::new(),
        }
    }

    /// The next block within `within`; `None` when none came or the stream ended.
    async fn next_block(&mut self, within: Duration) -> Option<Block> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let text: String = self.buffer.drain(..end + 2).collect();
                return Some(parse_block(&text));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// The next event's `(sku, available)`; fails when none comes soon.
    async fn next_sku_and_available(&mut self, what: &str) -> (String, u64) {
        let body = self.next_event(SOON).await.expect(what).json();
        (
            body["sku"].as_str().unwrap_or_default().to_owned(),
            body["available"].as_u64().unwrap_or(u64::MAX),
        )
    }

    /// The next `availability` event within `within`, skipping comments and `retry:`.
    pub(crate) async fn next_event(&mut self, within: Duration) -> Option<Block> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let block = self.next_block(left).await?;
            if block.event.is_some() {
                assert_eq!(block.event.as_deref(), Some("availability"));
                return Some(block);
            }
        }
    }
}

fn parse_block(text: &str) -> Block {
    let mut block = Block::default();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            block.comment = Some(comment.trim().to_owned());
        } else if let Some((field, value)) = line.split_once(':') {
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => block.event = Some(value.to_owned()),
                "id" => block.id = Some(value.to_owned()),
                "data" => block.data.push_str(value),
                "retry" => block.retry = value.parse().ok(),
                _ => {}
            }
        }
    }
    block
}

/// A server with `limits` and one product, `A`, with 5 in stock.
async fn serving_a(limits: Limits) -> TestServer {
    let server = TestServer::start_with(Options {
        limits,
        ..Options::default()
    })
    .await;
    server.put_product("A", product("A", 5)).await;
    server
}

pub(crate) const SOON: Duration = Duration::from_secs(3);

async fn receive(server: &TestServer, sku: &str, units: u32) {
    let reply = server
        .send(
            server
                .admin(
                    reqwest::Method::POST,
                    &format!("/api/v1/admin/products/{sku}/receipts"),
                )
                .json(&serde_json::json!({ "quantity": units })),
        )
        .await;
    assert_eq!(reply.status, 200, "receipt: {}", reply.body);
}

fn backordered(name: &str) -> ProductSettings {
    ProductSettings {
        backorders: BackorderPolicy::Allow,
        ..product(name, 0)
    }
}

#[tokio::test]
async fn a_stream_starts_with_every_sku_then_sends_each_visible_change() {
    let server = TestServer::start().await;
    server.put_product("KETTLE", product("Kettle", 5)).await;
    server.put_product("SHOE", backordered("Shoe")).await;

    let mut stream = EventStream::open(&server, "skus=KETTLE,SHOE,LATER&quantity=2", None).await;
    let first = stream.next_block(SOON).await.expect("a first block");
    assert_eq!(first.retry, Some(2000), "retry: comes first");

    // The current state, in the order asked, the same JSON as the batch answer.
    let batch = server
        .get("/api/v1/availability?skus=KETTLE,SHOE&quantity=2")
        .await;
    for (index, sku) in ["KETTLE", "SHOE"].iter().enumerate() {
        let event = stream.next_event(SOON).await.expect("the current state");
        let mut sent = event.json();
        let mut answered = batch.body["items"][index].clone();
        assert_eq!(sent["sku"], *sku);
        sent["as_of"] = Value::Null;
        answered["as_of"] = Value::Null;
        assert_eq!(sent, answered);
        assert_eq!(
            event.id.is_some(),
            index == 1,
            "only the last event of a burst carries the id (a client cut off mid-burst resumes before it)"
        );
    }
    // An unknown SKU sends nothing: the next event is the receipt's (events
    // come in order, so anything sent for LATER would have come first).

    // A receipt makes the backordered shoe in stock.
    receive(&server, "SHOE", 3).await;
    let event = stream.next_event(SOON).await.expect("the receipt's change");
    let body = event.json();
    assert_eq!(
        (
            body["sku"].as_str(),
            body["status"].as_str(),
            body["available"].as_u64()
        ),
        (Some("SHOE"), Some("in_stock"), Some(3))
    );

    // Another client reserves kettles.
    let reply = server.reserve("KETTLE", 4, "a@example.com", None).await;
    assert_eq!(reply.status, 201);
    let body = stream
        .next_event(SOON)
        .await
        .expect("the reservation's change")
        .json();
    assert_eq!(
        (body["sku"].as_str(), body["available"].as_u64()),
        (Some("KETTLE"), Some(1))
    );
    assert_eq!(
        body["fulfillable"], false,
        "2 asked, 1 left, backorders denied"
    );

    // A product created later joins its stream.
    server.put_product("LATER", product("Later", 7)).await;
    assert_eq!(
        stream.next_sku_and_available("the new product").await,
        ("LATER".into(), 7)
    );
}

#[tokio::test]
async fn writes_that_change_nothing_visible_or_roll_back_send_nothing() {
    let server = TestServer::start().await;
    server.put_product("LAMP", product("Lamp", 1)).await;
    server.put_product("OTHER", product("Other", 9)).await;
    let mut stream = EventStream::open(&server, "skus=LAMP", None).await;
    stream.next_event(SOON).await.expect("the current state");

    // The same settings again, and a change to another product.
    server.put_product("LAMP", product("Lamp", 1)).await;
    server.put_product("OTHER", product("Other", 8)).await;
    // A reservation the logic refuses: its transaction rolls back.
    let refused = server.reserve("LAMP", 2, "a@example.com", None).await;
    assert_eq!(refused.status, 409);

    // Nothing visible changed, so nothing was sent: a real change arrives,
    // and it is the next event (events come in order).
    let placed = server.reserve("LAMP", 1, "a@example.com", None).await;
    assert_eq!(placed.status, 201);
    let body = stream.next_event(SOON).await.expect("the change").json();
    assert_eq!(body["status"], "out_of_stock");
}

#[tokio::test]
async fn a_client_resuming_with_last_event_id_gets_only_what_changed() {
    let server = TestServer::start().await;
    server.put_product("A", product("A", 5)).await;
    server.put_product("B", product("B", 5)).await;
    let mut stream = EventStream::open(&server, "skus=A,B", None).await;
    stream.next_event(SOON).await.expect("A");
    let last = stream.next_event(SOON).await.expect("B").id.expect("an id");
    drop(stream);

    server.reserve("A", 1, "a@example.com", None).await;
    let mut resumed = EventStream::open(&server, "skus=A,B", Some(&last)).await;
    assert_eq!(
        resumed.next_sku_and_available("A changed").await,
        ("A".into(), 4)
    );
    // B did not change, so it is not sent again: B is still watched after a
    // resume, and its next event is the change below (B at 5 would come first).
    server.reserve("B", 2, "a@example.com", None).await;
    assert_eq!(
        resumed.next_sku_and_available("B changes").await,
        ("B".into(), 3)
    );

    // A position the server cannot place: everything again.
    let mut unknown = EventStream::open(&server, "skus=A,B", Some("another-run.3")).await;
    for sku in ["A", "B"] {
        assert_eq!(
            unknown.next_event(SOON).await.expect(sku).json()["sku"],
            sku
        );
    }
}

#[tokio::test]
async fn idle_streams_get_heartbeat_comments() {
    let server = serving_a(Limits {
        stream_heartbeat: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    let mut stream = EventStream::open(&server, "skus=A", None).await;
    stream.next_event(SOON).await.expect("the current state");
    let block = stream.next_block(SOON).await.expect("a heartbeat");
    assert_eq!(block.comment.as_deref(), Some("heartbeat"));
    assert!(block.event.is_none());
}

#[tokio::test]
async fn streams_beyond_the_cap_are_refused_with_retry_after_until_one_closes() {
    let server = serving_a(Limits {
        max_streams: 2,
        // A closed client is noticed when the next heartbeat fails to write.
        stream_heartbeat: Duration::from_millis(200),
        ..Limits::default()
    })
    .await;
    let first = EventStream::open(&server, "skus=A", None).await;
    let _second = EventStream::open(&server, "skus=A", None).await;

    let refused = server
        .http()
        .get(server.url("/api/v1/availability/stream?skus=A"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "10");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_streams");
    // Other requests are unaffected.
    assert_eq!(
        server.get("/api/v1/products/A/availability").await.status,
        200
    );

    drop(first);
    let deadline = tokio::time::Instant::now() + SOON;
    loop {
        let attempt = server
            .http()
            .get(server.url("/api/v1/availability/stream?skus=A"))
            .send()
            .await
            .unwrap();
        if attempt.status() == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the closed stream's slot was never freed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_new_day_sends_the_moved_ship_dates() {
    let server = TestServer::start().await;
    let eta = server.clock.today().plus_days(5);
    server
        .put_product(
            "BIKE",
            ProductSettings {
                incoming: vec![PlannedOrder::new(4, eta)],
                ..backordered("Bike")
            },
        )
        .await;
    let mut stream = EventStream::open(&server, "skus=BIKE", None).await;
    let body = stream
        .next_event(SOON)
        .await
        .expect("the current state")
        .json();
    assert_eq!(body["ships_in_days"], 5);
    server.clock.advance_days(1);
    let body = stream
        .next_event(SOON)
        .await
        .expect("midnight's change")
        .json();
    assert_eq!(body["ships_in_days"], 4);
    assert_eq!(body["ship_date"], eta.to_iso());
}

#[tokio::test]
async fn streams_end_when_the_server_shuts_down() {
    let mut server = TestServer::start().await;
    server.put_product("A", product("A", 5)).await;
    let mut stream = EventStream::open(&server, "skus=A", None).await;
    stream.next_event(SOON).await.expect("the current state");
    let started = std::time::Instant::now();
    server.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an open stream held the shutdown for {:?}",
        started.elapsed()
    );
    assert!(stream.next_block(SOON).await.is_none(), "the stream ended");
}

#[tokio::test]
async fn bad_stream_requests_are_explained() {
    let server = TestServer::start().await;
    let reply = server.get("/api/v1/availability/stream").await;
    assert_eq!(
        (reply.status, &reply.body["error"]["field"]),
        (422, &Value::from("skus"))
    );
    let reply = server
        .get("/api/v1/availability/stream?skus=A&quantity=0")
        .await;
    assert_eq!(
        (reply.status, &reply.body["error"]["field"]),
        (422, &Value::from("quantity"))
    );
}

#[tokio::test]
async fn streams_outlive_the_request_timeout_but_count_as_connections() {
    let server = serving_a(Limits {
        request_timeout: Duration::from_millis(300),
        max_connections: 2,
        ..Limits::default()
    })
    .await;
    let mut stream = EventStream::open(&server, "skus=A", None).await;
    stream.next_event(SOON).await.expect("the current state");
    // Well past the request timeout, the stream still delivers.
    tokio::time::sleep(Duration::from_millis(900)).await;
    // (Through the store: an HTTP write would hold a connection for a moment.)
    server.put_product("A", product("A", 4)).await;
    let body = stream
        .next_event(SOON)
        .await
        .expect("a change after the timeout")
        .json();
    assert_eq!(body["available"], 4);

    // A second stream takes the last connection; a third connection is closed.
    let _second = EventStream::open(&server, "skus=A", None).await;
    let third = reqwest::Client::new()
        .get(server.url("/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(third.is_err(), "a connection beyond the limit was served");
}
