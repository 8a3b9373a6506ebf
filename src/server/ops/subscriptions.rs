//! "Email me when it's back": shoppers subscribe to an out-of-stock product;
//! when it is back each gets one `subscription.notify` event (the merchant's
//! mailer writes to them) and is unsubscribed (`outbox.rs`). While the
//! server mails shoppers itself, a new subscription is first confirmed by
//! its address (double opt-in: a mail with the confirmation link); only
//! confirmed subscribers are told.

use super::{OperationError, Shop, issued, outbox};
use crate::server::domain::{
    Email, EventType, Lang, MAX_SUBSCRIPTIONS_PER_PRODUCT, Sku, Subscribed, Subscription,
    SubscriptionToken,
};
use crate::server::store::{StoreFailure, Tx};
use crate::server::webhooks::events::SubscriptionData;
use std::sync::Arc;

/// One subscription per product and address (compared without case). Only
/// while the product ships nothing: a shopper who can buy it now is told so.
async fn subscribe(
    tx: &mut dyn Tx,
    sku: &Sku,
    email: &Email,
    lang: Option<&Lang>,
    now: &str,
) -> Result<Subscribed, OperationError> {
    // Locks the product: a receipt cannot slip between this check and the insert.
    let product = tx
        .product(sku)
        .await?
        .ok_or(OperationError::UnknownProduct)?;
    let folded = email.folded();
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
        token: issued(SubscriptionToken::issue())?,
        sku: sku.clone(),
        email: email.clone(),
        lang: lang.cloned(),
        confirmed: !tx.notes().mail,
        created_at: now.to_owned(),
    };
    tx.insert_subscription(&subscription, &folded).await?;
    super::mail::confirm_subscription(tx, &subscription, &product.name).await?;
    outbox::emit(
        tx,
        EventType::SubscriptionCreated,
        sku,
        &SubscriptionData::of(&subscription, &product.name, None),
    )
    .await?;
    Ok(Subscribed {
        subscription,
        created: true,
    })
}

impl Shop {
    pub async fn subscribe(
        &self,
        sku: Sku,
        email: Email,
        lang: Option<Lang>,
        now: String,
    ) -> Result<Subscribed, OperationError> {
        let input = Arc::new((sku, email, lang, now));
        self.write(move |tx| {
            let input = Arc::clone(&input);
            Box::pin(
                async move { subscribe(tx, &input.0, &input.1, input.2.as_ref(), &input.3).await },
            )
        })
        .await
    }

    /// The subscription a token names, with its product's name.
    pub async fn subscription(
        &self,
        token: SubscriptionToken,
    ) -> Result<Option<(Subscription, String)>, StoreFailure> {
        let token = Arc::new(token);
        self.read(move |tx| {
            let token = Arc::clone(&token);
            Box::pin(async move {
                let Some(subscription) = tx.subscription_by_token(&token).await? else {
                    return Ok(None);
                };
                let name = match tx.product(&subscription.sku).await? {
                    Some(product) => product.name,
                    None => subscription.sku.to_string(),
                };
                Ok(Some((subscription, name)))
            })
        })
        .await
    }

    /// The shopper confirmed the address; `false` when there was no such
    /// subscription. Again is no change.
    pub async fn confirm_subscription(
        &self,
        token: SubscriptionToken,
    ) -> Result<bool, StoreFailure> {
        let token = Arc::new(token);
        self.write(move |tx| {
            let token = Arc::clone(&token);
            Box::pin(async move { tx.confirm_subscription(&token).await })
        })
        .await
    }

    /// `false` when there was no such subscription (already unsubscribed, or notified).
    pub async fn unsubscribe(&self, token: SubscriptionToken) -> Result<bool, StoreFailure> {
        let token = Arc::new(token);
        self.write(move |tx| {
            let token = Arc::clone(&token);
            Box::pin(async move { tx.delete_subscription(&token).await })
        })
        .await
    }
}
