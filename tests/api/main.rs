//! The HTTP API, exercised over real sockets against a temporary database.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../support/mod.rs"]
mod support;

mod admin;
mod audit;
mod availability;
mod bad_input;
mod bulk;
mod concurrency;
mod contract;
mod cors;
mod delays;
mod demand;
mod demand_store;
mod durability;
mod group_commit;
mod import;
mod insight;
mod limits;
mod mail;
mod optin;
mod outbound;
mod queue_plans;
mod reservations;
mod serving;
mod snapshot;
mod stream;
mod subscriptions;
mod suppliers;
mod tokens;
mod webhooks;
