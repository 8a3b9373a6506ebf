//! The Leptos components: `StockStatus` and its parts. They are thin: the
//! state and its changes live in `state.rs`, the words in `i18n.rs`, the
//! requests in `http.rs`; here they are wired to signals and the DOM.

use super::host;
use super::http::{self, FetchError};
use super::i18n::{Lang, Strings, number};
use super::live;
use super::options::resolve_lang;
use super::state::{Action, Field, Form, Load, Mine, Purpose, State, error_text};
use super::storage::{self, Remembered};
use crate::api::{Availability, MAX_REQUEST_QUANTITY, ReservationStatus};
use gloo::timers::future::TimeoutFuture;
use leptos::html::Div;
use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use leptos::task::spawn_local_scoped_with_cancellation;
use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

/// Waits before automatic retries of a transient failure; then the shopper decides.
const RETRY_DELAYS_MS: [u32; 4] = [1_000, 2_000, 4_000, 8_000];

/// What a widget is for; fixed while it lives.
struct Config {
    api: String,
    sku: String,
    /// Gets `data-state` and the events: the `<stock-status>` element, or
    /// `None` to use the widget's own root (a widget inside a Leptos app).
    host: Option<HtmlElement>,
    /// The owner the widget was created under: tasks started by a click live
    /// as long as the widget, not as long as the button that started them.
    /// Weak, so dropping the widget still cancels them.
    owner: Option<WeakOwner>,
    /// Write the schema.org `Offer` JSON-LD beside the widget.
    structured_data: bool,
    /// Bumped by each new load, so a stale retry loop stops.
    generation: Cell<u32>,
    /// The first status has been shown (and the performance mark set).
    marked: Cell<bool>,
    /// This widget's number in the page's live-update streams.
    listener: u32,
    /// It listens to them (from its first answer on).
    listening: Cell<bool>,
}

/// One widget's state and actions; `Copy`, so every closure gets its own.
#[derive(Clone, Copy)]
struct Widget {
    lang: Lang,
    strings: &'static Strings,
    quantity: u32,
    config: StoredValue<Config, LocalStorage>,
    /// Everything shown, in one signal (one copy of the reactive code in the
    /// wasm); memos keep the parts from rebuilding when another part changes.
    state: RwSignal<State>,
    root: NodeRef<Div>,
}

impl Widget {
    fn api(self) -> String {
        self.config.with_value(|config| config.api.clone())
    }

    fn sku(self) -> String {
        self.config.with_value(|config| config.sku.clone())
    }

    /// Where `data-state` and the events go.
    fn target(self) -> Option<HtmlElement> {
        self.config
            .try_with_value(|config| config.host.clone())
            .flatten()
            .or_else(|| self.root.get_untracked().map(HtmlElement::from))
    }

    fn emit(self, name: &str, detail: &JsValue) {
        if let Some(target) = self.target() {
            host::emit(&target, name, detail);
        }
    }

    fn emit_error(self, error: &FetchError) {
        let message = error_text(self.strings, error);
        self.emit("error", &host::error_detail(error.code(), message));
    }

    /// Runs `task` until it ends or the widget is dropped (which clears its
    /// timers and aborts its requests).
    fn spawn(self, task: impl Future<Output = ()> + 'static) {
        self.spawn_boxed(Box::pin(task));
    }

    /// One copy of the spawning machinery for every kind of task (smaller wasm).
    fn spawn_boxed(self, task: Pin<Box<dyn Future<Output = ()>>>) {
        let Some(owner) = self.config.try_with_value(|config| config.owner.clone()) else {
            return; // the widget is gone: nothing more to do
        };
        match owner {
            Some(owner) => {
                if let Some(owner) = owner.upgrade() {
                    owner.with(|| spawn_local_scoped_with_cancellation(task));
                }
            }
            // Created outside any owner: the task runs to its end.
            None => spawn_local_scoped_with_cancellation(task),
        }
    }

    /// A new answer (or failure): the view follows the signal; the host's
    /// `data-state` is set at once, so event listeners already see it.
    fn set_load(self, load: Load) {
        let state = load.data_state();
        if let Some(target) = self.target() {
            host::set_state(&target, state);
            if let Load::Ready(availability) = &load
                && self.config.with_value(|config| config.structured_data)
            {
                host::write_offer(&target, availability);
            }
        }
        let (lang, strings) = (self.lang, self.strings);
        self.state.update(|state| state.show(load, lang, strings));
        if !self.config.with_value(|config| config.marked.replace(true)) {
            host::mark_ready(&self.sku());
        }
    }

