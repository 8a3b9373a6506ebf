//! Rate limits on the public writes (placing and cancelling reservations),
//! per client address, with `tower_governor`: one script cannot fill a
//! backorder allowance with throwaway e-mails. Reads are not limited.

use super::error::ApiError;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderName, Request, Response};
use axum::response::IntoResponse;
use governor::middleware::NoOpMiddleware;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tower_governor::GovernorError;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;

/// How many writes one client address may make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteLimit {
    /// Writes per minute, on average; also how many may come at once.
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

pub type WriteLimitConfig = Arc<GovernorConfig<ClientIp, NoOpMiddleware>>;

/// The limiter's configuration: a bucket of `per_minute` writes per address,
/// refilled one at a time over the minute.
pub fn config(limit: &WriteLimit) -> WriteLimitConfig {
    let per_minute = limit.per_minute.max(1);
    let config = GovernorConfigBuilder::default()
        .period(Duration::from_secs(60) / per_minute)
        .burst_size(per_minute)
        .key_extractor(ClientIp {
            header: limit.client_ip_header.clone(),
        })
        .finish()
        .expect("a positive period and burst");
    Arc::new(config)
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
}
