//! The on-demand part of the widget: the reservation and "email me" form,
//! sending it, and cancelling a reservation. `cargo xtask build-widget`
//! splits everything only these functions reach into a second wasm module
//! (`wasm_split`, as Leptos's `#[lazy]` does), fetched when a shopper shows
//! intent or the page is idle next to a form it may open; pages that only
//! show a status never download it.
//!
//! Each entry point is `fallible`: a part that cannot be fetched is an `Err`
//! the controller shows with a retry, never a panic. Without the `split`
//! feature (wasm-bindgen-test builds) the same functions are compiled in.

use super::form::{Form, Purpose};
use super::handle::Widget;
use super::i18n::number;
use super::state::Focus;
use super::true_false;
use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use std::cell::Cell;

/// The form about to open: built before the state says it is open, so the
/// view can show it at once.
pub struct Opening {
    pub widget: Widget,
    pub purpose: Purpose,
}

/// The on-demand part could not be downloaded (the browser's console says why).
pub struct PartMissing;

impl From<SplitLoaderError> for PartMissing {
    fn from(_: SplitLoaderError) -> PartMissing {
        PartMissing
    }
}

thread_local! {
    static LOADED: Cell<bool> = const { Cell::new(false) };
}

/// The part is here: what needs it can run at once.
pub fn is_loaded() -> bool {
    LOADED.with(Cell::get)
}

/// Downloads the part (once per page; a failed download is tried afresh).
pub async fn load() -> Result<(), PartMissing> {
    if is_loaded() {
        return Ok(());
    }
    #[cfg(feature = "split")]
    preload_forms().await?;
    LOADED.with(|loaded| loaded.set(true));
    Ok(())
}

/// An entry point of the on-demand part: an `async fn` that fetches the
/// part first (with the `split` feature) and then runs `$body` there.
macro_rules! on_demand {
    ($(#[$attr:meta])* pub fn $name:ident($arg:ident: $ty:ty) -> $ret:ty $body:block) => {
        $(#[$attr])*
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split(forms, wasm_split_path = ::leptos::wasm_split, fallible)]
        pub fn $name($arg: $ty) -> $ret $body

        $(#[$attr])*
        #[cfg(not(feature = "split"))]
        pub async fn $name($arg: $ty) -> $ret $body
    };
}

/// Fetches the part without running anything in it.
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(forms, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_forms))]
fn fetch_only(_: ()) -> Result<(), PartMissing> {
    Ok(())
}

on_demand! {
    /// The open form of `widget`, built in the on-demand part.
    pub fn form_view(opening: Opening) -> Result<AnyView, PartMissing> {
        let Opening { widget, purpose } = opening;
        Ok(view! { <ReserveForm widget purpose /> }.into_any())
    }
}

on_demand! {
    /// Cancels the shopper's reservation, from the on-demand part.
    pub fn cancel(widget: Widget) -> Result<(), PartMissing> {
        widget.cancel_now();
        Ok(())
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

/// The reservation form, with the in-browser preview of the chosen quantity.
#[component]
fn ReserveForm(widget: Widget, purpose: Purpose) -> impl IntoView {
    let Widget { state, lang, .. } = widget;
    let words = lang.form_words();
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
    // Built as it opens; its fields update in place (typing keeps the caret).
    let reserving = purpose == Purpose::Reserve;
    let (hint, submit, busy) = if reserving {
        (words.email_hint, words.submit, words.reserving)
    } else {
        (words.notify_hint, words.notify_submit, words.sending)
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
                <label for=quantity_id.clone()>{words.quantity}</label>
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
                <label for=email_id.clone()>{words.email}</label>
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
                    {words.close}
                </button>
            </div>
        </form>
    }
}
