//! The widget's DOM and behaviour: one `Widget` per host element.
//!
//! Rendering is explicit: every action changes `State`, then `render` brings
//! the few nodes up to date in place (so focus and typing are never lost).
//! Why not a framework's view layer: see "Why the widget renders by hand" in
//! ARCHITECTURE.md — it cost more than the whole size budget.

use super::host;
use super::http::{self, FetchError};
use super::i18n::{Lang, Strings, count, fill, number};
use super::options::WidgetOptions;
use super::state::{Form, Load, Mine, can_reserve, error_text, quote_of, status_line};
use super::storage::{self, Remembered};
use crate::api::ReservationStatus;
use futures::future::{AbortHandle, Abortable};
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{Document, Event, HtmlElement, HtmlInputElement};

/// Waits before automatic retries of a transient failure; then the shopper decides.
const RETRY_DELAYS_MS: [u32; 4] = [1_000, 2_000, 4_000, 8_000];

type Listener = Closure<dyn FnMut(Event)>;

struct State {
    load: Load,
    form: Option<Form>,
    mine: Mine,
    /// Bumped by each new load, so a stale retry loop stops.
    generation: u32,
    /// The first status has been shown (and the performance mark set).
    marked: bool,
}

/// The action next to the status: which one is shown, and its node.
#[derive(Clone, Copy, PartialEq)]
enum Action {
    None,
    Retry,
    Reserve,
}

struct FormNodes {
    root: HtmlElement,
    quantity: HtmlInputElement,
    quantity_error: HtmlElement,
    email: HtmlInputElement,
    email_error: HtmlElement,
    preview: HtmlElement,
    notice: HtmlElement,
    submit: HtmlElement,
    listeners: Vec<Listener>,
}

struct MineNodes {
    root: HtmlElement,
    text: HtmlElement,
    cancel: HtmlElement,
    _listener: Listener,
}

pub struct Widget {
    host: HtmlElement,
    document: Document,
    container: HtmlElement,
    api: String,
    sku: String,
    quantity: u32,
    lang: Lang,
    strings: &'static Strings,
    state: RefCell<State>,
    status: HtmlElement,
    text: HtmlElement,
    row: HtmlElement,
    action: RefCell<(Action, Option<(HtmlElement, Listener)>)>,
    mine_nodes: RefCell<Option<MineNodes>>,
    form_nodes: RefCell<Option<FormNodes>>,
    tasks: RefCell<Vec<AbortHandle>>,
    /// Listeners of removed nodes. A listener may be the one running when its
    /// node goes (the Reserve button opens the form and disappears), so it is
    /// dropped in a later task, never from inside itself.
    retired: RefCell<Vec<Listener>>,
    me: Weak<Widget>,
}

fn element(document: &Document, tag: &str, class: &str) -> HtmlElement {
    let element: HtmlElement = document
        .create_element(tag)
        .expect("a known tag")
        .unchecked_into();
    if !class.is_empty() {
        element.set_class_name(class);
    }
    element
}

fn set(element: &HtmlElement, name: &str, value: &str) {
    let _ = element.set_attribute(name, value);
}

fn append(parent: &HtmlElement, child: &HtmlElement) {
    let _ = parent.append_child(child);
}

