//! Webhooks: events from the outbox, signed and delivered to the merchant's
//! endpoints by a background worker (one per server; on PostgreSQL the
//! servers share the work row by row).

pub mod delivery;
pub mod events;
pub mod resolve;
pub mod signing;

pub use delivery::{DeliveryConfig, RetryPolicy};
pub mod mail;
mod mail_words;
pub mod smtp;
