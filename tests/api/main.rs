//! The HTTP API, exercised over real sockets against a temporary database.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../support/mod.rs"]
mod support;

mod availability;
mod serving;
