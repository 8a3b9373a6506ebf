//! stock-widget: live availability and backorder reservations for product pages.
//!
//! Three layers, one direction of dependency (see ARCHITECTURE.md):
//! - [`logic`]: pure inventory rules, compiled for every target;
//! - `widget`: the `<stock-status>` custom element, compiled for `wasm32`
//!   (natively only its plain state and wording, for their tests);
//! - `server`: the axum + SQLite server, compiled for native targets only.

pub mod api;
pub mod logic;

#[cfg(any(target_arch = "wasm32", test))]
pub mod widget;

#[cfg(not(target_arch = "wasm32"))]
pub mod server;
