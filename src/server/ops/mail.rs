//! Writes the shoppers' e-mails into the outbox, in the transaction of the
//! change they report (when the server mails: `Shop::send_mail`). The
//! worker sends them (`webhooks/delivery.rs`, `webhooks/smtp.rs`).

use super::{Shop, reference};
use crate::logic::Date;
use crate::server::domain::{DelayReason, ReservationRecord, Subscription};
use crate::server::store::{StoreFailure, Tx};
use crate::server::webhooks::mail::{self, Mail, Reserved};
use anyhow::Context;
use std::sync::atomic::Ordering;

/// One mail kept in the outbox, for the admin preview.
#[derive(Clone, Debug, PartialEq)]
pub struct KeptMail {
    pub mail: Mail,
    pub created_ms: i64,
}

/// Writes one mail (if the server mails), due now; its id (`msg_…`) is
/// its `Message-ID`'s left part on every attempt.
async fn write(tx: &mut dyn Tx, mail: Mail) -> Result<(), StoreFailure> {
    let body = serde_json::to_string(&mail).context("encode a mail")?;
    let id = reference("msg_")?;
    let now_ms = tx.notes().now_ms;
    tx.insert_mail(&id, &body, now_ms).await?;
    tx.notes().deliveries += 1;
    Ok(())
}

fn reserved<'a>(tx: &mut dyn Tx, record: &'a ReservationRecord, name: &'a str) -> Reserved<'a> {
    let cancel_url = tx.notes().links.as_ref().map(|links| links.url(&record.id));
    Reserved {
        to: record.email.as_str(),
        lang: record.lang.as_ref().map(|lang| lang.as_str()),
        id: record.id.as_str(),
        name,
        quantity: record.quantity,
        cancel_url,
    }
}

/// The confirmation of a reservation just placed.
pub(super) async fn confirmation(
    tx: &mut dyn Tx,
    record: &ReservationRecord,
    name: &str,
    window: Option<(Date, Date)>,
) -> Result<(), StoreFailure> {
    if !tx.notes().mail {
        return Ok(());
    }
    let backordered = record.quantity - record.from_stock;
    let mail = mail::confirmation(
        &reserved(tx, record, name),
        record.from_stock,
        backordered,
        window,
    );
    write(tx, mail).await
}

/// The notice of a reservation that ships later than told.
pub(super) async fn delayed(
    tx: &mut dyn Tx,
    record: &ReservationRecord,
    name: &str,
    previous: Date,
    window: (Date, Date),
    reason: DelayReason,
) -> Result<(), StoreFailure> {
    if !tx.notes().mail {
        return Ok(());
    }
    let mail = mail::delayed(&reserved(tx, record, name), previous, window, reason);
    write(tx, mail).await
}

/// "Ready to ship", for a reservation whose last units arrived.
pub(super) async fn ready(tx: &mut dyn Tx, record: &ReservationRecord) -> Result<(), StoreFailure> {
    if !tx.notes().mail {
        return Ok(());
    }
    let name = match tx.product(&record.sku).await? {
        Some(product) => product.name,
        None => record.sku.to_string(),
    };
    let mut without_link = reserved(tx, record, &name);
    without_link.cancel_url = None;
    write(tx, mail::ready(&without_link)).await
}

/// "It's back", to one subscriber.
pub(super) async fn back_in_stock(
    tx: &mut dyn Tx,
    subscription: &Subscription,
    name: &str,
    available: u32,
) -> Result<(), StoreFailure> {
    if !tx.notes().mail {
        return Ok(());
    }
    let unsubscribe = subscription_page(tx, subscription, "unsubscribe");
    let mail = mail::back_in_stock(
        subscription.email.as_str(),
        subscription.lang.as_ref().map(|lang| lang.as_str()),
        name,
        available,
        unsubscribe,
    );
    write(tx, mail).await
}

/// `{public url}/subscriptions/{token}/{page}`: the subscription's pages
/// (`routes/subscription_page.rs`); the token is the secret.
fn subscription_page(tx: &mut dyn Tx, subscription: &Subscription, page: &str) -> String {
    let public_url = tx
        .notes()
        .links
        .as_ref()
        .map(|links| links.public_url().to_owned())
        .unwrap_or_default();
    format!("{public_url}/subscriptions/{}/{page}", subscription.token)
}

/// "Please confirm", to a new subscriber (double opt-in).
pub(super) async fn confirm_subscription(
    tx: &mut dyn Tx,
    subscription: &Subscription,
    name: &str,
) -> Result<(), StoreFailure> {
    if !tx.notes().mail {
        return Ok(());
    }
    let confirm = subscription_page(tx, subscription, "confirm");
    let mail = mail::confirm_subscription(
        subscription.email.as_str(),
        subscription.lang.as_ref().map(|lang| lang.as_str()),
        name,
        confirm,
    );
    write(tx, mail).await
}

impl Shop {
    /// From now on, operations write mails for the shoppers into the outbox.
    pub fn send_mail(&self) {
        self.mail.store(true, Ordering::Relaxed);
    }

    /// Whether operations write mails.
    pub fn sends_mail(&self) -> bool {
        self.mail.load(Ordering::Relaxed)
    }

    /// The newest mails written, newest first.
    pub async fn mails(&self, limit: u32) -> Result<Vec<KeptMail>, StoreFailure> {
        let rows = self
            .read(move |tx| Box::pin(async move { tx.mails(limit).await }))
            .await?;
        rows.into_iter()
            .map(|(body, created_ms)| {
                let mail = serde_json::from_str(&body).context("a stored mail")?;
                Ok(KeptMail { mail, created_ms })
            })
            .collect()
    }
}
