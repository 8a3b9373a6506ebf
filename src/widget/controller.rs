//! The controller: what a [`Widget`] does by itself. It runs the
//! availability requests (batched, retried with backoff), hands each answer
//! to the pure change in `state.rs`, and does what a state cannot:
//! `data-state` and events on the host, the shopper's storage, the live
//! stream, and moving the focus to the element the state names, through node
//! refs ([`FocusRef`]). The shopper's actions are in `actions.rs`.

use super::handle::{Config, FocusRef, Widget};
use super::host;
use super::http::{self, Answer};
use super::live;
use super::mine::{Mine, Remembered};
use super::options::resolve_lang;
use super::part::Prefetch;
use super::state::{Action, FetchError, Focus, FollowUp, Load, State, Store, error_text};
use super::storage;
use crate::api::{Availability, MAX_REQUEST_QUANTITY};
use gloo::timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local_scoped_with_cancellation;
use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::HtmlElement;

/// An answer's value, for the state, and its raw object, for the page's event.
pub(super) fn split<T>(
    result: Result<Answer<T>, FetchError>,
) -> (Result<T, FetchError>, Option<JsValue>) {
    match result {
        Ok(Answer { value, raw }) => (Ok(value), Some(raw)),
        Err(error) => (Err(error), None),
    }
}

impl Widget {
    /// A widget for `sku` (the props of `StockStatus`), already asking for
    /// its availability and for the reservation remembered from a last visit.
    pub fn new(
        sku: String,
        api: Option<String>,
        quantity: Option<u32>,
        lang: Option<String>,
        host: Option<HtmlElement>,
        structured_data: bool,
        prefetch: Prefetch,
    ) -> Widget {
        let lang = resolve_lang(lang.as_deref());
        let api = String::from(api.as_deref().unwrap_or("").trim_end_matches('/'));
        let remembered = storage::recall(&api, &sku);
        let number = live::new_listener_id();
        // Leaving the page's live streams: the last widget of a stream closes it.
        on_cleanup(move || live::unsubscribe(number));
        let widget = Widget {
            lang,
            strings: lang.strings(),
            number,
            quantity: quantity.unwrap_or(1).clamp(1, MAX_REQUEST_QUANTITY),
            config: StoredValue::new_local(Config {
                api,
                sku,
                host,
                structured_data,
                prefetch,
                owner: Owner::current().map(|owner| owner.downgrade()),
                generation: Cell::new(0),
                marked: Cell::new(false),
                listening: Cell::new(false),
                focusable: RefCell::default(),
                focus: Cell::new(None),
                form_view: RefCell::new(None),
            }),
            state: RwSignal::new(State::new(remembered.clone())),
            root: NodeRef::new(),
        };
        widget.reload();
        if let Some(remembered) = remembered {
            widget.check_remembered(remembered);
        }
        widget
    }

    pub(super) fn api(self) -> String {
        self.config.with_value(|config| config.api.clone())
    }

    pub(super) fn sku(self) -> String {
        self.config.with_value(|config| config.sku.clone())
    }

    /// Where `data-state` and the events go.
    pub(super) fn target(self) -> Option<HtmlElement> {
        self.config
            .try_with_value(|config| config.host.clone())
            .flatten()
            .or_else(|| self.root.get_untracked().map(HtmlElement::from))
    }

    pub(super) fn emit(self, name: &str, detail: &JsValue) {
        if let Some(target) = self.target() {
            host::emit(&target, name, detail);
        }
    }

    pub(super) fn emit_error(self, error: &FetchError) {
        let message = error_text(self.strings, error);
        self.emit("error", &host::error_detail(error.code(), message));
    }

    /// Runs `task` until it ends or the widget is dropped (which clears its
    /// timers and aborts its requests).
    pub(super) fn spawn(self, task: impl Future<Output = ()> + 'static) {
        self.spawn_boxed(Box::pin(task));
    }

