//! The Leptos components: `StockStatus` and its parts. They are thin: the
//! state and its changes live in `state.rs` (the form's in `form.rs`), the
//! words in `i18n.rs`, the requests and their effects in `controller.rs`;
//! here they are wired to signals and the DOM.

use super::form::Purpose;
use super::handle::Widget;
use super::mine::Mine;
use super::part::{Intent, Prefetch};
use super::state::{Action, Focus, State};
use super::true_false;
use leptos::prelude::*;
use web_sys::HtmlElement;

/// Live availability for one product, with the backorder reservation form.
///
/// Used by `mount` (and so by `<stock-status>`), or directly in a Leptos CSR
/// app: `view! { <StockStatus sku="KETTLE-GOOSE"/> }`. The styles are
/// [`STYLES`](super::STYLES); `mount` puts them in the shadow root.
#[component]
pub fn StockStatus(
    /// The product's SKU.
    #[prop(into)]
    sku: String,
    /// Base URL of the API; by default the page's own origin.
    #[prop(optional, into)]
    api: Option<String>,
    /// The quantity the status is for (1–1000000, default 1).
    #[prop(optional)]
    quantity: Option<u32>,
    /// `en`, `de`, `fr` or `es`; by default the page's language.
    #[prop(optional, into)]
    lang: Option<String>,
    /// The element that gets `data-state` and the `stock-status:*` events;
    /// by default the widget's own root element.
    #[prop(optional)]
    host: Option<HtmlElement>,
    /// Also keep a schema.org `Offer` (JSON-LD) for the product current as a
    /// child of the host element (or of the widget's root).
    #[prop(optional)]
    structured_data: bool,
    /// When the part with the forms is fetched: by default when the page is
    /// idle after a status that offers a form; `Prefetch::Intent` waits for
    /// the shopper to point at or focus its button.
    #[prop(optional)]
    prefetch: Prefetch,
) -> impl IntoView {
    // Without a host the root carries `data-state` from its first frame.
    let initial_state = host.is_none().then_some("loading");
    let widget = Widget::new(sku, api, quantity, lang, host, structured_data, prefetch);
    let lang = widget.lang;
    view! {
        // `lang` on the root: screen readers pronounce the widget's words in its language.
        <div class="sw" lang=lang.code() data-state=initial_state node_ref=widget.root>
            <div class="sw-row">
                <StatusLine widget />
                <StatusAction widget />
            </div>
            <PartFailed widget />
            <MyReservation widget />
            <Subscribed widget />
            <FormSlot widget />
        </div>
    }
}

/// The status: its mark and its words, and a live region that speaks them
/// when the status category changes (loading, in stock, backorder, out of
/// stock, error) — not on every number a live update moves.
#[component]
fn StatusLine(widget: Widget) -> impl IntoView {
    let Widget { state, lang, .. } = widget;
    let class = move || state.with(|state| String::from("sw-status sw-") + state.load.data_state());
    let text = move || state.with(|state| state.load.status_text(lang));
    let announced = move || state.with(|state| state.announced.clone());
    view! {
        <p class=class>
            <span class="sw-icon" aria-hidden="true"></span>
            <span class="sw-text">{text}</span>
            <span class="sw-sr" role="status" aria-live="polite" aria-atomic="true">
                {announced}
            </span>
        </p>
    }
}

/// The button beside the status: "Try again" after an error, "Reserve" when
/// backordering is possible. Each is rebuilt only when it comes or goes.
#[component]
fn StatusAction(widget: Widget) -> impl IntoView {
    let state = widget.state;
    let retry = Memo::new(move |_| state.with(|state| state.action() == Action::Retry));
    let reserve = Memo::new(move |_| state.with(|state| state.action() == Action::Reserve));
    let notify = Memo::new(move |_| state.with(|state| state.action() == Action::Notify));
    view! {
        {move || retry.get().then(|| view! { <ErrorRetry widget /> })}
        {move || reserve.get().then(|| view! { <OpenForm widget purpose=Purpose::Reserve /> })}
        {move || notify.get().then(|| view! { <OpenForm widget purpose=Purpose::Notify /> })}
    }
}

