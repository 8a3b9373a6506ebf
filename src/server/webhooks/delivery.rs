//! The delivery worker. At least once, in order per endpoint and SKU:
//! each delivery is leased from the store, sent, and its outcome written
//! back; only the first pending delivery of an endpoint and SKU is ever due,
//! so a later event waits while an earlier one is retried. A server killed
//! mid-send leaves a lease that runs out, and the delivery is sent again
//! with the same `webhook-id` (receivers deduplicate on it).

use super::mail::Mail;
use super::resolve::PolicyResolver;
use super::signing::sign;
use super::smtp::{Mailer, Sent};
use crate::server::domain::{AttemptOutcome, Due, Finished, OutboundPolicy, Refused};
use crate::server::ops::Shop;
use crate::server::store::MAIL_URL;
use std::time::Duration;

/// When a failed delivery is tried again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles after each one.
    pub first_retry: Duration,
    /// The longest wait between two attempts.
    pub max_retry: Duration,
    /// An event older than this is given up (`failed`).
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            first_retry: Duration::from_secs(5),
            max_retry: Duration::from_secs(6 * 3600),
            give_up_after: Duration::from_secs(3 * 24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1 = the first), with
    /// ±25 % jitter (`jitter` in `0.0..1.0`) so endpoints that come back are
    /// not hit by every server's retries at once.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let doubled = self
            .first_retry
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(30)));
        doubled.min(self.max_retry).mul_f64(0.75 + 0.5 * jitter)
    }

    /// What an answer (`None`: no answer) means for a delivery of an event
    /// created at `created_ms`, attempted at `now_ms`.
    pub fn outcome(
        &self,
        status: Option<u16>,
        attempt: u32,
        created_ms: i64,
        now_ms: i64,
        jitter: f64,
    ) -> (AttemptOutcome, Option<i64>) {
        match status {
            Some(200..=299) => (AttemptOutcome::Delivered, None),
            Some(410) => (AttemptOutcome::Gone, None),
            _ => {
                let next = now_ms.saturating_add(self.delay(attempt, jitter).as_millis() as i64);
                if next.saturating_sub(created_ms) > self.give_up_after.as_millis() as i64 {
                    (AttemptOutcome::Failed, None)
                } else {
                    (AttemptOutcome::Retrying, Some(next))
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeliveryConfig {
    pub retry: RetryPolicy,
    /// A receiver must answer within this.
    pub timeout: Duration,
    /// Deliveries sent at once, at most.
    pub concurrency: usize,
    /// How often the worker looks for due retries and other servers' events.
    pub poll: Duration,
    /// Delivered events and attempts are kept this long (the deliveries log).
    pub keep: Duration,
    /// Which addresses webhooks may go to (public only, unless
    /// `--allow-private-webhooks`).
    pub outbound: OutboundPolicy,
}

impl Default for DeliveryConfig {
    fn default() -> DeliveryConfig {
        DeliveryConfig {
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(10),
            concurrency: 16,
            poll: Duration::from_secs(1),
            keep: Duration::from_secs(7 * 24 * 3600),
            outbound: OutboundPolicy::PUBLIC_ONLY,
        }
    }
}

impl DeliveryConfig {
    /// A claimed delivery is this server's for this long: a send, with room.
    fn lease_ms(&self) -> i64 {
        (self.timeout * 3).as_millis() as i64
    }

    /// A send starts only with this much of its lease left, so it ends
    /// (answered or timed out) before the lease does.
    fn lease_needed_ms(&self) -> i64 {
        (self.timeout * 3 / 2).as_millis() as i64
    }
}

/// The worker, ready to start.
pub struct Worker {
    shop: Shop,
    config: DeliveryConfig,
    client: Client,
}

/// How the worker sends: webhooks over HTTP, mails with the mailer.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    /// The client's resolver applies it to names; `send` to literal addresses.
    outbound: OutboundPolicy,
    mailer: Option<Mailer>,
}

impl Worker {
    /// `mailer`: where the outbox's mails go (`None`: they wait).
    pub fn new(
        shop: Shop,
        config: DeliveryConfig,
        mailer: Option<Mailer>,
    ) -> anyhow::Result<Worker> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            // A receiver that moved says so with 410, not with a redirect
            // (which could also point the send at a private address).
            .redirect(reqwest::redirect::Policy::none())
            // Straight to the receiver: a proxy would resolve the name
            // itself, past the outbound rule.
            .no_proxy()
            .dns_resolver(std::sync::Arc::new(PolicyResolver {
                policy: config.outbound,
            }))
            .user_agent(concat!("stock-widget-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Worker {
            shop,
            config,
            client: Client {
                http: client,
                outbound: config.outbound,
                mailer,
            },
        })
    }

    /// Runs until aborted. What it has not finished then is leased, and
    /// sent again when the lease runs out (by this server or another).
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(run(self.shop, self.config, self.client))
    }
}

async fn run(shop: Shop, config: DeliveryConfig, client: Client) {
    let made = shop.deliveries_made();
    let mut sending = tokio::task::JoinSet::new();
    let mut pruned_at: Option<tokio::time::Instant> = None;
    let mut failing_since: Option<tokio::time::Instant> = None;
    // A timed poll looks with a read first; a wake-up (new deliveries, one
    // finished) claims at once.
    let mut polled = true;
    loop {
        let room = config.concurrency.saturating_sub(sending.len());
        if room > 0 {
            match shop
                .claim_deliveries(config.lease_ms(), room as u32, polled)
                .await
            {
                Ok(due) => {
                    failing_since = None;
                    for delivery in due {
                        sending.spawn(deliver(shop.clone(), client.clone(), config, delivery));
                    }
                }
                Err(error) => {
                    // Once per outage, not once per poll.
                    if failing_since.is_none() {
                        tracing::warn!("webhook deliveries wait for the database: {error}");
                        failing_since = Some(tokio::time::Instant::now());
                    }
                }
            }
        }
        if pruned_at.is_none_or(|at| at.elapsed() > Duration::from_secs(3600))
            && shop.prune_outbox(config.keep).await.is_ok()
        {
            pruned_at = Some(tokio::time::Instant::now());
        }
        polled = tokio::select! {
            // One finished: a slot is free.
            Some(_) = sending.join_next(), if !sending.is_empty() => false,
            () = made.notified() => false,
            () = tokio::time::sleep(config.poll) => true,
        };
    }
}

/// Events one task sends from one line before it gives its slot back, so a
/// busy SKU cannot keep other SKUs and endpoints waiting.
const CHAIN: usize = 16;

/// Sends a delivery, then the next ones of its line (endpoint and SKU) as
/// long as each is delivered and the next is due, up to [`CHAIN`].
async fn deliver(shop: Shop, client: Client, config: DeliveryConfig, due: Due) {
    let mut next = Some(due);
    let mut sent = 0;
    while let Some(due) = next {
        sent += 1;
        next = attempt(&shop, &client, config, due, sent < CHAIN).await;
    }
}

/// One attempt: sign, send, write down what came of it; the next of its
/// line, claimed in the same transaction, if it was delivered.
async fn attempt(
    shop: &Shop,
    client: &Client,
    config: DeliveryConfig,
    due: Due,
    continue_line: bool,
) -> Option<Due> {
    if due.lease_until_ms - shop.clock().unix_millis() < config.lease_needed_ms() {
        // The claim waited too long for the database: another server may
        // take it over mid-send. Let the lease run out; it is claimed again.
        tracing::info!(event = %due.event_id, "a webhook claim came too late to send");
        return None;
    }
    let attempt = due.attempts + 1;
    let (attempted_ms, (status_code, error, outcome, next_retry_ms)) = if due.url == MAIL_URL {
        let sent = send_mail(client.mailer.as_ref(), &due).await;
        let attempted_ms = shop.clock().unix_millis();
        let outcome = mail_outcome(&config.retry, sent, attempt, due.created_ms, attempted_ms);
        (attempted_ms, outcome)
    } else {
        let sent = send(client, &due, shop.clock().unix_seconds()).await;
        let attempted_ms = shop.clock().unix_millis();
        let (status_code, error) = match sent {
            Ok(status) => (Some(status), None),
            Err(error) => (None, Some(error)),
        };
        let (outcome, next_retry_ms) =
            config
                .retry
                .outcome(status_code, attempt, due.created_ms, attempted_ms, jitter());
        (attempted_ms, (status_code, error, outcome, next_retry_ms))
    };
    if outcome != AttemptOutcome::Delivered {
        tracing::info!(
            endpoint = %due.endpoint_id,
            event = %due.event_id,
            attempt,
            status = ?status_code,
            error = error.as_deref().unwrap_or(""),
            outcome = outcome.name(),
            "webhook not delivered"
        );
    }
    let finished = Finished {
        endpoint_id: due.endpoint_id,
        event_seq: due.event_seq,
        attempt,
        attempted_ms,
        status_code,
        error,
        outcome,
        next_retry_ms,
        lease_until_ms: due.lease_until_ms,
    };
    let next_in_line = continue_line.then(|| (due.sku, config.lease_ms()));
    match shop.finish_delivery(finished, next_in_line).await {
        Ok((true, next)) => next,
        // Took longer than the lease: another claim owns it now, and its
        // outcome is the one that counts.
        Ok((false, _)) => {
            tracing::info!(event = %due.event_id, "a webhook attempt outlived its lease");
            None
        }
        // The lease runs out and it is sent again: at least once.
        Err(failure) => {
            tracing::warn!("could not record a webhook delivery: {failure}");
            None
        }
    }
}

/// One mail's attempt; without a mailer it waits (and is retried).
async fn send_mail(mailer: Option<&Mailer>, due: &Due) -> Sent {
    let Some(mailer) = mailer else {
        return Sent::Retry {
            code: None,
            error: "this server has no SMTP server (--smtp-url)".to_owned(),
        };
    };
    match serde_json::from_str::<Mail>(&due.body) {
        Ok(mail) => mailer.send(&due.event_id, &mail).await,
        Err(error) => Sent::Refused {
            code: None,
            error: format!("a stored mail that does not parse: {error}"),
        },
    }
}

/// A mail's outcome: accepted → delivered; no connection or 4xx → retried
/// with the webhooks' backoff (for as long); 5xx → given up.
fn mail_outcome(
    retry: &RetryPolicy,
    sent: Sent,
    attempt: u32,
    created_ms: i64,
    now_ms: i64,
) -> (Option<u16>, Option<String>, AttemptOutcome, Option<i64>) {
    match sent {
        Sent::Done => (Some(250), None, AttemptOutcome::Delivered, None),
        Sent::Retry { code, error } => {
            // `None`: never read as an HTTP status (410 would disable it).
            let (outcome, next) = retry.outcome(None, attempt, created_ms, now_ms, jitter());
            (code, Some(error), outcome, next)
        }
        Sent::Refused { code, error } => (code, Some(error), AttemptOutcome::Failed, None),
    }
}

/// The receiver's status code, or why there was none. A literal address
/// the outbound rule refuses is not sent to (reqwest resolves no literal, so
/// its resolver cannot refuse it): recorded and retried like a failed
/// connection.
async fn send(client: &Client, due: &Due, timestamp: i64) -> Result<u16, String> {
    client
        .outbound
        .check_send(&due.url)
        .map_err(|refused| refused.to_string())?;
    let signature = sign(&due.secret, &due.event_id, timestamp, &due.body)
        .map_err(|error| error.to_string())?;
    let response = client
        .http
        .post(&due.url)
        .header("content-type", "application/json")
        .header("webhook-id", &due.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(due.body.clone())
        .send()
        .await
        .map_err(describe)?;
    Ok(response.status().as_u16())
}

/// A short reason for the deliveries log: the innermost cause says most.
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "no answer in time".to_owned();
    }
    let mut cause: &dyn std::error::Error = &error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    // The resolver found only addresses the outbound rule refuses.
    if let Some(refused) = cause.downcast_ref::<Refused>() {
        return refused.to_string();
    }
    let what = if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    format!("{what}: {cause}")
}

