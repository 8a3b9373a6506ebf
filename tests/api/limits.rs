//! Slow and idle clients cannot hold the server; one address cannot take
//! every reservation.

use crate::support::{Options, TestServer, product};
use std::time::{Duration, Instant};
use stock_widget::server::domain::ProductSettings;
use stock_widget::server::{Limits, WriteLimit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn options(header_timeout: Duration, max_connections: usize) -> Options {
    Options {
        limits: Limits {
            header_timeout,
            max_connections,
            ..Limits::default()
        },
        ..Options::default()
    }
}

fn address(server: &TestServer) -> String {
    server.base_url.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection; `false` if it did not by `deadline`.
async fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut buffer = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // a 408 or similar before the close
            Err(_) => return false,
        }
    }
}

async fn healthz_answers(server: &TestServer) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    client
        .get(server.url("/healthz"))
        .send()
        .await
        .is_ok_and(|response| response.status() == 200)
}

#[tokio::test]
async fn requests_that_never_finish_their_headers_are_closed_after_the_header_timeout() {
    let header_timeout = Duration::from_secs(1);
    let server = TestServer::start_with(options(header_timeout, 10_000)).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(address(&server)).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    assert!(
        healthz_answers(&server).await,
        "others are served meanwhile"
    );
    let deadline = started + header_timeout + Duration::from_secs(15);
    for (index, stream) in slow.iter_mut().enumerate() {
        assert!(
            closed_by(stream, deadline).await,
            "connection {index} still open 15 s after the header timeout"
        );
    }
    eprintln!(
        "200 never-finished requests, header timeout {header_timeout:?}: all closed {:?} after they were opened",
        started.elapsed()
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_at_once_and_served_again_when_one_ends() {
    let server = TestServer::start_with(options(Duration::from_secs(30), 4)).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(address(&server)).await.unwrap());
    }
    // No wait needed for the server to take all four: it accepts in the
    // order connections were made (the listen queue is first in, first
    // out) and takes each one's slot before it accepts the next, so when it
    // comes to the fifth the four hold all the slots.
    let mut extra = TcpStream::connect(address(&server)).await.unwrap();
    assert!(
        closed_by(&mut extra, Instant::now() + Duration::from_secs(5)).await,
        "the fifth connection is closed"
    );
    assert!(
        !healthz_answers(&server).await,
        "no room while four are open"
    );
    drop(idle.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    while !healthz_answers(&server).await {
        assert!(
            Instant::now() < deadline,
            "served again once a connection ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A client whose requests come from `address` (any of 127.0.0.0/8 works on loopback).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// A server with `write_limit`, selling a kettle only on backorder.
async fn kettle_on_backorder(write_limit: WriteLimit) -> TestServer {
    let server = TestServer::start_with(Options {
        write_limit,
        ..Options::default()
    })
    .await;
    server
        .put_product(
            "KETTLE",
            ProductSettings {
                backorders: stock_widget::logic::BackorderPolicy::Allow,
                ..product("Kettle", 0)
            },
        )
        .await;
    server
}

#[tokio::test]
async fn a_burst_of_reservations_from_one_address_is_limited_and_others_are_still_served() {
    let server = kettle_on_backorder(WriteLimit::default()).await; // 10 a minute per address
    let url = server.url("/api/v1/products/KETTLE/reservations");
    let bot = client_from("127.0.0.1");
    let mut statuses = Vec::new();
    let mut retry_after = None;
    let mut code = None;
    for index in 0..100 {
        let response = bot
            .post(&url)
            .json(&serde_json::json!({"quantity": 1, "email": format!("bot{index}@example.com")}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            retry_after = response.headers().get("retry-after").cloned();
            let body: serde_json::Value = response.json().await.unwrap();
            code = body["error"]["code"].as_str().map(str::to_owned);
        }
    }
    let created = statuses.iter().filter(|status| **status == 201).count();
    let limited = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!(created + limited, 100, "{statuses:?}");
    assert!(
        (10..=12).contains(&created),
        "the burst allowance: {created}"
    );
    let seconds: u64 = retry_after
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    assert_eq!(code.as_deref(), Some("rate_limited"));
    // Subscribing to "email me when it's back" draws on the same allowance.
    server.put_product("VINYL", product("Vinyl", 0)).await;
    let subscribe = |client: &reqwest::Client, email: &str| {
        client
            .post(server.url("/api/v1/products/VINYL/subscriptions"))
            .json(&serde_json::json!({ "email": email }))
            .send()
    };
    assert_eq!(
        subscribe(&bot, "bot@example.com").await.unwrap().status(),
        429
    );
    assert_eq!(
        subscribe(&client_from("127.0.0.3"), "fan@example.com")
            .await
            .unwrap()
            .status(),
        201
    );
    // A shopper on another address is served as if nothing happened; reads are never limited.
    let shopper = client_from("127.0.0.2");
    let response = shopper
        .post(&url)
        .json(&serde_json::json!({"quantity": 1, "email": "jane@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let read = bot
        .get(server.url("/api/v1/products/KETTLE/availability"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
}

#[tokio::test]
async fn with_0_reservations_a_minute_one_address_is_not_limited() {
    let server = kettle_on_backorder(WriteLimit {
        per_minute: 0, // `--reservations-per-minute 0`
        client_ip_header: None,
    })
    .await;
    let client = client_from("127.0.0.1");
    let mut placed = Vec::new();
    for index in 0..30 {
        let response = client
            .post(server.url("/api/v1/products/KETTLE/reservations"))
            .json(&serde_json::json!({"quantity": 1, "email": format!("load{index}@example.com")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "reservation {index}");
        let body: serde_json::Value = response.json().await.unwrap();
        placed.push(body["id"].as_str().expect("an id").to_owned());
    }
    // Cancelling, limited like placing when there is a limit, is not either.
    for id in &placed {
        let response = client
            .delete(server.url(&format!("/api/v1/reservations/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "cancelling {id}");
    }
}

/// The server's resident memory, from /proc.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// The files (here: sockets, mostly) the process has open, from /proc.
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| entries.count())
        .unwrap_or(0)
}

const IDLE_CONNECTIONS: usize = 5_000;
/// Open files the test process needs: one socket per idle connection, and
/// room for everything else (the other tests of this binary run meanwhile).
const FILES_NEEDED: u64 = IDLE_CONNECTIONS as u64 + 1_024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_idle_connections_leave_the_server_answering_in_little_memory() {
    // The common soft limit is 1,024 open files: raise it to the hard limit
    // (the server started below inherits it). Skip if even that is too low.
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            eprintln!("skipped: cannot raise the open-file limit: {error}");
            return;
        }
    };
    if limit < FILES_NEEDED {
        eprintln!(
            "skipped: {IDLE_CONNECTIONS} idle connections need {FILES_NEEDED} open files, \
             and the hard limit allows {limit} (raise it with `ulimit -Hn`)"
        );
        return;
    }
    let database = crate::support::TestDatabase::new().await;
    // Long enough a header timeout that the idle connections stay for the test.
    let (mut child, url) =
        crate::support::start_binary(&database.arg(), &["--demo", "--header-timeout", "60"]);
    let address = url.trim_start_matches("http://").to_owned();
    let rss_before = rss_kib(child.id());
    let files_before = open_files(child.id());
    let mut idle = Vec::with_capacity(IDLE_CONNECTIONS);
    for _ in 0..IDLE_CONNECTIONS {
        idle.push(TcpStream::connect(&address).await.unwrap());
    }
    // Measure once the server holds them all: one socket each.
    let pid = child.id();
    crate::support::wait_until(
        "the server to accept every idle connection",
        Duration::from_secs(30),
        || async move { open_files(pid) >= files_before + IDLE_CONNECTIONS },
    )
    .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let answer = client
        .get(format!("{url}/api/v1/products/KETTLE-GOOSE/availability"))
        .send()
        .await
        .unwrap();
    let latency = started.elapsed();
    assert_eq!(answer.status(), 200);
    let rss_with_idle = rss_kib(child.id());
    eprintln!(
        "{IDLE_CONNECTIONS} idle connections: availability in {latency:?}; server RSS {rss_before} KiB before, {rss_with_idle} KiB with them"
    );
    assert!(rss_with_idle < 200 * 1024, "RSS {rss_with_idle} KiB");
    drop(idle);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let header_timeout = Duration::from_secs(1);
    let server = TestServer::start_with(options(header_timeout, 10_000)).await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 4096];
    let read = stream.read(&mut buffer).await.unwrap();
    assert!(
        buffer[..read].starts_with(b"HTTP/1.1 200"),
        "answered first"
    );
    // Kept alive, then idle: closed once the next request's headers are overdue.
    let idle_since = Instant::now();
    assert!(
        closed_by(
            &mut stream,
            idle_since + header_timeout + Duration::from_secs(5)
        )
        .await
    );
    assert!(idle_since.elapsed() >= header_timeout - Duration::from_millis(100));
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_408() {
    let server = TestServer::start_with(Options {
        limits: Limits {
            request_timeout: Duration::from_secs(1),
            ..Limits::default()
        },
        ..Options::default()
    })
    .await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    // Headers complete, body promised but never finished.
    stream
        .write_all(
            b"POST /api/v1/products/KETTLE/reservations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"quantity\"",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer))
            .await
            .expect("an answer within the timeout")
            .unwrap();
        assert!(read > 0, "answered before closing");
        answer.extend_from_slice(&buffer[..read]);
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    // The body follows the headers: the usual error, with its code.
    let mut body = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut body)).await;
    let all = text + &String::from_utf8_lossy(&body);
    assert!(all.contains("\"code\":\"request_timeout\""), "{all}");
    assert!(started.elapsed() >= Duration::from_millis(900));
}
