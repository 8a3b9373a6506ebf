//! The Leptos components: `StockStatus` and its parts. They are thin: the
//! state and its changes live in `state.rs` (the form's in `form.rs`), the
//! words in `i18n.rs`, the requests and their effects in `controller.rs`;
//! here they are wired to signals and the DOM.

use super::controller::Widget;
use super::form::{Form, Purpose};
use super::i18n::number;
use super::mine::Mine;
use super::state::{Action, Focus, State};
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
) -> impl IntoView {
    // Without a host the root carries `data-state` from its first frame.
    let initial_state = host.is_none().then_some("loading");
    let widget = Widget::new(sku, api, quantity, lang, host, structured_data);
    let lang = widget.lang;
    view! {
        // `lang` on the root: screen readers pronounce the widget's words in its language.
        <div class="sw" lang=lang.code() data-state=initial_state node_ref=widget.root>
            <div class="sw-row">
                <StatusLine widget />
                <StatusAction widget />
            </div>
            <MyReservation widget />
            <Subscribed widget />
            <ReserveForm widget />
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
    view! {
        <button type="button" class="sw-button" node_ref=widget.focus_ref(Focus::Opener) on:click=move |_| widget.open_form(purpose)>
            {label}
        </button>
    }
}

/// "We'll e-mail you when it's back": said once, where the form was.
#[component]
fn Subscribed(widget: Widget) -> impl IntoView {
    let state = widget.state;
    let shown = Memo::new(move |_| state.with(State::says_subscribed));
    move || {
        shown.get().then(|| {
            view! {
                <p class="sw-mine sw-done" tabindex="-1" role="status" node_ref=widget.focus_ref(Focus::Subscribed)>
                    {widget.strings.notify_done}
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
    let panel = move || state.with(|state| state.mine.panel(lang));
    // Built once when it appears; its words and button change in place.
    let shown = Memo::new(move |_| state.with(|state| !matches!(state.mine, Mine::Nothing)));
    let text = move || panel().map(|panel| panel.text);
    let hidden = move || !panel().is_some_and(|panel| panel.cancellable);
    move || {
        shown.get().then(|| {
            view! {
                <div class="sw-mine" tabindex="-1" node_ref=widget.focus_ref(Focus::Mine)>
                    <span>{text}</span>
                    <button type="button" class="sw-link" hidden=hidden on:click=move |_| widget.cancel_mine()>
                        {strings.cancel_reservation}
                    </button>
                </div>
            }
        })
    }
}

/// `sw-{n}-{part}`: an element id of widget number `n`.
fn element_id(widget_number: u32, part: &str) -> String {
    let mut id = String::from("sw-");
    id.push_str(&number(widget_number));
    id.push('-');
    id.push_str(part);
    id
}

fn true_false(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// The reservation form, with the in-browser preview of the chosen quantity.
#[component]
fn ReserveForm(widget: Widget) -> impl IntoView {
    let Widget {
        state,
        lang,
        strings,
        ..
    } = widget;
    // Built when it opens; its fields update in place (typing keeps the caret).
    let open = Memo::new(move |_| state.with(|state| state.form.is_some()));
    let read = move |pick: fn(&Form) -> Option<String>| {
        move || state.with(|state| state.form.as_ref().and_then(pick))
    };
    let quantity = read(|form| Some(form.quantity.clone()));
    let quantity_error = read(|form| form.quantity_error.clone());
    let email_error = read(|form| form.email_error.clone());
    let notice = read(|form| form.notice.clone());
    let submitting =
        move || state.with(|state| state.form.as_ref().is_some_and(|form| form.submitting));
    let max = move || state.with(|state| state.load.max_quantity().map(number));
    let preview = move || {
        state.with(|state| {
            let form = state.form.as_ref()?;
            state.load.preview(&form.quantity, lang)
        })
    };
    let typed = move |event: web_sys::Event, field: fn(&mut Form, String)| {
        let value = event_target_value(&event);
        widget.edit_form(|form| field(form, value));
    };
    move || {
        open.get().then(|| {
            // Fixed while the form is open.
            let reserving = state.with_untracked(|state| {
                state.form.as_ref().is_some_and(|form| form.purpose == Purpose::Reserve)
            });
            let (hint, submit, busy) = if reserving {
                (strings.email_hint, strings.submit, strings.reserving)
            } else {
                (strings.notify_hint, strings.notify_submit, strings.sending)
            };
            // Ids unique on the page: several widgets may share a document.
            let id = |part: &str| element_id(widget.number, part);
            let (quantity_id, quantity_error_id) = (id("quantity"), id("quantity-error"));
            let (email_id, email_hint_id, email_error_id) =
                (id("email"), id("email-hint"), id("email-error"));
            let email_described_by = email_error_id.clone() + " " + &email_hint_id;
            view! {
                <form class="sw-form" novalidate on:submit=move |event: web_sys::SubmitEvent| {
                    event.prevent_default();
                    widget.submit();
                }>
                    <div class="sw-field" hidden=!reserving>
                        <label for=quantity_id.clone()>{strings.quantity}</label>
                        <input id=quantity_id node_ref=widget.focus_ref(Focus::Quantity) name="quantity" type="number" inputmode="numeric" min="1"
                            max=max
                            prop:value=move || quantity().unwrap_or_default()
                            aria-invalid=move || true_false(quantity_error().is_some())
                            aria-describedby=quantity_error_id.clone()
                            on:input=move |event| typed(event, |form, value| {
                                form.quantity = value;
                                form.quantity_error = None;
                            }) />
                        <span id=quantity_error_id class="sw-error">{quantity_error}</span>
                    </div>
                    <div class="sw-field sw-wide">
                        <label for=email_id.clone()>{strings.email}</label>
                        // Only the shopper writes the e-mail: no binding back to the input.
                        <input id=email_id node_ref=widget.focus_ref(Focus::Email) name="email" type="email" autocomplete="email" spellcheck="false"
                            aria-invalid=move || true_false(email_error().is_some())
                            aria-describedby=email_described_by
                            on:input=move |event| typed(event, |form, value| {
                                form.email = value;
                                form.email_error = None;
                            }) />
                        <span id=email_hint_id class="sw-hint">{hint}</span>
                        <span id=email_error_id class="sw-error">{email_error}</span>
                    </div>
                    <p class="sw-preview" aria-live="polite" hidden=!reserving>{preview}</p>
                    <p class="sw-notice" role="alert">{notice}</p>
                    <div class="sw-actions">
                        <button type="submit" class="sw-button" disabled=submitting aria-busy=move || true_false(submitting())>
                            {move || if submitting() { busy } else { submit }}
                        </button>
                        <button type="button" class="sw-link" on:click=move |_| widget.close_form()>
                            {strings.close}
                        </button>
                    </div>
                </form>
            }
        })
    }
}
