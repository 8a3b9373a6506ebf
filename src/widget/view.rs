//! The Leptos components. Data comes from `http`, words from `i18n`, the host
//! page is told through `host`; the rules come from the shared logic module.

use super::host;
use super::http::{self, FetchError};
use super::i18n::{Lang, Strings, count, fill, number};
use super::options::WidgetOptions;
use super::storage::{self, Remembered};
use crate::api::{Availability, Reservation, ReservationStatus};
use crate::logic::{Quote, Status};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use leptos::reactive::spawn_local_scoped_with_cancellation as spawn_scoped;
use send_wrapper::SendWrapper;
use std::sync::Arc;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// Waits before automatic retries of a transient failure; then the shopper decides.
const RETRY_DELAYS_MS: [u32; 4] = [1_000, 2_000, 4_000, 8_000];

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

/// The shopper's own reservation of this product, if any.
#[derive(Clone, Debug, PartialEq)]
pub enum Mine {
    Nothing,
    /// Remembered from an earlier visit; its current state is being fetched.
    Checking(Remembered),
    /// Placed just now: show the confirmation.
    Placed(Reservation),
    /// Placed earlier and still open.
    Open(Reservation),
    Cancelled,
}

/// The open reservation form.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub quantity: String,
    pub email: String,
    pub quantity_error: Option<String>,
    pub email_error: Option<String>,
    pub notice: Option<String>,
    pub submitting: bool,
    /// One key per attempt: retries of the same attempt reuse it.
    pub idempotency_key: String,
}

/// Everything the widget's closures share. Leptos wants view closures to be
/// `Send`; the browser has one thread, so the DOM handle is wrapped.
struct Ctx {
    host: SendWrapper<HtmlElement>,
    api: String,
    sku: String,
    quantity: u32,
    lang: Lang,
    strings: &'static Strings,
    load: RwSignal<Load>,
    form: RwSignal<Option<Form>>,
    mine: RwSignal<Mine>,
    /// Bumped by each new load, so a stale retry loop stops.
    generation: RwSignal<u32>,
    /// The widget's reactive owner: tasks live as long as the widget, not as
    /// long as the part of the view that started them. Weak, so the widget
    /// can still be dropped (and its tasks cancelled) when it is destroyed.
    owner: WeakOwner,
}

/// The status line for a quote (the server's, or the browser's preview).
pub fn status_line(lang: Lang, strings: &Strings, quote: &Quote) -> String {
    let ships = |days: Option<u32>| match days {
        Some(0) => String::from(strings.ships_today),
        Some(days) => count(lang, &strings.ships_in, days),
        None => String::new(),
    };
    let joined = |first: String, second: String| {
        if second.is_empty() {
            first
        } else {
            first + " — " + &second
        }
    };
    if !quote.fulfillable {
        return match quote.max_quantity {
            Some(0) | None => String::from(strings.out_of_stock),
            Some(max) => count(lang, &strings.at_most, max),
        };
    }
    if quote.backordered == 0 {
        let low = if quote.low_stock {
            count(lang, &strings.only_left, quote.available)
        } else {
            String::new()
        };
        return joined(String::from(strings.in_stock), low);
    }
    if quote.from_stock > 0 {
        let split = fill(
            &fill(strings.split, "n", &number(quote.from_stock)),
            "m",
            &number(quote.backordered),
        );
        return joined(split, ships(quote.ships_in_days));
    }
    joined(String::from(strings.backorder), ships(quote.ships_in_days))
}

pub fn quote_of(availability: &Availability) -> Quote {
    Quote {
        status: availability.status,
        available: availability.available,
        low_stock: availability.low_stock,
        max_quantity: availability.max_quantity,
        quantity: availability.quantity,
        from_stock: availability.from_stock,
        backordered: availability.backordered,
        fulfillable: availability.fulfillable,
        ship_date: availability.ship_date,
        ships_in_days: availability.ships_in_days,
    }
}

fn error_text(strings: &Strings, error: &FetchError) -> &'static str {
    match error {
        FetchError::Unreachable => strings.unreachable,
        FetchError::Timeout => strings.timeout,
        FetchError::Malformed => strings.malformed,
        FetchError::Status { code, .. } if code == "unknown_product" => strings.unknown_product,
        FetchError::Status { status, .. } if *status >= 500 => strings.server_error,
        FetchError::Status { .. } => strings.malformed,
    }
}