    /// Fetches availability, retrying transient failures with backoff.
    fn reload(self) {
        let generation = self.config.with_value(|config| {
            let next = config.generation.get().wrapping_add(1);
            config.generation.set(next);
            next
        });
        self.spawn(async move {
            let (api, sku) = (self.api(), self.sku());
            let mut attempt = 0;
            loop {
                // The first ask joins the page's batch; retries ask alone.
                let result = if attempt == 0 {
                    super::batch::fetch_availability(&api, &sku, self.quantity).await
                } else {
                    http::fetch_availability(&api, &sku, self.quantity).await
                };
                let current = self.config.try_with_value(|config| config.generation.get());
                if current != Some(generation) {
                    return;
                }
                match result {
                    Ok(answer) => {
                        self.set_load(Load::Ready(answer.value));
                        self.emit("change", &answer.raw);
                        self.listen();
                        return;
                    }
                    Err(error) => {
                        let transient = error.is_transient();
                        self.emit_error(&error);
                        // Keep showing the last good answer while a refresh fails.
                        let showing_answer = self
                            .state
                            .with_untracked(|state| matches!(state.load, Load::Ready(_)));
                        if !transient || !showing_answer {
                            self.set_load(Load::Failed(error));
                        }
                        if !transient || attempt >= RETRY_DELAYS_MS.len() {
                            return;
                        }
                        TimeoutFuture::new(RETRY_DELAYS_MS[attempt]).await;
                        attempt += 1;
                    }
                }
            }
        });
    }

    /// From its first answer on, the widget follows the page's live stream.
    fn listen(self) {
        let Some((api, sku, listener)) = self
            .config
            .try_with_value(|config| {
                (!config.listening.replace(true))
                    .then(|| (config.api.clone(), config.sku.clone(), config.listener))
            })
            .flatten()
        else {
            return;
        };
        let on_change = Rc::new(move |answer: http::Answer<Availability>| self.live_update(answer));
        live::subscribe(listener, &api, &sku, self.quantity, on_change);
    }

    /// A new availability from the stream: shown in place, told to the page
    /// (a stream's opening state, equal to what is shown, changes nothing).
    fn live_update(self, answer: http::Answer<Availability>) {
        // A page's handler of an earlier widget's event may have removed this one.
        let Some(unchanged) = self.state.try_with_untracked(|state| match &state.load {
            Load::Ready(shown) => shown.shows_the_same_as(&answer.value),
            _ => false,
        }) else {
            return;
        };
        if unchanged {
            return;
        }
        // Newer than any answer still on its way: that one is dropped.
        self.config.with_value(|config| {
            config
                .generation
                .set(config.generation.get().wrapping_add(1));
        });
        self.set_load(Load::Ready(answer.value));
        self.emit("change", &answer.raw);
    }

    /// Looks up a reservation remembered from an earlier visit.
    fn check_remembered(self, remembered: Remembered) {
        self.spawn(async move {
            let (api, sku) = (self.api(), self.sku());
            match http::get_reservation(&api, &remembered.id).await {
                Ok(answer) if answer.value.status != ReservationStatus::Cancelled => {
                    self.set_mine(Mine::Open(answer.value));
                }
                Ok(_) | Err(FetchError::Status { status: 404, .. }) => {
                    storage::forget(&api, &sku);
                    self.set_mine(Mine::Nothing);
                }
                // Unreachable now: keep showing what we remember; try again next visit.
                Err(_) => {}
            }
        });
    }

    fn set_mine(self, mine: Mine) {
        self.state.update(|state| state.mine = mine);
    }

    fn max_quantity(self) -> Option<u32> {
        self.state.with_untracked(|state| state.load.max_quantity())
    }

    fn open_form(self, purpose: Purpose) {
        let (form, first_field) = match purpose {
            Purpose::Reserve => (
                Form::new(self.quantity, self.max_quantity(), host::random_key()),
                Field::Quantity,
            ),
            Purpose::Notify => (Form::notify(), Field::Email),
        };
        self.state.update(|state| state.form = Some(form));
        self.focus_later(first_field.selector());
    }

    fn close_form(self) {
        self.state.update(|state| state.form = None);
        // Back to the button that opened it.
        self.focus_later(".sw-row .sw-button");
    }

