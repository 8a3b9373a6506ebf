//! The browser widget: the Leptos component [`StockStatus`], mounted by
//! [`mount`] into an open shadow root per `<stock-status>` element.
//!
//! `loader.js` (served as `/widget/stock-widget.js`) defines the custom element
//! and calls [`mount`]; frameworks may call `mount` themselves, and Leptos
//! apps may use `<StockStatus/>` in their own views.
//!
//! `state.rs` (with `form.rs`, `mine.rs`, `wording.rs`) and `i18n.rs` are
//! plain Rust, compiled for every target so their tests run natively
//! (`cargo test --lib`); the rest is wasm32 only: `controller.rs` drives
//! requests and effects, `view.rs` holds the components, `mount.rs` the
//! custom element's mounting.

// Plain Rust: natively only their tests use them.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod form;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub mod i18n;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod load;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod mine;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod part;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod state;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod wording;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod words;

// The browser side.
#[cfg(target_arch = "wasm32")]
mod actions;
#[cfg(target_arch = "wasm32")]
mod batch;
#[cfg(target_arch = "wasm32")]
mod controller;
#[cfg(target_arch = "wasm32")]
mod handle;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
pub mod http;
#[cfg(target_arch = "wasm32")]
mod live;
#[cfg(target_arch = "wasm32")]
mod mount;
#[cfg(target_arch = "wasm32")]
mod on_demand;
#[cfg(target_arch = "wasm32")]
mod options;
#[cfg(target_arch = "wasm32")]
mod storage;
#[cfg(target_arch = "wasm32")]
mod view;

#[cfg(target_arch = "wasm32")]
pub use mount::{STYLES, WidgetHandle, mount};

/// An ARIA boolean attribute's value.
#[cfg(target_arch = "wasm32")]
fn true_false(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}
#[cfg(target_arch = "wasm32")]
pub use view::{StockStatus, StockStatusProps};
