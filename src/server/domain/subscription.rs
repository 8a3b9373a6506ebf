//! "Email me when it's back": a shopper waiting for an out-of-stock product.

use super::{Email, Lang, Sku, SubscriptionToken};

/// Subscribers one product may have: when it is back, each one's notice is
/// written in the transaction that brings it back, which must stay short.
pub const MAX_SUBSCRIPTIONS_PER_PRODUCT: u64 = 10_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    /// `sub_` + 128 random bits: it unsubscribes, so it is never listed.
    pub token: SubscriptionToken,
    pub sku: Sku,
    pub email: Email,
    pub lang: Option<Lang>,
    /// `false` until the shopper follows the confirmation link (double
    /// opt-in, while the server mails shoppers); only confirmed subscribers
    /// are told the product is back.
    pub confirmed: bool,
    pub created_at: String,
}

/// A subscription, and whether this request made it.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscribed {
    pub subscription: Subscription,
    pub created: bool,
}