    fn edit_form(self, change: impl FnOnce(&mut Form)) {
        self.state.update(|state| {
            if let Some(form) = &mut state.form {
                change(form);
            }
        });
    }

    fn submit(self) {
        let Some(mut form) = self.state.with_untracked(|state| state.form.clone()) else {
            return;
        };
        if form.submitting {
            return; // a double click: the first submission is on its way
        }
        let checked = form.submit(self.max_quantity(), self.strings);
        let purpose = form.purpose;
        self.state.update(|state| state.form = Some(form));
        let submission = match checked {
            Ok(submission) => submission,
            Err(field) => {
                self.focus_later(field.selector());
                return;
            }
        };
        if purpose == Purpose::Notify {
            return self.subscribe(submission.email);
        }
        let strings = self.strings;
        self.spawn(async move {
            let (api, sku) = (self.api(), self.sku());
            let asked = submission.quantity;
            let result = http::create_reservation(
                &api,
                &sku,
                asked,
                &submission.email,
                &submission.idempotency_key,
            )
            .await;
            match result {
                Ok(answer) => {
                    let remembered = Remembered {
                        id: answer.value.id.clone(),
                        quantity: answer.value.quantity,
                    };
                    storage::remember(&api, &sku, &remembered);
                    self.state.update(|state| {
                        state.form = None;
                        state.mine = Mine::Placed(answer.value);
                    });
                    self.emit("reserved", &answer.raw);
                    self.focus_later(".sw-mine");
                    self.reload();
                }
                Err(FetchError::Status {
                    status: 409,
                    code,
                    max_quantity,
                    ..
                }) if code == "customer_limit_reached" => {
                    let allowed = max_quantity.unwrap_or(0);
                    self.edit_form(|form| {
                        form.customer_limit(allowed, strings, host::random_key())
                    });
                    self.focus_later(Field::Quantity.selector());
                }
                Err(FetchError::Status {
                    status: 409,
                    max_quantity,
                    ..
                }) => {
                    // Someone else took the units: show what is left, keep the shopper going.
                    self.reload();
                    let max = max_quantity.unwrap_or(0);
                    self.edit_form(|form| form.conflict(asked, max, strings, host::random_key()));
                }
                Err(FetchError::Status {
                    status: 422, field, ..
                }) => {
                    let field = if field.as_deref() == Some("email") {
                        Field::Email
                    } else {
                        Field::Quantity
                    };
                    self.edit_form(|form| form.rejected(field, asked, strings, host::random_key()));
                }
                Err(error) => {
                    self.emit_error(&error);
                    self.edit_form(|form| form.failed(error_text(strings, &error)));
                }
            }
        });
    }

    /// "Email me when it's back": the merchant's mailer writes when it is.
    fn subscribe(self, email: String) {
        let strings = self.strings;
        self.spawn(async move {
            let (api, sku) = (self.api(), self.sku());
            match http::subscribe(&api, &sku, &email, self.lang.code()).await {
                Ok(answer) => {
                    self.state.update(|state| {
                        state.form = None;
                        state.subscribed = true;
                    });
                    self.emit("subscribed", &answer.raw);
                    self.focus_later(".sw-done");
                }
                // It is back already: show it.
                Err(FetchError::Status { status: 409, .. }) => {
                    self.state.update(|state| state.form = None);
                    self.reload();
                }
                Err(FetchError::Status { status: 422, .. }) => {
                    self.edit_form(|form| form.rejected(Field::Email, 1, strings, String::new()));
                    self.focus_later(Field::Email.selector());
                }
                Err(error) => {
                    self.emit_error(&error);
                    self.edit_form(|form| form.failed(error_text(strings, &error)));
                }
            }
        });
    }

    fn cancel_mine(self) {
        let Some(id) = self
            .state
            .with_untracked(|state| state.mine.reference().map(str::to_owned))
        else {
            return;
        };
        self.spawn(async move {
            let (api, sku) = (self.api(), self.sku());
            match http::cancel_reservation(&api, &id).await {
                Ok(_) | Err(FetchError::Status { status: 404, .. }) => {
                    storage::forget(&api, &sku);
                    self.set_mine(Mine::Cancelled);
                    self.focus_later(".sw-mine");
                    self.reload();
                }
                Err(error) => self.emit_error(&error),
            }
        });
    }

