//! "Email me when it's back" rows: one per product and address.

use super::StoreFailure;
use crate::server::domain::{Sku, Subscription, SubscriptionToken};

#[async_trait::async_trait]
pub trait SubscriptionRows {
    /// The subscription of an address (compared folded: `Email::folded`).
    async fn subscription(
        &mut self,
        sku: &Sku,
        email_folded: &str,
    ) -> Result<Option<Subscription>, StoreFailure>;
    async fn insert_subscription(
        &mut self,
        subscription: &Subscription,
        email_folded: &str,
    ) -> Result<(), StoreFailure>;
    /// The subscription a token names.
    async fn subscription_by_token(
        &mut self,
        token: &SubscriptionToken,
    ) -> Result<Option<Subscription>, StoreFailure>;
    /// Marks it confirmed; `false` when there was none.
    async fn confirm_subscription(
        &mut self,
        token: &SubscriptionToken,
    ) -> Result<bool, StoreFailure>;
    /// A product's confirmed subscriptions, oldest first.
    async fn confirmed_subscriptions_of(
        &mut self,
        sku: &Sku,
    ) -> Result<Vec<Subscription>, StoreFailure>;
    /// Removes a product's confirmed subscriptions (those just told).
    async fn delete_confirmed_subscriptions_of(&mut self, sku: &Sku) -> Result<(), StoreFailure>;
    async fn subscription_count(&mut self, sku: &Sku) -> Result<u64, StoreFailure>;
    /// `false` when there was none.
    async fn delete_subscription(
        &mut self,
        token: &SubscriptionToken,
    ) -> Result<bool, StoreFailure>;
}

pub(super) const BY_EMAIL: &str =
    "SELECT token, sku, email, lang, confirmed, created_at FROM subscriptions
     WHERE sku = $1 AND email_folded = $2";
pub(super) const BY_TOKEN: &str =
    "SELECT token, sku, email, lang, confirmed, created_at FROM subscriptions WHERE token = $1";
pub(super) const CONFIRM: &str = "UPDATE subscriptions SET confirmed = TRUE WHERE token = $1";
pub(super) const OF_PRODUCT: &str =
    "SELECT token, sku, email, lang, confirmed, created_at FROM subscriptions
     WHERE sku = $1 AND confirmed ORDER BY created_at, token";
pub(super) const INSERT: &str =
    "INSERT INTO subscriptions (token, sku, email, email_folded, lang, confirmed, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(super) const DELETE_OF_PRODUCT: &str = "DELETE FROM subscriptions WHERE sku = $1 AND confirmed";
pub(super) const DELETE: &str = "DELETE FROM subscriptions WHERE token = $1";
pub(super) const COUNT: &str = "SELECT COUNT(*) AS subscribers FROM subscriptions WHERE sku = $1";
