//! The webhook client's DNS: names are resolved with the system's resolver
//! (as reqwest does by default), then only the addresses the
//! [`OutboundPolicy`] permits are handed to the connector — so the check is
//! on the very addresses connected to, at every send, and a name that later
//! resolves to a private address is refused then. reqwest does not resolve
//! IP-literal hosts; `delivery.rs` checks those before each attempt.

use crate::server::domain::OutboundPolicy;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A [`Resolve`] that drops the addresses `policy` refuses, and fails with
/// [`crate::server::domain::Refused`] when none is left.
#[derive(Clone, Copy, Debug)]
pub struct PolicyResolver {
    pub policy: OutboundPolicy,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: the connector puts in the URL's (or the scheme's).
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = policy.filter(&host, found)?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::domain::Refused;

    /// `localhost` resolves locally (no DNS traffic) to loopback only.
    #[tokio::test]
    async fn localhost_is_refused_unless_private_addresses_are_allowed() {
        let public_only = PolicyResolver {
            policy: OutboundPolicy::PUBLIC_ONLY,
        };
        let error = match public_only.resolve("localhost".parse().unwrap()).await {
            Ok(addresses) => panic!("resolved to {:?}", addresses.collect::<Vec<_>>()),
            Err(error) => error,
        };
        let refused = error.downcast_ref::<Refused>().expect("a refusal");
        assert!(
            refused.to_string().starts_with(
                "refused (not sent): localhost resolves only to non-public addresses ("
            ),
            "{refused}"
        );
        let allowed = PolicyResolver {
            policy: OutboundPolicy::ALLOW_PRIVATE,
        };
        let addresses: Vec<_> = allowed
            .resolve("localhost".parse().unwrap())
            .await
            .expect("localhost resolves")
            .collect();
        assert!(!addresses.is_empty());
        assert!(addresses.iter().all(|address| address.ip().is_loopback()));
    }
}
