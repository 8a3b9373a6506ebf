//! End-to-end: the real server on a free port, driven through headless
//! Chromium by ChromeDriver. Needs the built widget and `chromium-driver`;
//! `cargo xtask test` provides both.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../support/mod.rs"]
mod support;

mod audit;
mod browser;
mod csp;
mod demo;
mod insight;
mod live;
mod notify;
mod on_demand;
mod shopper;
mod storefront;
mod widget;
