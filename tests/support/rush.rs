//! A rush on one product: many shoppers at once, each request with its own
//! `Idempotency-Key`, some sent twice at the same time (a checkout that
//! retries). The [`Ledger`] keeps every answer by key, so a test can check
//! that a key placed at most one reservation, whatever the server went through.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

/// `POST /api/v1/products/{sku}/reservations` to the server at `url`: the
/// status, the body (`Null` when it is not JSON) and `Retry-After`. An error
/// when no whole answer came (a killed server, a timeout).
pub async fn reserve(
    http: &reqwest::Client,
    url: &str,
    sku: &str,
    quantity: u64,
    email: &str,
    key: Option<&str>,
) -> Result<(u16, Value, Option<String>), reqwest::Error> {
    let mut request = http
        .post(format!("{url}/api/v1/products/{sku}/reservations"))
        .json(&json!({ "quantity": quantity, "email": email }));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok((status, body, retry_after))
}

/// What one answer to a keyed reservation said.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// 201, with the reservation's id.
    Placed(String),
    /// 409 `quantity_unavailable`, with its `max_quantity`.
    Refused(Option<u64>),
    /// Anything else: no test here expects one.
    Other(u16, Value),
}

impl Outcome {
    /// Nothing more can be had: the product is sold out.
    pub fn sold_out(&self) -> bool {
        *self == Outcome::Refused(Some(0))
    }
}

/// What a rush's keys were sent with, and every answer they got.
#[derive(Default)]
pub struct Ledger(Mutex<Entries>);

#[derive(Default)]
struct Entries {
    /// Each key's request: quantity and e-mail.
    requests: HashMap<String, (u64, String)>,
    /// Each key's answers, in the order they came.
    answers: HashMap<String, Vec<Outcome>>,
}

impl Ledger {
    /// Sends `key`'s request for `sku` to `url` and records the answer;
    /// `None` (and nothing recorded) when no answer came.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        url: &str,
        sku: &str,
        quantity: u64,
        email: &str,
        key: &str,
    ) -> Option<Outcome> {
        self.0
            .lock()
            .unwrap()
            .requests
            .insert(key.to_owned(), (quantity, email.to_owned()));
        let (status, body, _) = reserve(http, url, sku, quantity, email, Some(key))
            .await
            .ok()?;
        let outcome = match status {
            201 => Outcome::Placed(body["id"].as_str().expect("a 201 has an id").to_owned()),
            409 if body["error"]["code"] == "quantity_unavailable" => {
                Outcome::Refused(body["error"]["max_quantity"].as_u64())
            }
            _ => Outcome::Other(status, body),
        };
        let mut entries = self.0.lock().unwrap();
        let answers = entries.answers.entry(key.to_owned()).or_default();
        answers.push(outcome.clone());
        Some(outcome)
    }

    /// The quantity and e-mail `key` was sent with.
    pub fn request(&self, key: &str) -> (u64, String) {
        self.0.lock().unwrap().requests[key].clone()
    }

    /// How many keys were acknowledged (at least one 201) so far.
    pub fn placed(&self) -> usize {
        let entries = self.0.lock().unwrap();
        entries
            .answers
            .values()
            .filter(|answers| matches!(answers.first(), Some(Outcome::Placed(_))))
            .count()
    }

    /// How many keys got a 409.
    pub fn refused(&self) -> usize {
        let entries = self.0.lock().unwrap();
        entries
            .answers
            .values()
            .filter(|answers| matches!(answers.first(), Some(Outcome::Refused(_))))
            .count()
    }

    /// How many keys were answered more than once.
    pub fn answered_twice(&self) -> usize {
        let entries = self.0.lock().unwrap();
        entries
            .answers
            .values()
            .filter(|answers| answers.len() > 1)
            .count()
    }

    /// Each acknowledged key's reservation id. Fails unless every answer was
    /// a 201 or a 409 `quantity_unavailable`, every answer to one key said
    /// the same (one id, or refused), and no two keys share an id.
    pub fn placements(&self) -> HashMap<String, String> {
        let entries = self.0.lock().unwrap();
        let mut placements = HashMap::new();
        let mut keys_of_id = HashMap::<&str, &str>::new();
        for (key, answers) in &entries.answers {
            for answer in answers {
                assert!(
                    !matches!(answer, Outcome::Other(..)),
                    "{key}: only 201 and 409 quantity_unavailable, got {answer:?}"
                );
            }
            match &answers[0] {
                Outcome::Placed(id) => {
                    assert!(
                        answers.iter().all(|answer| answer == &answers[0]),
                        "{key}: every answer carries one reservation: {answers:?}"
                    );
                    if let Some(other) = keys_of_id.insert(id, key) {
                        panic!("{key} and {other} both answered with reservation {id}");
                    }
                    placements.insert(key.clone(), id.clone());
                }
                _ => assert!(
                    answers
                        .iter()
                        .all(|answer| matches!(answer, Outcome::Refused(_))),
                    "{key}: refused and placed: {answers:?}"
                ),
            }
        }
        placements
    }
}
