//! "Email me when it's back": shoppers subscribe to an out-of-stock product;
//! when it is back each gets one `subscription.notify` event (the merchant's
//! mailer writes to them) and is unsubscribed (`outbox.rs`).

use super::reservations::OperationError;
use super::{Store, StoreFailure, Tx, outbox, random_id};
use crate::server::webhooks::events::{EventType, SubscriptionData};
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    /// `sub_` + 128 random bits: it unsubscribes, so it is never listed.
    pub token: String,
    pub sku: String,
    pub email: String,
    pub lang: Option<String>,
    pub created_at: String,
}

/// A subscription, and whether this request made it.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscribed {
    pub subscription: Subscription,
    pub created: bool,
}

pub(super) const BY_EMAIL: &str = "SELECT token, sku, email, lang, created_at FROM subscriptions
     WHERE sku = $1 AND email_folded = $2";
pub(super) const OF_PRODUCT: &str = "SELECT token, sku, email, lang, created_at FROM subscriptions
     WHERE sku = $1 ORDER BY created_at, token";
pub(super) const INSERT: &str =
    "INSERT INTO subscriptions (token, sku, email, email_folded, lang, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)";
pub(super) const DELETE_OF_PRODUCT: &str = "DELETE FROM subscriptions WHERE sku = $1";
pub(super) const DELETE: &str = "DELETE FROM subscriptions WHERE token = $1";
pub(super) const COUNT: &str = "SELECT COUNT(*) AS subscribers FROM subscriptions WHERE sku = $1";

/// Subscribers one product may have: when it is back, each one's notice is
/// written in the transaction that brings it back, which must stay short.
pub const MAX_SUBSCRIPTIONS_PER_PRODUCT: u64 = 10_000;

/// Compared the same way on both stores (SQL's `lower` differs between them).
fn fold(email: &str) -> String {
    email.to_lowercase()
}

/// One subscription per product and address (compared without case). Only
/// while the product ships nothing: a shopper who can buy it now is told so.
async fn subscribe(
    tx: &mut dyn Tx,
    sku: &str,
    email: &str,
    lang: Option<&str>,
    now: &str,
) -> Result<Subscribed, OperationError> {
    // Locks the product: a receipt cannot slip between this check and the insert.
    let product = tx
        .product(sku)
        .await?
        .ok_or(OperationError::UnknownProduct)?;
    let folded = fold(email);
    if let Some(subscription) = tx.subscription(sku, &folded).await? {
        return Ok(Subscribed {
            subscription,
            created: false,
        });
    }
    if product.inventory.available() > 0 {
        return Err(OperationError::InStock);
    }
    if tx.subscription_count(sku).await? >= MAX_SUBSCRIPTIONS_PER_PRODUCT {
        return Err(OperationError::TooManySubscriptions);
    }
    let subscription = Subscription {
        token: random_id("sub_")?,
        sku: sku.to_owned(),
        email: email.to_owned(),
        lang: lang.map(str::to_owned),
        created_at: now.to_owned(),
    };
    tx.insert_subscription(&subscription, &folded).await?;
    outbox::emit(
        tx,
        EventType::SubscriptionCreated,
        sku,
        &data(&subscription, &product.name, None),
    )
    .await?;
    Ok(Subscribed {
        subscription,
        created: true,
    })
}

/// The events' `data` for a subscription.
pub(super) fn data<'a>(
    subscription: &'a Subscription,
    name: &'a str,
    available: Option<u32>,
) -> SubscriptionData<'a> {
    SubscriptionData {
        token: &subscription.token,
        sku: &subscription.sku,
        name,
        email: &subscription.email,
        lang: subscription.lang.as_deref(),
        created_at: &subscription.created_at,
        available,
    }
}

impl Store {
    pub async fn subscribe(
        &self,
        sku: String,
        email: String,
        lang: Option<String>,
        now: String,
    ) -> Result<Subscribed, OperationError> {
        let input = Arc::new((sku, email, lang, now));
        self.write(move |tx| {
            let input = Arc::clone(&input);
            Box::pin(async move {
                subscribe(tx, &input.0, &input.1, input.2.as_deref(), &input.3).await
            })
        })
        .await
    }

    /// `false` when there was no such subscription (already unsubscribed, or notified).
    pub async fn unsubscribe(&self, token: String) -> Result<bool, StoreFailure> {
        let token = Arc::new(token);
        self.write(move |tx| {
            let token = Arc::clone(&token);
            Box::pin(async move { tx.delete_subscription(&token).await })
        })
        .await
    }
}