/// Uniform in `0.0..1.0`.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_with_a_quarter_of_jitter() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1, 0.5), Duration::from_secs(5));
        assert_eq!(policy.delay(2, 0.5), Duration::from_secs(10));
        assert_eq!(policy.delay(4, 0.5), Duration::from_secs(40));
        assert_eq!(policy.delay(40, 0.5), Duration::from_secs(6 * 3600));
        assert_eq!(policy.delay(1, 0.0), Duration::from_millis(3750));
        assert!(policy.delay(1, 0.999) < Duration::from_millis(6250));
    }

    #[test]
    fn two_xx_delivers_410_disables_the_rest_retries_for_three_days() {
        let policy = RetryPolicy::default();
        let created = 1_000_000;
        assert_eq!(
            policy.outcome(Some(204), 1, created, created, 0.5),
            (AttemptOutcome::Delivered, None)
        );
        assert_eq!(
            policy.outcome(Some(410), 3, created, created, 0.5),
            (AttemptOutcome::Gone, None)
        );
        for status in [None, Some(301), Some(404), Some(500), Some(503)] {
            assert_eq!(
                policy.outcome(status, 1, created, created, 0.5),
                (AttemptOutcome::Retrying, Some(created + 5000)),
                "{status:?}"
            );
        }
        let almost_three_days = created + 71 * 3600 * 1000;
        assert_eq!(
            policy
                .outcome(Some(500), 20, created, almost_three_days, 0.5)
                .0,
            AttemptOutcome::Failed
        );
        let total: Duration = (1..=30).map(|attempt| policy.delay(attempt, 0.5)).sum();
        assert!(
            total > Duration::from_secs(3 * 24 * 3600),
            "{total:?}: ~3 days of retries"
        );
    }
}
