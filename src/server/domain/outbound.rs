//! Where the server may send requests of its own (webhooks): to public
//! addresses only. A merchant's admin token must not let anyone make the
//! server call into its own network — a database on loopback, a router on
//! 192.168.x, a cloud's metadata service on 169.254.169.254.
//!
//! The rule is checked on the address actually connected to, at every send
//! (`webhooks/resolve.rs` resolves names through it), and on a literal
//! address already at registration. `--allow-private-webhooks` lifts it for
//! local development and tests.

use super::{ValidationError, WebhookUrl};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Is `ip` an address the server may send to without
/// `--allow-private-webhooks`? Not: loopback, private (RFC 1918, `fc00::/7`),
/// link-local (`169.254/16` with the metadata address, `fe80::/10`),
/// unspecified and "this network" (`0/8`, `::`), broadcast, multicast,
/// carrier-grade NAT (`100.64/10`); an IPv4 address written as IPv6
/// (`::ffff:a.b.c.d`, `::a.b.c.d`) is judged by the IPv4 address inside.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [first, second, ..] = ip.octets();
    let this_network = first == 0;
    let carrier_grade_nat = first == 100 && (second & 0b1100_0000) == 64;
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || this_network
        || ip.is_broadcast()
        || ip.is_multicast()
        || carrier_grade_nat)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if ip.is_loopback() || ip.is_unspecified() {
        return false;
    }
    // `::ffff:a.b.c.d` (mapped) and `::a.b.c.d` (compatible) reach the IPv4
    // address inside.
    if let Some(v4) = ip.to_ipv4() {
        return is_public_v4(v4);
    }
    !(ip.is_unique_local() || ip.is_unicast_link_local() || ip.is_multicast())
}

/// The IP address a URL names as its host, if it names one (not a name).
/// `http://` URLs' hosts are normalized as browsers do, so `0x7f.1` and
/// `2130706433` are `127.0.0.1` here too.
pub fn literal_host(url: &str) -> Option<IpAddr> {
    let url = reqwest::Url::parse(url).ok()?;
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Whether webhooks may go to non-public addresses
/// (`--allow-private-webhooks`). The default refuses them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Local development and tests only: a production server should not.
    pub allow_private: bool,
}

impl OutboundPolicy {
    /// Public addresses only: the default, for production.
    pub const PUBLIC_ONLY: OutboundPolicy = OutboundPolicy {
        allow_private: false,
    };
    /// Any address (`--allow-private-webhooks`).
    pub const ALLOW_PRIVATE: OutboundPolicy = OutboundPolicy {
        allow_private: true,
    };

    /// May the server connect to `ip`?
    pub fn permits(self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip)
    }

    /// At registration: a URL whose host is an address the policy refuses.
    /// A host name passes (it is resolved, and checked, at each send).
    pub fn check_registration(self, url: &WebhookUrl) -> Result<(), ValidationError> {
        match literal_host(url.as_str()) {
            Some(ip) if !self.permits(ip) => Err(ValidationError::new(
                "url",
                format!(
                    "Webhooks may not be sent to private, loopback, link-local or other non-public addresses ({ip}): use the receiver's public address or host name."
                ),
            )),
            _ => Ok(()),
        }
    }

    /// At send: a URL whose host is an address the policy refuses (one
    /// registered before the rule, or while it was lifted). Names are
    /// checked when they are resolved.
    pub fn check_send(self, url: &str) -> Result<(), Refused> {
        match literal_host(url) {
            Some(ip) if !self.permits(ip) => Err(Refused::Address(ip)),
            _ => Ok(()),
        }
    }

    /// The addresses of `host` the server may connect to, in the order
    /// given; refused when it has addresses and none of them may be used.
    pub fn filter(
        self,
        host: &str,
        found: Vec<std::net::SocketAddr>,
    ) -> Result<Vec<std::net::SocketAddr>, Refused> {
        let (allowed, refused): (Vec<_>, Vec<_>) = found
            .into_iter()
            .partition(|address| self.permits(address.ip()));
        if allowed.is_empty() && !refused.is_empty() {
            let mut ips: Vec<IpAddr> = Vec::new();
            for address in refused {
                if !ips.contains(&address.ip()) {
                    ips.push(address.ip());
                }
            }
            return Err(Refused::Name {
                host: host.to_owned(),
                ips,
            });
        }
        Ok(allowed)
    }
}

