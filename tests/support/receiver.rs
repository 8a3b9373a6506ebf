//! A webhook receiver on a local port, as a merchant would run one: it
//! records what arrives and answers with whatever status the test sets. Its
//! signature check is written from the Standard Webhooks specification, not
//! from the server's code.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    /// What the receiver answered.
    pub answered: u16,
}

impl Arrival {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a webhook body is JSON")
    }

    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }

    /// Did the signature come from this secret, over these bytes, recently?
    /// Checks the signature, and the timestamp against the real time.
    pub fn verify(&self, secret: &str) -> Result<(), String> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        self.verify_at(secret, now)
    }

    /// Checks the signature, and the timestamp against `now` (seconds since
    /// 1970): the time of the server's own clock, in tests that pin it.
    pub fn verify_at(&self, secret: &str, now: i64) -> Result<(), String> {
        let key = STANDARD
            .decode(
                secret
                    .strip_prefix("whsec_")
                    .ok_or("secret without whsec_")?,
            )
            .map_err(|error| format!("secret: {error}"))?;
        let timestamp: i64 = self
            .timestamp
            .parse()
            .map_err(|_| "timestamp not a number")?;
        if (now - timestamp).abs() > 5 * 60 {
            return Err(format!("timestamp {timestamp} is {}s off", now - timestamp));
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.body).as_bytes());
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        // The header may list several space-separated signatures.
        if self.signature.split(' ').any(|given| given == expected) {
            Ok(())
        } else {
            Err(format!(
                "signature {:?} is not {expected:?}",
                self.signature
            ))
        }
    }
}

struct Shared {
    arrivals: Mutex<Vec<Arrival>>,
    status: AtomicU16,
    /// Milliseconds it holds each request before answering.
    hold_ms: AtomicU64,
    /// The `Location` it answers with, if any (a redirect).
    location: Mutex<Option<String>>,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/stock", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            arrivals: Mutex::new(Vec::new()),
            status: AtomicU16::new(204),
            hold_ms: AtomicU64::new(0),
            location: Mutex::new(None),
        });
        let app = axum::Router::new()
            .route("/hooks/stock", axum::routing::post(receive))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { url, shared, task }
    }

    /// What it answers from now on: 204, or 503 ("down"), 410 ("gone")…
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Answers `status` (a 3xx) with `Location: url` from now on.
    pub fn redirect(&self, status: u16, url: &str) {
        *self.shared.location.lock().unwrap() = Some(url.to_owned());
        self.answer(status);
    }

    /// Holds each request this long before answering (a slow or hung receiver).
    pub fn hold(&self, duration: Duration) {
        self.shared
            .hold_ms
            .store(duration.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn arrivals(&self) -> Vec<Arrival> {
        self.shared.arrivals.lock().unwrap().clone()
    }

    /// The arrivals it answered 2xx: what the merchant's system took in.
    pub fn accepted(&self) -> Vec<Arrival> {
        self.arrivals()
            .into_iter()
            .filter(|arrival| (200..300).contains(&arrival.answered))
            .collect()
    }

    /// Waits (up to `limit`) until `done` holds for the arrivals.
    pub async fn wait_for(
        &self,
        limit: Duration,
        what: &str,
        done: impl Fn(&[Arrival]) -> bool,
    ) -> Vec<Arrival> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let arrivals = self.arrivals();
            if done(&arrivals) {
                return arrivals;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited {limit:?} for {what}; arrived: {:#?}",
                arrivals
                    .iter()
                    .map(|arrival| (arrival.event_type(), arrival.answered))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let answered = shared.status.load(Ordering::SeqCst);
    let hold = shared.hold_ms.load(Ordering::SeqCst);
    shared.arrivals.lock().unwrap().push(Arrival {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
        answered,
    });
    if hold > 0 {
        tokio::time::sleep(Duration::from_millis(hold)).await;
    }
    let mut answer = HeaderMap::new();
    if let Some(location) = shared.location.lock().unwrap().as_deref() {
        answer.insert("location", location.parse().unwrap());
    }
    (StatusCode::from_u16(answered).unwrap(), answer)
}

/// Registers `url` with the server at `base` (admin `token`) for `events`
/// (all when `None`); returns its id and secret.
pub async fn register(
    base: &str,
    token: &str,
    url: &str,
    events: Option<&[&str]>,
) -> (String, String) {
    let mut body = serde_json::json!({ "url": url });
    if let Some(events) = events {
        body["events"] = serde_json::json!(events);
    }
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/admin/webhooks"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.unwrap();
    (
        created["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}
