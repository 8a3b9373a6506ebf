//! Delay notices: when a shopper is told that their reservation ships later,
//! and the signed link in that notice that cancels it in one click.

use super::ReservationId;
use crate::logic::Date;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a reservation's likely ship date moved later (`reason` in
/// `reservation.delayed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DelayReason {
    /// The merchant changed or removed the product's purchase orders.
    PurchaseOrderChanged,
    /// The day changed with a purchase order past its expected arrival.
    PurchaseOrderOverdue,
    /// The product's supplier, or its record of deliveries, changed.
    SupplierReliability,
    Other,
}

/// What is stored per reservation to decide on notices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelayMark {
    /// The reservation (queue order).
    pub seq: u64,
    /// The likely ship date the shopper was last told; `None`: never
    /// recorded (a reservation from before notices).
    pub told: Option<Date>,
    /// The day of the last notice.
    pub last_notice: Option<Date>,
}

/// What to do about one reservation's current likely ship date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeDecision {
    /// Nothing was recorded: the current date is what the shopper knows from
    /// now on (quietly; no notice).
    Record,
    /// It ships later than they were told: tell them (this date is then told).
    Notice,
    /// Nothing to say (not later, or already told today: wait for a later day).
    Nothing,
}

/// The notice rule: one notice per move later than the date told, at most
/// one per reservation per day; a date that came back (or moved earlier)
/// says nothing and leaves the told date as it was.
pub fn notice_decision(
    told: Option<Date>,
    last_notice: Option<Date>,
    today: Date,
    ship_date: Date,
) -> NoticeDecision {
    match told {
        None => NoticeDecision::Record,
        Some(told) if ship_date <= told => NoticeDecision::Nothing,
        Some(_) if last_notice.is_some_and(|day| day >= today) => NoticeDecision::Nothing,
        Some(_) => NoticeDecision::Notice,
    }
}

/// The one-click cancel links: `{public_url}/reservations/{id}/cancel?token=…`,
/// the token an HMAC-SHA256 of the reservation's id under a secret every
/// server on the database shares.
#[derive(Clone)]
pub struct CancelLinks {
    public_url: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for CancelLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelLinks")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl CancelLinks {
    /// `public_url` without its trailing `/`; `secret` as stored.
    pub fn new(public_url: &str, secret: &str) -> CancelLinks {
        CancelLinks {
            public_url: public_url.trim_end_matches('/').to_owned(),
            key: secret.as_bytes().to_vec(),
        }
    }

    fn mac(&self, id: &ReservationId) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(b"cancel:");
        mac.update(id.as_str().as_bytes());
        mac
    }

    /// The token for the reservation (base64url, no padding).
    pub fn token(&self, id: &ReservationId) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(id).finalize().into_bytes())
    }

    /// Is `token` the reservation's? (Compared in constant time.)
    pub fn verify(&self, id: &ReservationId, token: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(token) {
            Ok(bytes) => self.mac(id).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }

    /// The address shoppers reach the server at, without a trailing `/`.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The path (and query) of the cancel page.
    pub fn path(&self, id: &ReservationId) -> String {
        format!("/reservations/{}/cancel?token={}", id, self.token(id))
    }

    /// The whole link, as put in a notice.
    pub fn url(&self, id: &ReservationId) -> String {
        format!("{}{}", self.public_url, self.path(id))
    }
}

/// A new secret for the links: 32 random bytes, base64url.
pub fn new_link_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32) -> Date {
        Date::from_ymd(2026, 12, n).unwrap()
    }

    #[test]
    fn the_first_look_records_quietly() {
        assert_eq!(
            notice_decision(None, None, day(1), day(20)),
            NoticeDecision::Record
        );
    }

    #[test]
    fn later_than_told_is_a_notice() {
        assert_eq!(
            notice_decision(Some(day(10)), None, day(1), day(12)),
            NoticeDecision::Notice
        );
        // A notice on an earlier day does not hold back today's.
        assert_eq!(
            notice_decision(Some(day(10)), Some(day(1)), day(2), day(12)),
            NoticeDecision::Notice
        );
    }

    #[test]
    fn at_most_one_notice_a_day() {
        assert_eq!(
            notice_decision(Some(day(12)), Some(day(2)), day(2), day(15)),
            NoticeDecision::Nothing
        );
        assert_eq!(
            notice_decision(Some(day(12)), Some(day(2)), day(3), day(15)),
            NoticeDecision::Notice
        );
    }

    #[test]
    fn earlier_or_back_is_nothing() {
        assert_eq!(
            notice_decision(Some(day(12)), None, day(1), day(12)),
            NoticeDecision::Nothing
        );
        assert_eq!(
            notice_decision(Some(day(12)), None, day(1), day(9)),
            NoticeDecision::Nothing
        );
        assert_eq!(
            notice_decision(Some(day(12)), Some(day(1)), day(5), day(11)),
            NoticeDecision::Nothing
        );
    }

    #[test]
    fn tokens_are_per_reservation_and_secret() {
        let links = CancelLinks::new("https://shop.example/", "secret-one");
        let id = ReservationId::parse("rsv_0123456789abcdef0123456789abcdef").unwrap();
        let other = ReservationId::parse("rsv_fedcba9876543210fedcba9876543210").unwrap();
        let token = links.token(&id);
        assert!(links.verify(&id, &token));
        assert!(!links.verify(&other, &token));
        assert!(!links.verify(&id, ""));
        assert!(!links.verify(&id, "not base64!"));
        assert!(!CancelLinks::new("https://shop.example", "secret-two").verify(&id, &token));
        // The same secret on another server: the same token.
        assert_eq!(
            CancelLinks::new("http://127.0.0.1:1", "secret-one").token(&id),
            token
        );
        assert_eq!(
            links.url(&id),
            format!("https://shop.example/reservations/{id}/cancel?token={token}")
        );
        assert!(!token.contains(['+', '/', '=']), "URL-safe: {token}");
    }
}