/// A send the policy stopped before any connection: the deliveries log
/// shows this text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The URL names a non-public address.
    Address(IpAddr),
    /// The name resolves to non-public addresses only.
    Name { host: String, ips: Vec<IpAddr> },
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Address(ip) => {
                write!(f, "refused (not sent): {ip} is not a public address")
            }
            Refused::Name { host, ips } => {
                let ips: Vec<String> = ips.iter().map(IpAddr::to_string).collect();
                write!(
                    f,
                    "refused (not sent): {host} resolves only to non-public addresses ({})",
                    ips.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for Refused {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("a test address")
    }

    #[test]
    fn every_non_public_class_is_refused() {
        for (address, class) in [
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("10.0.0.1", "private"),
            ("10.255.255.255", "private"),
            ("172.16.0.0", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "metadata (link-local)"),
            ("169.254.0.1", "link-local"),
            ("100.64.0.0", "carrier-grade NAT"),
            ("100.127.255.255", "carrier-grade NAT"),
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "this network"),
            ("255.255.255.255", "broadcast"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fc00::1", "unique local"),
            ("fd00::1", "unique local"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "mapped loopback"),
            ("::ffff:10.0.0.1", "mapped private"),
            ("::ffff:169.254.169.254", "mapped metadata"),
            ("::127.0.0.1", "compatible loopback"),
        ] {
            assert!(!is_public(ip(address)), "{address} ({class})");
        }
    }

    #[test]
    fn public_addresses_and_the_edges_of_the_ranges_pass() {
        // Values only: nothing here is ever connected to.
        for address in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "169.253.255.255",
            "11.0.0.1",
            "192.169.0.1",
            "223.255.255.255",
            "2001:4860::8888",
            "2a00:1450::1",
            "fbff::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(address)), "{address}");
        }
    }

    #[test]
    fn the_flag_permits_everything() {
        for address in ["127.0.0.1", "::1", "10.0.0.1", "169.254.169.254"] {
            assert!(OutboundPolicy::ALLOW_PRIVATE.permits(ip(address)));
            assert!(!OutboundPolicy::PUBLIC_ONLY.permits(ip(address)));
        }
        assert_eq!(OutboundPolicy::default(), OutboundPolicy::PUBLIC_ONLY);
    }

    #[test]
    fn literal_hosts_are_read_as_browsers_read_them() {
        assert_eq!(literal_host("http://127.0.0.1:9/x"), Some(ip("127.0.0.1")));
        assert_eq!(literal_host("http://[::1]:9/x"), Some(ip("::1")));
        assert_eq!(
            literal_host("http://[::ffff:127.0.0.1]/x"),
            Some(ip("::ffff:127.0.0.1"))
        );
        assert_eq!(literal_host("http://0x7f.1/"), Some(ip("127.0.0.1")));
        assert_eq!(literal_host("http://2130706433/"), Some(ip("127.0.0.1")));
        assert_eq!(literal_host("https://shop.example/hooks"), None);
        assert_eq!(literal_host("http://localhost:8080/"), None);
        assert_eq!(literal_host("mail:"), None);
    }

    #[test]
    fn registration_refuses_literal_non_public_addresses_only() {
        let policy = OutboundPolicy::PUBLIC_ONLY;
        for refused in [
            "http://127.0.0.1:9/x",
            "http://10.0.0.1/x",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/x",
        ] {
            let url = WebhookUrl::parse(refused).unwrap();
            let error = policy.check_registration(&url).unwrap_err();
            assert_eq!(error.field, "url");
            let address = literal_host(refused).unwrap().to_string();
            assert!(error.message.contains(&address), "{}", error.message);
            assert!(
                OutboundPolicy::ALLOW_PRIVATE
                    .check_registration(&url)
                    .is_ok()
            );
        }
        for taken in [
            "https://shop.example/hooks",
            "http://localhost:9/x",
            "https://8.8.8.8/x",
        ] {
            let url = WebhookUrl::parse(taken).unwrap();
            assert!(policy.check_registration(&url).is_ok(), "{taken}");
        }
    }

    #[test]
    fn a_send_to_a_literal_non_public_address_is_refused() {
        let policy = OutboundPolicy::PUBLIC_ONLY;
        assert_eq!(
            policy.check_send("http://[::1]:9/x"),
            Err(Refused::Address(ip("::1")))
        );
        assert_eq!(
            policy
                .check_send("http://127.0.0.1:9/x")
                .unwrap_err()
                .to_string(),
            "refused (not sent): 127.0.0.1 is not a public address"
        );
        assert!(policy.check_send("https://shop.example/x").is_ok());
        assert!(
            OutboundPolicy::ALLOW_PRIVATE
                .check_send("http://127.0.0.1:9/x")
                .is_ok()
        );
    }

    #[test]
    fn resolved_addresses_are_filtered_and_an_all_private_answer_refused() {
        let at = |text: &str| std::net::SocketAddr::new(ip(text), 0);
        let policy = OutboundPolicy::PUBLIC_ONLY;
        let refused = policy
            .filter(
                "localhost",
                vec![at("127.0.0.1"), at("::1"), at("127.0.0.1")],
            )
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "refused (not sent): localhost resolves only to non-public addresses (127.0.0.1, ::1)"
        );
        assert_eq!(
            policy.filter("mixed.example", vec![at("10.0.0.1"), at("8.8.8.8")]),
            Ok(vec![at("8.8.8.8")])
        );
        assert_eq!(policy.filter("none.example", Vec::new()), Ok(Vec::new()));
        assert_eq!(
            OutboundPolicy::ALLOW_PRIVATE.filter("localhost", vec![at("127.0.0.1")]),
            Ok(vec![at("127.0.0.1")])
        );
    }
}
