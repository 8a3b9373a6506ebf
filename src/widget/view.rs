//! Components. Thin: data comes from `http`, words from `text`.

use super::http::{FetchError, fetch_availability};
use super::options::WidgetOptions;
use super::text;
use crate::api::Availability;
use crate::logic::Status;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::HtmlElement;

#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    Loading,
    Ready(Availability),
    Failed(FetchError),
}

impl Load {
    /// The host's `data-state`, for the merchant's CSS.
    pub fn data_state(&self) -> &'static str {
        match self {
            Load::Loading => "loading",
            Load::Ready(availability) => match availability.status {
                Status::InStock => "in_stock",
                Status::Backorder => "backorder",
                Status::OutOfStock => "out_of_stock",
            },
            Load::Failed(_) => "error",
        }
    }
}

/// The whole widget for one host element.
#[component]
pub fn StockStatus(host: HtmlElement, options: WidgetOptions) -> impl IntoView {
    let load = RwSignal::new(Load::Loading);
    Effect::new(move |_| {
        let _ = host.set_attribute("data-state", load.with(Load::data_state));
    });
    spawn_local(async move {
        let result = fetch_availability(options.api_base(), &options.sku, options.quantity()).await;
        // The widget may have been destroyed while the request was in flight.
        let _ = load.try_set(match result {
            Ok(availability) => Load::Ready(availability),
            Err(error) => Load::Failed(error),
        });
    });
    view! { <StatusView load=load.read_only() /> }
}

/// Renders a load state; separate from fetching so it can be tested alone.
#[component]
pub fn StatusView(load: ReadSignal<Load>) -> impl IntoView {
    let class = move || String::from("sw-status sw-") + load.with(Load::data_state);
    let line = move || match &*load.read() {
        Load::Loading => String::from(text::LOADING),
        Load::Ready(availability) => text::status_line(availability),
        Load::Failed(error) => String::from(text::error_line(error)),
    };
    view! {
        <p class=class role="status" aria-live="polite">
            <span class="sw-dot" aria-hidden="true"></span>
            <span class="sw-text">{line}</span>
        </p>
    }
}