    /// One copy of the spawning machinery for every kind of task (smaller wasm).
    pub(super) fn spawn_boxed(self, task: Pin<Box<dyn Future<Output = ()>>>) {
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

    pub fn focus_ref(self, target: Focus) -> FocusRef {
        FocusRef {
            widget: self,
            target,
        }
    }

    /// `target`'s element was just built: if the focus is waiting for it,
    /// it takes it once it is on screen (after this render).
    pub(super) fn built(self, target: Focus, element: HtmlElement) {
        let waiting = self.config.with_value(|config| {
            config.focusable.borrow_mut()[target as usize] = Some(element);
            config.focus.get() == Some(target)
        });
        if waiting {
            self.spawn(async move { self.move_focus() });
        }
    }

    /// Moves the focus to `target` once its element is on screen.
    pub(super) fn focus(self, target: Option<Focus>) {
        if target.is_some() {
            self.config.with_value(|config| config.focus.set(target));
            self.move_focus();
        }
    }

    /// Moves the focus where it is waiting to go if that element is on
    /// screen; one still to be built takes it when it is (`built`). An
    /// element the state does not show any more is not waited for.
    pub(super) fn move_focus(self) {
        let Some((Some(target), element)) = self.config.try_with_value(|config| {
            let target = config.focus.get();
            (
                target,
                target.and_then(|target| config.focusable.borrow()[target as usize].clone()),
            )
        }) else {
            return;
        };
        if self.state.with_untracked(|state| state.shows(target)) {
            // Not built yet, or removed since (a new one is on its way).
            let Some(element) = element.filter(|element| element.is_connected()) else {
                return;
            };
            let _ = element.focus();
        }
        self.config.with_value(|config| config.focus.set(None));
    }

    /// Changes the state (through a write guard, which notifies when dropped:
    /// one copy of that code for every change).
    pub(super) fn change<T>(self, change: impl FnOnce(&mut State) -> T) -> Option<T> {
        self.state.try_write().map(|mut state| change(&mut state))
    }

    /// A new answer (or failure): the view follows the signal; the host's
    /// `data-state` is set at once, so event listeners already see it.
    pub(super) fn set_load(self, load: Load) {
        let state = load.data_state();
        if let Some(target) = self.target() {
            host::set_state(&target, state);
            if let Load::Ready(availability) = &load
                && self.config.with_value(|config| config.structured_data)
            {
                host::write_offer(&target, availability);
            }
        }
        let lang = self.lang;
        let offers_form = self.change(|state| {
            state.show(load, lang);
            matches!(state.action(), Action::Reserve | Action::Notify)
        });
        // A form the shopper may open: its part comes while the page is idle.
        let on_idle = self
            .config
            .with_value(|config| config.prefetch == Prefetch::Idle);
        if offers_form == Some(true) && on_idle {
            self.prefetch_part_when_idle();
        }
        if !self.config.with_value(|config| config.marked.replace(true)) {
            host::mark_ready(&self.sku());
        }
    }

    /// Fetches availability, retrying transient failures with backoff.
    pub fn reload(self) {
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
                let error = match result {
                    Ok(answer) => {
                        self.set_load(Load::Ready(answer.value));
                        self.emit("change", &answer.raw);
                        self.listen();
                        return;
                    }
                    Err(error) => error,
                };
                self.emit_error(&error);
                let delay = super::state::retry_delay(&error, attempt);
                if !self
                    .state
                    .with_untracked(|state| state.load.keeps_through(&error))
                {
                    self.set_load(Load::Failed(error));
                }
                let Some(delay) = delay else {
                    return;
                };
                TimeoutFuture::new(delay).await;
                attempt += 1;
            }
        });
    }

    /// From its first answer on, the widget follows the page's live stream.
    pub(super) fn listen(self) {
        let Some((api, sku)) = self
            .config
            .try_with_value(|config| {
                (!config.listening.replace(true)).then(|| (config.api.clone(), config.sku.clone()))
            })
            .flatten()
        else {
            return;
        };
        let on_change = Rc::new(move |answer: http::Answer<Availability>| self.live_update(answer));
        live::subscribe(self.number, &api, &sku, self.quantity, on_change);
    }

    /// A new availability from the stream: shown in place, told to the page
    /// (a stream's opening state, equal to what is shown, changes nothing).
    pub(super) fn live_update(self, answer: http::Answer<Availability>) {
        // A page's handler of an earlier widget's event may have removed this one.
        let Some(unchanged) = self
            .state
            .try_with_untracked(|state| state.load.already_shows(&answer.value))
        else {
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
        self.recheck_mine();
    }

    /// After a live change, the shopper's open reservation may ship later:
    /// look it up again (the panel says so if it moved).
    fn recheck_mine(self) {
        let id = self.state.with_untracked(|state| match &state.mine {
            Mine::Open(reservation) | Mine::Placed(reservation) => Some(reservation.id.clone()),
            _ => None,
        });
        if let Some(id) = id {
            self.look_up_mine(id);
        }
    }

    /// What an answer's change asks for besides the state: storage, the
    /// page's error event, a fresh availability.
    pub(super) fn follow(self, follow_up: FollowUp) {
        let FollowUp {
            focus,
            reload,
            report,
            store,
        } = follow_up;
        match store {
            Some(Store::Remember(remembered)) => {
                storage::remember(&self.api(), &self.sku(), &remembered)
            }
            Some(Store::Forget) => storage::forget(&self.api(), &self.sku()),
            None => {}
        }
        if let Some(error) = report {
            self.emit_error(&error);
        }
        self.focus(focus);
        if reload {
            self.reload();
        }
    }

    /// Looks up a reservation remembered from an earlier visit.
    pub(super) fn check_remembered(self, remembered: Remembered) {
        self.look_up_mine(remembered.id);
    }

    /// Fetches the shopper's reservation `id` and shows what it says now.
    fn look_up_mine(self, id: String) {
        self.spawn(async move {
            let (answer, _) = split(http::get_reservation(&self.api(), &id).await);
            if let Some(follow_up) = self.change(|state| state.checked(answer)) {
                self.follow(follow_up);
            }
        });
    }
}
