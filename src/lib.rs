//! stock-widget: live availability and backorder reservations for product pages.
//!
//! Three layers, one direction of dependency (see ARCHITECTURE.md):
//! - [`logic`]: pure inventory rules, compiled for every target;
//! - `widget`: the `<stock-status>` custom element, compiled for `wasm32` only;
//! - `server`: the axum + SQLite server, compiled for native targets only.

pub mod api;
pub mod logic;

#[cfg(target_arch = "wasm32")]
pub mod widget;

#[cfg(not(target_arch = "wasm32"))]
pub mod server;