    /// Moves focus once the change is on screen.
    fn focus_later(self, selector: &'static str) {
        let root = self.root;
        self.spawn(async move {
            TimeoutFuture::new(0).await;
            let element = root
                .get_untracked()
                .and_then(|root| root.query_selector(selector).ok().flatten());
            if let Some(element) =
                element.and_then(|element| element.dyn_into::<HtmlElement>().ok())
            {
                let _ = element.focus();
            }
        });
    }
}

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
    let lang = resolve_lang(lang.as_deref());
    let api = String::from(api.as_deref().unwrap_or("").trim_end_matches('/'));
    let remembered = storage::recall(&api, &sku);
    // Without a host the root carries `data-state` from its first frame.
    let initial_state = host.is_none().then_some("loading");
    let listener = live::new_listener_id();
    // Leaving the page's live streams: the last widget of a stream closes it.
    on_cleanup(move || live::unsubscribe(listener));
    let widget = Widget {
        lang,
        strings: lang.strings(),
        quantity: quantity.unwrap_or(1).clamp(1, MAX_REQUEST_QUANTITY),
        config: StoredValue::new_local(Config {
            api,
            sku,
            host,
            structured_data,
            owner: Owner::current().map(|owner| owner.downgrade()),
            generation: Cell::new(0),
            marked: Cell::new(false),
            listener,
            listening: Cell::new(false),
        }),
        state: RwSignal::new(State {
            load: Load::Loading,
            form: None,
            mine: remembered.clone().map_or(Mine::Nothing, Mine::Checking),
            subscribed: false,
            announced: String::new(),
        }),
        root: NodeRef::new(),
    };
    widget.reload();
    if let Some(remembered) = remembered {
        widget.check_remembered(remembered);
    }
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
    let Widget {
        state,
        lang,
        strings,
        ..
    } = widget;
    let class = move || state.with(|state| String::from("sw-status sw-") + state.load.data_state());
    let text = move || state.with(|state| state.load.status_text(lang, strings));
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
        <button type="button" class="sw-button" on:click=move |_| widget.open_form(purpose)>
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
            view! { <p class="sw-mine sw-done" tabindex="-1" role="status">{widget.strings.notify_done}</p> }
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
    let panel = move || state.with(|state| state.mine.panel(lang, strings));
    // Built once when it appears; its words and button change in place.
    let shown = Memo::new(move |_| state.with(|state| !matches!(state.mine, Mine::Nothing)));
    let text = move || panel().map(|panel| panel.text);
    let hidden = move || !panel().is_some_and(|panel| panel.cancellable);
    move || {
        shown.get().then(|| {
            view! {
                <div class="sw-mine" tabindex="-1">
                    <span>{text}</span>
                    <button type="button" class="sw-link" hidden=hidden on:click=move |_| widget.cancel_mine()>
                        {strings.cancel_reservation}
                    </button>
                </div>
            }
        })
    }
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
            state.load.preview(&form.quantity, lang, strings)
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
            view! {
                <form class="sw-form" novalidate on:submit=move |event: web_sys::SubmitEvent| {
                    event.prevent_default();
                    widget.submit();
                }>
                    <div class="sw-field" hidden=!reserving>
                        <label for="sw-quantity">{strings.quantity}</label>
                        <input id="sw-quantity" name="quantity" type="number" inputmode="numeric" min="1"
                            max=max
                            prop:value=move || quantity().unwrap_or_default()
                            aria-invalid=move || true_false(quantity_error().is_some())
                            aria-describedby="sw-quantity-error"
                            on:input=move |event| typed(event, |form, value| {
                                form.quantity = value;
                                form.quantity_error = None;
                            }) />
                        <span id="sw-quantity-error" class="sw-error">{quantity_error}</span>
                    </div>
                    <div class="sw-field sw-wide">
                        <label for="sw-email">{strings.email}</label>
                        // Only the shopper writes the e-mail: no binding back to the input.
                        <input id="sw-email" name="email" type="email" autocomplete="email" spellcheck="false"
                            aria-invalid=move || true_false(email_error().is_some())
                            aria-describedby="sw-email-error sw-email-hint"
                            on:input=move |event| typed(event, |form, value| {
                                form.email = value;
                                form.email_error = None;
                            }) />
                        <span id="sw-email-hint" class="sw-hint">{hint}</span>
                        <span id="sw-email-error" class="sw-error">{email_error}</span>
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