impl Widget {
    /// Builds the widget into `container` and starts loading.
    pub fn start(host: HtmlElement, container: HtmlElement, options: WidgetOptions) -> Rc<Widget> {
        let document = container.owner_document().expect("an attached container");
        let lang = options.resolved_lang(&host);
        let remembered = storage::recall(options.api_base(), &options.sku);
        // Screen readers pronounce the widget's words in the widget's language.
        set(&container, "lang", lang.code());
        let row = element(&document, "div", "sw-row");
        let status = element(&document, "p", "sw-status sw-loading");
        set(&status, "role", "status");
        set(&status, "aria-live", "polite");
        set(&status, "aria-atomic", "true");
        let icon = element(&document, "span", "sw-icon");
        set(&icon, "aria-hidden", "true");
        let text = element(&document, "span", "sw-text");
        append(&status, &icon);
        append(&status, &text);
        append(&row, &status);
        append(&container, &row);

        let widget = Rc::new_cyclic(|me| Widget {
            api: options.api_base().to_owned(),
            sku: options.sku.clone(),
            quantity: options.quantity(),
            lang,
            strings: lang.strings(),
            state: RefCell::new(State {
                load: Load::Loading,
                form: None,
                mine: remembered.clone().map_or(Mine::Nothing, Mine::Checking),
                generation: 0,
                marked: false,
            }),
            host,
            document,
            container,
            status,
            text,
            row,
            action: RefCell::new((Action::None, None)),
            mine_nodes: RefCell::new(None),
            form_nodes: RefCell::new(None),
            tasks: RefCell::new(Vec::new()),
            retired: RefCell::new(Vec::new()),
            me: me.clone(),
        });
        widget.render();
        widget.reload();
        if let Some(remembered) = remembered {
            widget.check_remembered(remembered);
        }
        widget
    }

    /// Stops every task (their timers are cleared, their requests aborted)
    /// and removes what the widget rendered.
    pub fn destroy(&self) {
        for task in self.tasks.borrow_mut().drain(..) {
            task.abort();
        }
        self.container.set_inner_html("");
        self.form_nodes.borrow_mut().take();
        self.mine_nodes.borrow_mut().take();
        self.action.borrow_mut().1.take();
        self.retired.borrow_mut().clear();
    }