/// After an error: ask again now instead of waiting for the next automatic try.
#[component]
fn ErrorRetry(widget: Widget) -> impl IntoView {
    view! {
        <button type="button" class="sw-button sw-secondary" on:click=move |_| widget.reload()>
            {widget.strings.retry}
        </button>
    }
}

/// "Reserve", or "Email me when it's back" when out of stock.
#[component]
fn OpenForm(widget: Widget, purpose: Purpose) -> impl IntoView {
    let label = match purpose {
        Purpose::Reserve => widget.strings.reserve,
        Purpose::Notify => widget.strings.notify,
    };
    let busy = move || {
        let busy = widget
            .state
            .with(|state| state.part.is_busy(Intent::Open(purpose)));
        true_false(busy)
    };
    // Pointing at it or focusing it shows intent: the form's part is fetched
    // then, so it is usually here by the click.
    view! {
        <button type="button" class="sw-button" aria-busy=busy
            node_ref=widget.focus_ref(Focus::Opener)
            on:pointerenter=move |_| widget.prefetch_part()
            on:focus=move |_| widget.prefetch_part()
            on:click=move |_| widget.open_form(purpose)>
            {label}
        </button>
    }
}

/// The on-demand part could not be fetched: say so, and offer to try again
/// (the status line above keeps working).
#[component]
fn PartFailed(widget: Widget) -> impl IntoView {
    let state = widget.state;
    let failed = Memo::new(move |_| state.with(|state| state.part.has_failed()));
    move || {
        failed.get().then(|| {
            view! {
                <p class="sw-notice sw-part" role="alert">
                    {widget.strings.part_failed}" "
                    <button type="button" class="sw-link" on:click=move |_| widget.retry_part()>
                        {widget.strings.retry}
                    </button>
                </p>
            }
        })
    }
}

/// The open form, as the on-demand part built it just before opening it.
#[component]
fn FormSlot(widget: Widget) -> impl IntoView {
    let state = widget.state;
    let open = Memo::new(move |_| state.with(|state| state.form.is_some()));
    move || open.get().then(|| widget.take_form_view()).flatten()
}

/// "We'll e-mail you when it's back": said once, where the form was.
#[component]
fn Subscribed(widget: Widget) -> impl IntoView {
    let state = widget.state;
    let shown = Memo::new(move |_| state.with(State::says_subscribed));
    let said = move || {
        let strings = widget.strings;
        if state.with(|state| state.confirm_by_mail) {
            strings.notify_confirm
        } else {
            strings.notify_done
        }
    };
    move || {
        shown.get().then(|| {
            view! {
                <p class="sw-mine sw-done" tabindex="-1" role="status" node_ref=widget.focus_ref(Focus::Subscribed)>
                    {said}
                </p>
            }
        })
    }
}

/// "You reserved …": the confirmation, or a reservation from an earlier visit.
#[component]
fn MyReservation(widget: Widget) -> impl IntoView {
    let Widget {
        state,
        lang,
        strings,
        ..
    } = widget;
    let panel = move || state.with(|state| state.mine.panel(lang, state.moved_from));
    // Built once when it appears; its words and button change in place.
    let shown = Memo::new(move |_| state.with(|state| !matches!(state.mine, Mine::Nothing)));
    let text = move || panel().map(|panel| panel.text);
    let hidden = move || !panel().is_some_and(|panel| panel.cancellable);
    let busy = move || true_false(state.with(|state| state.part.is_busy(Intent::Cancel)));
    move || {
        shown.get().then(|| {
            view! {
                <div class="sw-mine" tabindex="-1" node_ref=widget.focus_ref(Focus::Mine)>
                    <span>{text}</span>
                    <button type="button" class="sw-link" hidden=hidden aria-busy=busy
                        on:pointerenter=move |_| widget.prefetch_part()
                        on:focus=move |_| widget.prefetch_part()
                        on:click=move |_| widget.cancel_mine()>
                        {strings.cancel_reservation}
                    </button>
                </div>
            }
        })
    }
}
