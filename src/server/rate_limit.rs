//! Rate limits per client address, with `governor`: on the public writes
//! (placing and cancelling reservations, through `tower_governor`), so one
//! script cannot fill a backorder allowance with throwaway e-mails — reads
//! are not limited —, and on failed admin logins ([`FailedLogins`]), so an
//! admin token cannot be guessed.

use super::error::ApiError;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderName, Request, Response};
use axum::response::IntoResponse;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::{NotKeyed, StateStore};
use governor::{NotUntil, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tower::layer::util::Identity;
use tower::util::{Either, option_layer};
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

/// How many writes one client address may make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteLimit {
    /// Writes per minute, on average; also how many may come at once.
    /// 0: no limit at all (load tests, or a front end that limits itself).
    pub per_minute: u32,
    /// Read the client's address from this header (set by a trusted proxy)
    /// instead of the connection's peer.
    pub client_ip_header: Option<HeaderName>,
}

impl Default for WriteLimit {
    fn default() -> WriteLimit {
        WriteLimit {
            per_minute: 10,
            client_ip_header: None,
        }
    }
}

/// The client's address: the connection's peer, or — only when the server
/// was told to trust a proxy's header — the last address in that header
/// (the one the proxy itself appended; earlier ones the client may forge).
#[derive(Clone, Debug)]
pub struct ClientIp {
    header: Option<HeaderName>,
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        if let Some(name) = &self.header {
            return request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.rsplit(',').next())
                .and_then(|last| last.trim().parse().ok())
                .ok_or(GovernorError::UnableToExtractKey);
        }
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

impl ClientIp {
    /// The address as the write limit reads it; a request that did not come
    /// through the proxy (no header) counts as its connection's peer.
    fn address_or_peer<T>(&self, request: &Request<T>) -> IpAddr {
        self.extract(request)
            .ok()
            .or_else(|| ClientIp { header: None }.extract(request).ok())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }
}

pub type WriteLimitConfig = Arc<GovernorConfig<ClientIp, NoOpMiddleware>>;

/// The layer that limits a write route per client address: `429` with
/// `Retry-After` beyond the limit; the identity when there is no limit
/// (`--reservations-per-minute 0`), so the route is not wrapped at all.
pub fn layer(
    config: Option<&WriteLimitConfig>,
) -> Either<GovernorLayer<ClientIp, NoOpMiddleware, Body>, Identity> {
    option_layer(
        config.map(|config| GovernorLayer::new(Arc::clone(config)).error_handler(error_response)),
    )
}

/// The limiter's configuration: a bucket of `per_minute` writes per address,
/// refilled one at a time over the minute; none when `per_minute` is 0 (no
/// limit: the writes are then not wrapped in a limiter at all).
pub fn config(limit: &WriteLimit) -> Option<WriteLimitConfig> {
    let per_minute = NonZeroU32::new(limit.per_minute)?.get();
    let config = GovernorConfigBuilder::default()
        .period(Duration::from_secs(60) / per_minute)
        .burst_size(per_minute)
        .key_extractor(ClientIp {
            header: limit.client_ip_header.clone(),
        })
        .finish()
        .expect("a positive period and burst");
    Some(Arc::new(config))
}

/// Forgets addresses that have not written for a while, so the limiter's
/// memory follows the active clients, not every client ever seen.
pub fn spawn_cleanup(config: &WriteLimitConfig) {
    let limiter = config.limiter().clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    });
}

/// Wrong admin tokens per client address: `per_minute` on average, at most
/// a quarter of that at once. Only failures count; while an address has none
/// left, each of its admin requests is refused before its token is compared
/// — a right one too: that is what stops guessing.
pub struct FailedLogins {
    limiter: RateLimiter<(IpAddr, Use), FailureCounts, DefaultClock>,
    client: ClientIp,
}

impl FailedLogins {
    pub fn new(per_minute: u32, client_ip_header: Option<HeaderName>) -> FailedLogins {
        let per_minute = per_minute.max(1);
        let burst = NonZeroU32::new((per_minute / 4).max(1)).expect("at least one");
        let quota = Quota::with_period(Duration::from_secs(60) / per_minute)
            .expect("a positive period")
            .allow_burst(burst);
        FailedLogins {
            limiter: RateLimiter::new(quota, FailureCounts::default(), DefaultClock::default()),
            client: ClientIp {
                header: client_ip_header,
            },
        }
    }

    /// The address a request's failures count against: the one the write
    /// limit uses (`--client-ip-header`), else the connection's peer.
    pub fn client<T>(&self, request: &Request<T>) -> IpAddr {
        self.client.address_or_peer(request)
    }

    /// `Err(seconds to wait)` while `client` may not try again; counts nothing.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.limiter
            .check_key(&(client, Use::Look))
            .map_err(wait_seconds)
    }

    /// Counts a failure; `Err(seconds to wait)` if `client` had none left.
    pub fn record_failure(&self, client: IpAddr) -> Result<(), u64> {
        self.limiter
            .check_key(&(client, Use::Count))
            .map_err(wait_seconds)
    }

    /// Forgets addresses whose failures have all run out.
    fn forget_old(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Whole seconds, at least one, for `Retry-After`.
fn wait_seconds(not_until: NotUntil<<DefaultClock as Clock>::Instant>) -> u64 {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// Forgets, every minute, the addresses whose failures have run out, until
/// the server that owns `logins` is gone.
pub fn spawn_failed_logins_cleanup(logins: &Arc<FailedLogins>) {
    let logins = Arc::downgrade(logins);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            let Some(logins) = logins.upgrade() else {
                return;
            };
            logins.forget_old();
        }
    });
}