/// Shoppers may reserve when part of the request (or a capped request) would be backordered.
fn can_reserve(availability: &Availability) -> bool {
    let room_beyond_stock = availability
        .max_quantity
        .is_none_or(|max| max > availability.available);
    room_beyond_stock && (availability.backordered > 0 || !availability.fulfillable)
}

impl Ctx {
    /// Runs `task` until it ends or the widget is destroyed (then it is
    /// dropped, which clears its timers and aborts its requests).
    fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        if let Some(owner) = self.owner.upgrade() {
            owner.with(|| spawn_scoped(task));
        }
    }

    /// Fetches availability, retrying transient failures with backoff.
    fn reload(self: &Arc<Self>) {
        let generation = self.generation.get_untracked().wrapping_add(1);
        self.generation.set(generation);
        let ctx = Arc::clone(self);
        self.spawn(async move {
            let mut attempt = 0;
            loop {
                // The first ask joins the page's batch; retries ask alone.
                let result = if attempt == 0 {
                    super::batch::fetch_availability(&ctx.api, &ctx.sku, ctx.quantity).await
                } else {
                    http::fetch_availability(&ctx.api, &ctx.sku, ctx.quantity).await
                };
                if ctx.generation.try_get_untracked() != Some(generation) {
                    return;
                }
                match result {
                    Ok(answer) => {
                        ctx.load.set(Load::Ready(answer.value));
                        host::emit(&ctx.host, "change", &answer.raw);
                        return;
                    }
                    Err(error) => {
                        let transient = error.is_transient();
                        host::emit(
                            &ctx.host,
                            "error",
                            &host::error_detail(error.code(), error_text(ctx.strings, &error)),
                        );
                        // Keep showing the last good answer while a refresh fails.
                        if !matches!(ctx.load.get_untracked(), Load::Ready(_)) || !transient {
                            ctx.load.set(Load::Failed(error));
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

    /// Looks up a reservation remembered from an earlier visit.
    fn check_remembered(self: &Arc<Self>, remembered: Remembered) {
        let ctx = Arc::clone(self);
        self.spawn(async move {
            match http::get_reservation(&ctx.api, &remembered.id).await {
                Ok(answer) if answer.value.status != ReservationStatus::Cancelled => {
                    ctx.mine.set(Mine::Open(answer.value));
                }
                Ok(_) | Err(FetchError::Status { status: 404, .. }) => {
                    storage::forget(&ctx.api, &ctx.sku);
                    ctx.mine.set(Mine::Nothing);
                }
                // Unreachable now: keep showing what we remember; try again next visit.
                Err(_) => {}
            }
        });
    }

    fn open_form(&self) {
        let max = match self.load.get_untracked() {
            Load::Ready(availability) => availability.max_quantity,
            _ => None,
        };
        let quantity = max.map_or(self.quantity, |max| self.quantity.min(max));
        self.form.set(Some(Form {
            quantity: number(quantity),
            email: String::new(),
            quantity_error: None,
            email_error: None,
            notice: None,
            submitting: false,
            idempotency_key: host::random_key(),
        }));
        self.focus_later("input");
    }

    /// The form's quantity if it is valid for the last availability answer.
    fn valid_quantity(&self, text: &str) -> Result<u32, String> {
        let max = match self.load.get_untracked() {
            Load::Ready(availability) => availability.max_quantity,
            _ => None,
        };
        let limit = max.unwrap_or(crate::api::MAX_REQUEST_QUANTITY);
        match text.trim().parse::<u32>() {
            Ok(quantity) if quantity >= 1 && quantity <= limit => Ok(quantity),
            _ => Err(fill(self.strings.quantity_invalid, "n", &number(limit))),
        }
    }

    fn submit(self: &Arc<Self>) {
        let Some(mut form) = self.form.get_untracked() else {
            return;
        };
        if form.submitting {
            return; // a double click: the first submission is on its way
        }
        let quantity = self.valid_quantity(&form.quantity);
        let email_ok = looks_like_email(&form.email);
        form.quantity_error = quantity.as_ref().err().cloned();
        form.email_error = (!email_ok).then(|| String::from(self.strings.email_invalid));
        form.notice = None;
        let Ok(quantity) = quantity else {
            self.form.set(Some(form));
            self.focus_later("#sw-quantity");
            return;
        };
        if !email_ok {
            self.form.set(Some(form));
            self.focus_later("#sw-email");
            return;
        }
        form.submitting = true;
        let email = form.email.trim().to_owned();
        let key = form.idempotency_key.clone();
        self.form.set(Some(form));
        let ctx = Arc::clone(self);
        self.spawn(async move {
            let result = http::create_reservation(&ctx.api, &ctx.sku, quantity, &email, &key).await;
            match result {
                Ok(answer) => {
                    let reservation = answer.value;
                    storage::remember(
                        &ctx.api,
                        &ctx.sku,
                        &Remembered {
                            id: reservation.id.clone(),
                            quantity: reservation.quantity,
                        },
                    );
                    ctx.form.set(None);
                    ctx.mine.set(Mine::Placed(reservation));
                    host::emit(&ctx.host, "reserved", &answer.raw);
                    ctx.focus_later(".sw-mine");
                    ctx.reload();
                }
                Err(FetchError::Status {
                    status: 409,
                    max_quantity,
                    ..
                }) => {
                    // Someone else took the units: show what is left, keep the shopper going.
                    let max = max_quantity.unwrap_or(0);
                    ctx.reload();
                    ctx.form.update(|form| {
                        if let Some(form) = form {
                            form.submitting = false;
                            form.idempotency_key = host::random_key();
                            form.notice = Some(if max == 0 {
                                String::from(ctx.strings.sold_out_now)
                            } else {
                                fill(ctx.strings.conflict, "n", &number(max))
                            });
                            if max > 0 {
                                form.quantity = number(quantity.min(max));
                            }
                        }
                    });
                }
                Err(FetchError::Status {
                    status: 422, field, ..
                }) => {
                    ctx.form.update(|form| {
                        if let Some(form) = form {
                            form.submitting = false;
                            form.idempotency_key = host::random_key();
                            if field.as_deref() == Some("email") {
                                form.email_error = Some(String::from(ctx.strings.email_invalid));
                            } else {
                                form.quantity_error = Some(fill(
                                    ctx.strings.quantity_invalid,
                                    "n",
                                    &number(quantity),
                                ));
                            }
                        }
                    });
                }
                Err(error) => {
                    // Transient: keep the key, so pressing again cannot reserve twice.
                    host::emit(
                        &ctx.host,
                        "error",
                        &host::error_detail(error.code(), error_text(ctx.strings, &error)),
                    );
                    ctx.form.update(|form| {
                        if let Some(form) = form {
                            form.submitting = false;
                            form.notice = Some(String::from(error_text(ctx.strings, &error)));
                        }
                    });
                }
            }
        });
    }

    fn cancel_mine(self: &Arc<Self>, id: String) {
        let ctx = Arc::clone(self);
        self.spawn(async move {
            match http::cancel_reservation(&ctx.api, &id).await {
                Ok(_) | Err(FetchError::Status { status: 404, .. }) => {
                    storage::forget(&ctx.api, &ctx.sku);
                    ctx.mine.set(Mine::Cancelled);
                    ctx.focus_later(".sw-mine");
                    ctx.reload();
                }
                Err(error) => {
                    host::emit(
                        &ctx.host,
                        "error",
                        &host::error_detail(error.code(), error_text(ctx.strings, &error)),
                    );
                }
            }
        });
    }

    /// Moves focus once the next render is on screen.
    fn focus_later(&self, selector: &'static str) {
        let root = self.host.shadow_root();
        self.spawn(async move {
            TimeoutFuture::new(0).await;
            let element = root.and_then(|root| root.query_selector(selector).ok().flatten());
            if let Some(element) =
                element.and_then(|element| element.dyn_into::<HtmlElement>().ok())
            {
                let _ = element.focus();
            }
        });
    }
}

/// Shape only (`x@y.z`, no spaces); the server has the last word.
pub fn looks_like_email(text: &str) -> bool {
    let text = text.trim();
    match text.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// The whole widget for one host element.
#[component]
pub fn StockStatus(host: HtmlElement, options: WidgetOptions) -> impl IntoView {
    let lang = options.resolved_lang(&host);
    let remembered = storage::recall(options.api_base(), &options.sku);
    let ctx = Arc::new(Ctx {
        api: options.api_base().to_owned(),
        sku: options.sku.clone(),
        quantity: options.quantity(),
        lang,
        strings: lang.strings(),
        load: RwSignal::new(Load::Loading),
        form: RwSignal::new(None),
        mine: RwSignal::new(remembered.clone().map_or(Mine::Nothing, Mine::Checking)),
        generation: RwSignal::new(0),
        owner: Owner::current()
            .expect("components run under an owner")
            .downgrade(),
        host: SendWrapper::new(host),
    });
    {
        let ctx = Arc::clone(&ctx);
        let mut marked = false;
        Effect::new(move |_| {
            let load = ctx.load.get();
            host::set_state(&ctx.host, load.data_state());
            if !marked && load != Load::Loading {
                marked = true;
                host::mark_ready(&ctx.sku);
            }
        });
    }
    ctx.reload();
    if let Some(remembered) = remembered {
        ctx.check_remembered(remembered);
    }

    view! {
        <StatusRow ctx=Arc::clone(&ctx) />
        <MineRow ctx=Arc::clone(&ctx) />
        <ReserveForm ctx=ctx />
    }
}

#[component]
fn StatusRow(ctx: Arc<Ctx>) -> impl IntoView {
    let (lang, strings, load) = (ctx.lang, ctx.strings, ctx.load);
    let class = move || String::from("sw-status sw-") + load.with(Load::data_state);
    let text = move || match &*load.read() {
        Load::Loading => String::from(strings.loading),
        Load::Ready(availability) => status_line(lang, strings, &quote_of(availability)),
        Load::Failed(error) => String::from(error_text(strings, error)),
    };
    let action_ctx = Arc::clone(&ctx);
    // Recompute the button only when these change, not on every keystroke in the form.
    let (form, mine) = (ctx.form, ctx.mine);
    let form_open = Memo::new(move |_| form.with(Option::is_some));
    let mine_open =
        Memo::new(move |_| mine.with(|mine| matches!(mine, Mine::Open(_) | Mine::Checking(_))));
    let action = move || {
        let ctx = Arc::clone(&action_ctx);
        match &*ctx.load.read() {
            Load::Failed(_) => {
                let retry = Arc::clone(&ctx);
                Some(view! {
                    <button type="button" class="sw-button sw-secondary" on:click=move |_| retry.reload()>
                        {strings.retry}
                    </button>
                }.into_any())
            }
            Load::Ready(availability)
                if can_reserve(availability) && !form_open.get() && !mine_open.get() =>
            {
                let open = Arc::clone(&ctx);
                Some(view! {
                    <button type="button" class="sw-button" aria-expanded="false" on:click=move |_| open.open_form()>
                        {strings.reserve}
                    </button>
                }.into_any())
            }
            _ => None,
        }
    };
    view! {
        <div class="sw-row">
            <p class=class role="status" aria-live="polite" aria-atomic="true">
                <span class="sw-icon" aria-hidden="true"></span>
                <span class="sw-text">{text}</span>
            </p>
            {action}
        </div>
    }
}

#[component]
fn MineRow(ctx: Arc<Ctx>) -> impl IntoView {
    let (lang, strings, mine) = (ctx.lang, ctx.strings, ctx.mine);
    move || {
        let ctx = Arc::clone(&ctx);
        let (text, cancel_id) = match mine.get() {
            Mine::Nothing => return None,
            Mine::Cancelled => (String::from(strings.cancelled), None),
            Mine::Checking(remembered) => (
                fill(strings.you_reserved, "n", &number(remembered.quantity)),
                Some(remembered.id),
            ),
            Mine::Placed(reservation) => {
                let mut text = fill(strings.reserved, "n", &number(reservation.quantity));
                text.push_str(" · ");
                text.push_str(strings.reference);
                text.push(' ');
                text.push_str(&reservation.id);
                if let Some(date) = reservation.ship_date {
                    text.push_str(" · ");
                    text.push_str(&fill(strings.ships_on, "d", &lang.format_date(date)));
                }
                (text, Some(reservation.id))
            }
            Mine::Open(reservation) => {
                let mut text = fill(strings.you_reserved, "n", &number(reservation.quantity));
                text.push_str(" — ");
                match reservation.ships_in_days {
                    _ if reservation.status == ReservationStatus::Ready => {
                        text.push_str(strings.ready)
                    }
                    Some(0) => text.push_str(strings.ships_today),
                    Some(days) => text.push_str(&count(lang, &strings.ships_in, days)),
                    None => text.push_str(strings.ready),
                }
                (text, Some(reservation.id))
            }
        };
        let cancel = cancel_id.map(|id| {
            view! {
                <button type="button" class="sw-link" on:click=move |_| ctx.cancel_mine(id.clone())>
                    {strings.cancel_reservation}
                </button>
            }
        });
        Some(view! {
            <div class="sw-mine" tabindex="-1">
                <span>{text}</span>
                {cancel}
            </div>
        })
    }
}

#[component]
fn ReserveForm(ctx: Arc<Ctx>) -> impl IntoView {
    let (lang, strings, form, load) = (ctx.lang, ctx.strings, ctx.form, ctx.load);
    // Rebuild the form only when it opens or closes; its fields update in place.
    let open = Memo::new(move |_| form.with(Option::is_some));
    move || {
        open.get().then(|| {
            let max = move || match &*load.read() {
                Load::Ready(availability) => availability.max_quantity.map(number),
                _ => None,
            };
            let preview = move || {
                let quantity = form.with(|form| form.as_ref().and_then(|form| form.quantity.trim().parse::<u32>().ok()))?;
                let (inventory, today) = match &*load.read() {
                    Load::Ready(availability) => availability.preview_inventory()?,
                    _ => return None,
                };
                let quote = inventory.quote(quantity, today).ok()?;
                Some(status_line(lang, strings, &quote))
            };
            let field = move |pick: fn(&Form) -> Option<String>| move || form.with(|form| form.as_ref().and_then(pick));
            let quantity_error = field(|form| form.quantity_error.clone());
            let email_error = field(|form| form.email_error.clone());
            let notice = field(|form| form.notice.clone());
            let submitting = move || form.with(|form| form.as_ref().is_some_and(|form| form.submitting));
            let submit_ctx = Arc::clone(&ctx);
            view! {
                <form class="sw-form" novalidate on:submit=move |event: web_sys::SubmitEvent| {
                    event.prevent_default();
                    submit_ctx.submit();
                }>
                    <div class="sw-field">
                        <label for="sw-quantity">{strings.quantity}</label>
                        <input id="sw-quantity" name="quantity" type="number" inputmode="numeric" min="1"
                            max=max
                            prop:value=move || form.with(|form| form.as_ref().map(|form| form.quantity.clone()).unwrap_or_default())
                            aria-invalid=move || quantity_error().is_some().to_string()
                            aria-describedby="sw-quantity-error"
                            on:input=move |event| {
                                let value = event_target_value(&event);
                                form.update(|form| if let Some(form) = form {
                                    form.quantity = value;
                                    form.quantity_error = None;
                                });
                            } />
                        <span id="sw-quantity-error" class="sw-error">{quantity_error}</span>
                    </div>
                    <div class="sw-field sw-wide">
                        <label for="sw-email">{strings.email}</label>
                        <input id="sw-email" name="email" type="email" autocomplete="email" spellcheck="false"
                            prop:value=move || form.with(|form| form.as_ref().map(|form| form.email.clone()).unwrap_or_default())
                            aria-invalid=move || email_error().is_some().to_string()
                            aria-describedby="sw-email-error sw-email-hint"
                            on:input=move |event| {
                                let value = event_target_value(&event);
                                form.update(|form| if let Some(form) = form {
                                    form.email = value;
                                    form.email_error = None;
                                });
                            } />
                        <span id="sw-email-hint" class="sw-hint">{strings.email_hint}</span>
                        <span id="sw-email-error" class="sw-error">{email_error}</span>
                    </div>
                    <p class="sw-preview" aria-live="polite">{preview}</p>
                    <p class="sw-notice" role="alert">{notice}</p>
                    <div class="sw-actions">
                        <button type="submit" class="sw-button" disabled=submitting aria-busy=move || submitting().to_string()>
                            {move || if submitting() { strings.reserving } else { strings.submit }}
                        </button>
                        <button type="button" class="sw-link" on:click=move |_| form.set(None)>{strings.close}</button>
                    </div>
                </form>
            }
        })
    }
}