    /// Runs `task` until it ends or the widget is destroyed.
    fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        let (handle, registration) = AbortHandle::new_pair();
        let mut tasks = self.tasks.borrow_mut();
        tasks.retain(|task| !task.is_aborted());
        tasks.push(handle);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = Abortable::new(task, registration).await;
        });
    }

    fn this(&self) -> Rc<Widget> {
        self.me.upgrade().expect("a widget outlives its own calls")
    }

    /// A DOM listener that calls `action` on this widget while it exists.
    fn listener(&self, action: fn(&Widget, Event)) -> Listener {
        let me = self.me.clone();
        Closure::new(move |event: Event| {
            if let Some(widget) = me.upgrade() {
                action(&widget, event);
            }
        })
    }

    fn on(&self, target: &HtmlElement, event: &str, action: fn(&Widget, Event)) -> Listener {
        let listener = self.listener(action);
        let _ = target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        listener
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state.borrow_mut());
        self.render();
    }

    /// Fetches availability, retrying transient failures with backoff.
    fn reload(&self) {
        let generation = {
            let mut state = self.state.borrow_mut();
            state.generation = state.generation.wrapping_add(1);
            state.generation
        };
        let widget = self.this();
        self.spawn(async move {
            let mut attempt = 0;
            loop {
                // The first ask joins the page's batch; retries ask alone.
                let result = if attempt == 0 {
                    super::batch::fetch_availability(&widget.api, &widget.sku, widget.quantity)
                        .await
                } else {
                    http::fetch_availability(&widget.api, &widget.sku, widget.quantity).await
                };
                if widget.state.borrow().generation != generation {
                    return;
                }
                match result {
                    Ok(answer) => {
                        widget.update(|state| state.load = Load::Ready(answer.value));
                        host::emit(&widget.host, "change", &answer.raw);
                        return;
                    }
                    Err(error) => {
                        let transient = error.is_transient();
                        let message = error_text(widget.strings, &error);
                        host::emit(
                            &widget.host,
                            "error",
                            &host::error_detail(error.code(), message),
                        );
                        // Keep showing the last good answer while a refresh fails.
                        widget.update(|state| {
                            if !matches!(state.load, Load::Ready(_)) || !transient {
                                state.load = Load::Failed(error);
                            }
                        });
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
    fn check_remembered(&self, remembered: Remembered) {
        let widget = self.this();
        self.spawn(async move {
            match http::get_reservation(&widget.api, &remembered.id).await {
                Ok(answer) if answer.value.status != ReservationStatus::Cancelled => {
                    widget.update(|state| state.mine = Mine::Open(answer.value));
                }
                Ok(_) | Err(FetchError::Status { status: 404, .. }) => {
                    storage::forget(&widget.api, &widget.sku);
                    widget.update(|state| state.mine = Mine::Nothing);
                }
                // Unreachable now: keep showing what we remember; try again next visit.
                Err(_) => {}
            }
        });
    }

    fn max_quantity(&self) -> Option<u32> {
        match &self.state.borrow().load {
            Load::Ready(availability) => availability.max_quantity,
            _ => None,
        }
    }

    fn open_form(&self, _: Event) {
        let quantity = self
            .max_quantity()
            .map_or(self.quantity, |max| self.quantity.min(max));
        self.update(|state| {
            state.form = Some(Form {
                quantity: number(quantity),
                email: String::new(),
                quantity_error: None,
                email_error: None,
                notice: None,
                submitting: false,
                idempotency_key: host::random_key(),
            })
        });
        self.focus_later("input");
    }

    fn close_form(&self, _: Event) {
        self.update(|state| state.form = None);
        // Back to the button that opened it.
        self.focus_later(".sw-row .sw-button");
    }

    fn retry(&self, _: Event) {
        self.reload();
    }

    fn typed_quantity(&self, _: Event) {
        let value = self
            .form_nodes
            .borrow()
            .as_ref()
            .map(|nodes| nodes.quantity.value());
        self.update(|state| {
            if let (Some(form), Some(value)) = (state.form.as_mut(), value) {
                form.quantity = value;
                form.quantity_error = None;
            }
        });
    }

    fn typed_email(&self, _: Event) {
        let value = self
            .form_nodes
            .borrow()
            .as_ref()
            .map(|nodes| nodes.email.value());
        self.update(|state| {
            if let (Some(form), Some(value)) = (state.form.as_mut(), value) {
                form.email = value;
                form.email_error = None;
            }
        });
    }

    /// The form's quantity if it is valid for the last availability answer.
    fn valid_quantity(&self, text: &str) -> Result<u32, String> {
        let limit = self
            .max_quantity()
            .unwrap_or(crate::api::MAX_REQUEST_QUANTITY);
        match text.trim().parse::<u32>() {
            Ok(quantity) if quantity >= 1 && quantity <= limit => Ok(quantity),
            _ => Err(fill(self.strings.quantity_invalid, "n", &number(limit))),
        }
    }

    fn submit(&self, event: Event) {
        event.prevent_default();
        let Some(mut form) = self.state.borrow().form.clone() else {
            return;
        };
        if form.submitting {
            return; // a double click: the first submission is on its way
        }
        let quantity = self.valid_quantity(&form.quantity);
        let email_ok = crate::api::is_plausible_email(form.email.trim());
        form.quantity_error = quantity.as_ref().err().cloned();
        form.email_error = (!email_ok).then(|| String::from(self.strings.email_invalid));
        form.notice = None;
        let quantity = match quantity {
            Ok(quantity) if email_ok => quantity,
            Ok(_) => {
                self.update(|state| state.form = Some(form));
                self.focus_later("#sw-email");
                return;
            }
            Err(_) => {
                self.update(|state| state.form = Some(form));
                self.focus_later("#sw-quantity");
                return;
            }
        };
        form.submitting = true;
        let email = form.email.trim().to_owned();
        let key = form.idempotency_key.clone();
        self.update(|state| state.form = Some(form));
        let widget = self.this();
        self.spawn(async move {
            let result =
                http::create_reservation(&widget.api, &widget.sku, quantity, &email, &key).await;
            let strings = widget.strings;
            match result {
                Ok(answer) => {
                    let reservation = answer.value;
                    let remembered = Remembered {
                        id: reservation.id.clone(),
                        quantity: reservation.quantity,
                    };
                    storage::remember(&widget.api, &widget.sku, &remembered);
                    widget.update(|state| {
                        state.form = None;
                        state.mine = Mine::Placed(reservation);
                    });
                    host::emit(&widget.host, "reserved", &answer.raw);
                    widget.focus_later(".sw-mine");
                    widget.reload();
                }
                Err(FetchError::Status {
                    status: 409,
                    max_quantity,
                    ..
                }) => {
                    // Someone else took the units: show what is left, keep the shopper going.
                    let max = max_quantity.unwrap_or(0);
                    widget.reload();
                    widget.update(|state| {
                        if let Some(form) = state.form.as_mut() {
                            form.submitting = false;
                            form.idempotency_key = host::random_key();
                            form.notice = Some(if max == 0 {
                                String::from(strings.sold_out_now)
                            } else {
                                fill(strings.conflict, "n", &number(max))
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
                    widget.update(|state| {
                        if let Some(form) = state.form.as_mut() {
                            form.submitting = false;
                            form.idempotency_key = host::random_key();
                            if field.as_deref() == Some("email") {
                                form.email_error = Some(String::from(strings.email_invalid));
                            } else {
                                form.quantity_error =
                                    Some(fill(strings.quantity_invalid, "n", &number(quantity)));
                            }
                        }
                    });
                }
                Err(error) => {
                    // Transient: keep the key, so pressing again cannot reserve twice.
                    let message = error_text(strings, &error);
                    host::emit(
                        &widget.host,
                        "error",
                        &host::error_detail(error.code(), message),
                    );
                    widget.update(|state| {
                        if let Some(form) = state.form.as_mut() {
                            form.submitting = false;
                            form.notice = Some(String::from(message));
                        }
                    });
                }
            }
        });
    }

    fn cancel_mine(&self, _: Event) {
        let id = match &self.state.borrow().mine {
            Mine::Checking(remembered) => remembered.id.clone(),
            Mine::Placed(reservation) | Mine::Open(reservation) => reservation.id.clone(),
            Mine::Nothing | Mine::Cancelled => return,
        };
        let widget = self.this();
        self.spawn(async move {
            match http::cancel_reservation(&widget.api, &id).await {
                Ok(_) | Err(FetchError::Status { status: 404, .. }) => {
                    storage::forget(&widget.api, &widget.sku);
                    widget.update(|state| state.mine = Mine::Cancelled);
                    widget.focus_later(".sw-mine");
                    widget.reload();
                }
                Err(error) => {
                    let message = error_text(widget.strings, &error);
                    host::emit(
                        &widget.host,
                        "error",
                        &host::error_detail(error.code(), message),
                    );
                }
            }
        });
    }

    /// Moves focus once the render is on screen.
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

    /// Drops `listeners` once the current event has been handled.
    fn retire(&self, listeners: Vec<Listener>) {
        self.retired.borrow_mut().extend(listeners);
        let me = self.me.clone();
        self.spawn(async move {
            TimeoutFuture::new(0).await;
            if let Some(widget) = me.upgrade() {
                widget.retired.borrow_mut().clear();
            }
        });
    }

    /// Brings the DOM up to date with the state.
    fn render(&self) {
        let state = self.state.borrow();
        let data_state = state.load.data_state();
        host::set_state(&self.host, data_state);
        self.status
            .set_class_name(&(String::from("sw-status sw-") + data_state));
        let line = match &state.load {
            Load::Loading => String::from(self.strings.loading),
            Load::Ready(availability) => {
                status_line(self.lang, self.strings, &quote_of(availability))
            }
            Load::Failed(error) => String::from(error_text(self.strings, error)),
        };
        if self.text.text_content().as_deref() != Some(line.as_str()) {
            self.text.set_text_content(Some(&line));
        }
        let action = match &state.load {
            Load::Failed(_) => Action::Retry,
            Load::Ready(availability)
                if can_reserve(availability)
                    && state.form.is_none()
                    && !matches!(state.mine, Mine::Open(_) | Mine::Checking(_)) =>
            {
                Action::Reserve
            }
            _ => Action::None,
        };
        let first_status = !state.marked && state.load != Load::Loading;
        self.render_action(action);
        self.render_mine(&state.mine);
        self.render_form(&state);
        drop(state);
        if first_status {
            self.state.borrow_mut().marked = true;
            host::mark_ready(&self.sku);
        }
    }

    fn render_action(&self, wanted: Action) {
        let mut action = self.action.borrow_mut();
        if action.0 == wanted {
            return;
        }
        if let Some((button, listener)) = action.1.take() {
            button.remove();
            self.retire(vec![listener]);
        }
        action.0 = wanted;
        let (class, label, handler): (&str, &str, fn(&Widget, Event)) = match wanted {
            Action::None => return,
            Action::Retry => ("sw-button sw-secondary", self.strings.retry, Widget::retry),
            Action::Reserve => ("sw-button", self.strings.reserve, Widget::open_form),
        };
        let button = element(&self.document, "button", class);
        set(&button, "type", "button");
        button.set_text_content(Some(label));
        let listener = self.on(&button, "click", handler);
        append(&self.row, &button);
        action.1 = Some((button, listener));
    }

    fn render_mine(&self, mine: &Mine) {
        let (lang, strings) = (self.lang, self.strings);
        let (text, cancellable) = match mine {
            Mine::Nothing => {
                if let Some(nodes) = self.mine_nodes.borrow_mut().take() {
                    nodes.root.remove();
                }
                return;
            }
            Mine::Cancelled => (String::from(strings.cancelled), false),
            Mine::Checking(remembered) => (
                fill(strings.you_reserved, "n", &number(remembered.quantity)),
                true,
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
                (text, true)
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
                (text, true)
            }
        };
        let mut nodes = self.mine_nodes.borrow_mut();
        let nodes = nodes.get_or_insert_with(|| {
            let root = element(&self.document, "div", "sw-mine");
            set(&root, "tabindex", "-1");
            let text = element(&self.document, "span", "");
            let cancel = element(&self.document, "button", "sw-link");
            set(&cancel, "type", "button");
            cancel.set_text_content(Some(strings.cancel_reservation));
            let listener = self.on(&cancel, "click", Widget::cancel_mine);
            append(&root, &text);
            append(&root, &cancel);
            // Right after the status row, before any form.
            let _ = self.row.after_with_node_1(&root);
            MineNodes {
                root,
                text,
                cancel,
                _listener: listener,
            }
        });
        if nodes.text.text_content().as_deref() != Some(text.as_str()) {
            nodes.text.set_text_content(Some(&text));
        }
        nodes.cancel.set_hidden(!cancellable);
    }

    fn render_form(&self, state: &State) {
        let Some(form) = &state.form else {
            if let Some(nodes) = self.form_nodes.borrow_mut().take() {
                nodes.root.remove();
                self.retire(nodes.listeners);
            }
            return;
        };
        if self.form_nodes.borrow().is_none() {
            let nodes = self.build_form();
            append(&self.container, &nodes.root);
            *self.form_nodes.borrow_mut() = Some(nodes);
        }
        let nodes = self.form_nodes.borrow();
        let Some(nodes) = nodes.as_ref() else { return };
        let max = match &state.load {
            Load::Ready(availability) => availability.max_quantity.map(number),
            _ => None,
        };
        match max {
            Some(max) => set(&nodes.quantity, "max", &max),
            None => {
                let _ = nodes.quantity.remove_attribute("max");
            }
        }
        // Only write a value that differs: writing resets the caret.
        if nodes.quantity.value() != form.quantity {
            nodes.quantity.set_value(&form.quantity);
        }
        if nodes.email.value() != form.email {
            nodes.email.set_value(&form.email);
        }
        let show = |node: &HtmlElement, text: Option<&str>| {
            let text = text.unwrap_or("");
            if node.text_content().as_deref() != Some(text) {
                node.set_text_content(Some(text));
            }
        };
        show(&nodes.quantity_error, form.quantity_error.as_deref());
        show(&nodes.email_error, form.email_error.as_deref());
        show(&nodes.notice, form.notice.as_deref());
        set(
            &nodes.quantity,
            "aria-invalid",
            if form.quantity_error.is_some() {
                "true"
            } else {
                "false"
            },
        );
        set(
            &nodes.email,
            "aria-invalid",
            if form.email_error.is_some() {
                "true"
            } else {
                "false"
            },
        );
        let preview = match (&state.load, form.quantity.trim().parse::<u32>()) {
            (Load::Ready(availability), Ok(quantity)) => availability
                .preview_inventory()
                .and_then(|(inventory, today)| inventory.quote(quantity, today).ok())
                .map(|quote| status_line(self.lang, self.strings, &quote)),
            _ => None,
        };
        show(&nodes.preview, preview.as_deref());
        if form.submitting {
            set(&nodes.submit, "disabled", "");
        } else {
            let _ = nodes.submit.remove_attribute("disabled");
        }
        set(
            &nodes.submit,
            "aria-busy",
            if form.submitting { "true" } else { "false" },
        );
        show(
            &nodes.submit,
            Some(if form.submitting {
                self.strings.reserving
            } else {
                self.strings.submit
            }),
        );
    }

    fn build_form(&self) -> FormNodes {
        let (document, strings) = (&self.document, self.strings);
        let root = element(document, "form", "sw-form");
        set(&root, "novalidate", "");
        let field = |class: &str,
                     id: &str,
                     label_text: &str,
                     input_attributes: &[(&str, &str)],
                     described_by: &str| {
            let wrapper = element(document, "div", class);
            let label = element(document, "label", "");
            set(&label, "for", id);
            label.set_text_content(Some(label_text));
            let input: HtmlInputElement = element(document, "input", "").unchecked_into();
            set(&input, "id", id);
            for (name, value) in input_attributes {
                set(&input, name, value);
            }
            set(&input, "aria-invalid", "false");
            set(&input, "aria-describedby", described_by);
            append(&wrapper, &label);
            append(&wrapper, &input);
            (wrapper, input)
        };
        let (quantity_field, quantity) = field(
            "sw-field",
            "sw-quantity",
            strings.quantity,
            &[
                ("name", "quantity"),
                ("type", "number"),
                ("inputmode", "numeric"),
                ("min", "1"),
            ],
            "sw-quantity-error",
        );
        let quantity_error = element(document, "span", "sw-error");
        set(&quantity_error, "id", "sw-quantity-error");
        append(&quantity_field, &quantity_error);
        let (email_field, email) = field(
            "sw-field sw-wide",
            "sw-email",
            strings.email,
            &[
                ("name", "email"),
                ("type", "email"),
                ("autocomplete", "email"),
                ("spellcheck", "false"),
            ],
            "sw-email-error sw-email-hint",
        );
        let hint = element(document, "span", "sw-hint");
        set(&hint, "id", "sw-email-hint");
        hint.set_text_content(Some(strings.email_hint));
        let email_error = element(document, "span", "sw-error");
        set(&email_error, "id", "sw-email-error");
        append(&email_field, &hint);
        append(&email_field, &email_error);
        let preview = element(document, "p", "sw-preview");
        set(&preview, "aria-live", "polite");
        let notice = element(document, "p", "sw-notice");
        set(&notice, "role", "alert");
        let actions = element(document, "div", "sw-actions");
        let submit = element(document, "button", "sw-button");
        set(&submit, "type", "submit");
        let close = element(document, "button", "sw-link");
        set(&close, "type", "button");
        close.set_text_content(Some(strings.close));
        append(&actions, &submit);
        append(&actions, &close);
        for child in [&quantity_field, &email_field, &preview, &notice, &actions] {
            append(&root, child);
        }
        let listeners = vec![
            self.on(&root, "submit", Widget::submit),
            self.on(&quantity, "input", Widget::typed_quantity),
            self.on(&email, "input", Widget::typed_email),
            self.on(&close, "click", Widget::close_form),
        ];
        FormNodes {
            root,
            quantity,
            quantity_error,
            email,
            email_error,
            preview,
            notice,
            submit,
            listeners,
        }
    }
}