/// What a check of [`FailureCounts`] does with the address's count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Use {
    /// Only asks whether one more failure would be allowed.
    Look,
    /// Counts one failure (when allowed).
    Count,
}

/// governor's per-address state, which a [`Use::Look`] reads without
/// changing: the decision is governor's own, its new state is never stored.
#[derive(Default)]
struct FailureCounts(DashMapStateStore<IpAddr>);

impl StateStore for FailureCounts {
    type Key = (IpAddr, Use);

    fn measure_and_replace<T, F, E>(&self, (client, how): &(IpAddr, Use), f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        match how {
            Use::Count => self.0.measure_and_replace(client, f),
            Use::Look => match self.0.get(client) {
                None => f(None).map(|(outcome, _)| outcome),
                // Refusing every update leaves the state as it was.
                Some(state) => match state.measure_and_replace(&NotKeyed::NonKey, |before| {
                    Err::<(std::convert::Infallible, Nanos), _>(
                        f(before).map(|(outcome, _)| outcome),
                    )
                }) {
                    Ok(never) => match never {},
                    Err(decision) => decision,
                },
            },
        }
    }
}

impl ShrinkableKeyedStateStore<(IpAddr, Use)> for FailureCounts {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below);
    }

    fn shrink_to_fit(&self) {
        self.0.shrink_to_fit();
    }

    fn len(&self) -> usize {
        ShrinkableKeyedStateStore::len(&self.0)
    }

    fn is_empty(&self) -> bool {
        ShrinkableKeyedStateStore::is_empty(&self.0)
    }
}

/// `429` with `Retry-After` and the API's error body.
pub fn error_response(error: GovernorError) -> Response<Body> {
    match error {
        GovernorError::TooManyRequests { wait_time, .. } => {
            ApiError::rate_limited(wait_time.max(1)).into_response()
        }
        GovernorError::UnableToExtractKey => ApiError::unknown_client().into_response(),
        GovernorError::Other { .. } => ApiError::unknown_client().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn request(forwarded: Option<&str>, peer: Option<&str>) -> Request<()> {
        let mut request = Request::new(());
        if let Some(value) = forwarded {
            request
                .headers_mut()
                .insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        if let Some(peer) = peer {
            request
                .extensions_mut()
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        }
        request
    }

    #[test]
    fn the_peer_address_counts_unless_a_proxy_header_is_trusted() {
        let peer = ClientIp { header: None };
        let key = peer
            .extract(&request(Some("203.0.113.9"), Some("127.0.0.2:5000")))
            .unwrap();
        assert_eq!(
            key,
            "127.0.0.2".parse::<IpAddr>().unwrap(),
            "the header is ignored"
        );
        let proxied = ClientIp {
            header: Some(HeaderName::from_static("x-forwarded-for")),
        };
        let key = proxied
            .extract(&request(
                Some("198.51.100.7, 203.0.113.9"),
                Some("10.0.0.1:5000"),
            ))
            .unwrap();
        assert_eq!(
            key,
            "203.0.113.9".parse::<IpAddr>().unwrap(),
            "the proxy's entry"
        );
        assert!(
            proxied
                .extract(&request(None, Some("10.0.0.1:5000")))
                .is_err()
        );
    }

    #[test]
    fn failed_logins_count_only_failures_and_looking_counts_nothing() {
        // 20 a minute: 5 at once, then one every 3 s.
        let logins = FailedLogins::new(20, None);
        let bot: IpAddr = "203.0.113.9".parse().unwrap();
        let other: IpAddr = "198.51.100.7".parse().unwrap();
        for attempt in 0..5 {
            for _ in 0..100 {
                assert_eq!(logins.check(bot), Ok(()), "looking is free");
            }
            assert_eq!(logins.record_failure(bot), Ok(()), "failure {attempt}");
        }
        let wait = logins.check(bot).expect_err("limited after 5 at once");
        assert!((1..=3).contains(&wait), "{wait}");
        assert!(logins.record_failure(bot).is_err());
        assert_eq!(
            logins.check(other),
            Ok(()),
            "another address is not limited"
        );
        assert_eq!(logins.record_failure(other), Ok(()));
    }

    #[test]
    fn failed_logins_key_on_the_proxy_header_or_else_the_peer() {
        let logins = FailedLogins::new(20, Some(HeaderName::from_static("x-forwarded-for")));
        assert_eq!(
            logins.client(&request(
                Some("10.1.1.1, 203.0.113.9"),
                Some("10.0.0.1:5000")
            )),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            logins.client(&request(None, Some("10.0.0.1:5000"))),
            "10.0.0.1".parse::<IpAddr>().unwrap(),
            "not through the proxy: its peer"
        );
    }
}
