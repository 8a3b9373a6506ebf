//! The controller: [`Widget`], the `Copy` handle every component of one
//! `StockStatus` shares. It runs the requests (availability with its retries,
//! reservations, subscriptions, cancellations), hands each answer to the pure
//! change in `state.rs`, and does what a state cannot: `data-state` and events
//! on the host, the shopper's storage, the live stream, and moving the focus
//! to the element the state names, through node refs ([`FocusRef`]).

use super::form::{Form, Purpose, Submission};
use super::host;
use super::http::{self, Answer};
use super::i18n::{Lang, Strings};
use super::live;
use super::mine::Remembered;
use super::on_demand;
use super::options::resolve_lang;
use super::part::{Intent, Prefetch};
use super::state::{Action, FetchError, Focus, FollowUp, Load, State, Store, error_text};
use super::storage;
use crate::api::{Availability, MAX_REQUEST_QUANTITY};
use gloo::timers::future::TimeoutFuture;
use leptos::html::Div;
use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use leptos::tachys::html::element::ElementType;
use leptos::tachys::html::node_ref::NodeRefContainer;
use leptos::task::spawn_local_scoped_with_cancellation;
use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

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
    /// When to fetch the forms' part before the shopper asks for it.
    prefetch: Prefetch,
    /// Bumped by each new load, so a stale retry loop stops.
    generation: Cell<u32>,
    /// The first status has been shown (and the performance mark set).
    marked: Cell<bool>,
    /// It listens to the page's live streams (from its first answer on).
    listening: Cell<bool>,
    /// The elements focus can move to, by [`Focus`], as last built (one may
    /// since have been removed).
    focusable: RefCell<[Option<HtmlElement>; 5]>,
    /// Where the focus goes once that element is on screen.
    focus: Cell<Option<Focus>>,
    /// The form the on-demand part built, until the view shows it.
    form_view: RefCell<Option<AnyView>>,
}

/// One widget's state and actions; `Copy`, so every closure gets its own.
#[derive(Clone, Copy)]
pub struct Widget {
    pub lang: Lang,
    pub strings: &'static Strings,
    /// This widget's number on the page: its id in the live streams, and
    /// the prefix that keeps its element ids apart from other widgets'.
    pub number: u32,
    quantity: u32,
    config: StoredValue<Config, LocalStorage>,
    /// Everything shown, in one signal (one copy of the reactive code in the
    /// wasm); memos keep the parts from rebuilding when another part changes.
    pub state: RwSignal<State>,
    pub root: NodeRef<Div>,
}

/// A node ref for an element focus can move to: `node_ref=widget.focus_ref(…)`.
/// One type for every kind of element and no signal (each Leptos `NodeRef<E>`
/// is another copy of a signal's code in the wasm): it records the element
/// as it is built and, if the state is waiting for it, focuses it.
#[derive(Clone, Copy)]
pub struct FocusRef {
    widget: Widget,
    target: Focus,
}

impl<E: ElementType> NodeRefContainer<E> for FocusRef {
    fn load(self, element: &web_sys::Element) {
        self.widget
            .built(self.target, element.unchecked_ref::<HtmlElement>().clone());
    }
}

/// An answer's value, for the state, and its raw object, for the page's event.
fn split<T>(result: Result<Answer<T>, FetchError>) -> (Result<T, FetchError>, Option<JsValue>) {
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

    pub fn focus_ref(self, target: Focus) -> FocusRef {
        FocusRef {
            widget: self,
            target,
        }
    }

    /// `target`'s element was just built: if the focus is waiting for it,
    /// it takes it once it is on screen (after this render).
    fn built(self, target: Focus, element: HtmlElement) {
        let waiting = self.config.with_value(|config| {
            config.focusable.borrow_mut()[target as usize] = Some(element);
            config.focus.get() == Some(target)
        });
        if waiting {
            self.spawn(async move { self.move_focus() });
        }
    }

    /// Moves the focus to `target` once its element is on screen.
    fn focus(self, target: Option<Focus>) {
        if target.is_some() {
            self.config.with_value(|config| config.focus.set(target));
            self.move_focus();
        }
    }

    /// Moves the focus where it is waiting to go if that element is on
    /// screen; one still to be built takes it when it is (`built`). An
    /// element the state does not show any more is not waited for.
    fn move_focus(self) {
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
    fn change<T>(self, change: impl FnOnce(&mut State) -> T) -> Option<T> {
        self.state.try_write().map(|mut state| change(&mut state))
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
        let lang = self.lang;
        let offers_form = self.change(|state| {
            state.show(load, lang);
            matches!(state.action(), Action::Reserve | Action::Notify)
        });
        // A form the shopper may open: its part comes while the page is idle.
        let on_idle = self
            .config
            .with_value(|config| config.prefetch == Prefetch::Idle);
        if offers_form == Some(true) && on_idle && !on_demand::is_loaded() {
            self.spawn(async move {
                host::idle().await;
                self.prefetch_part();
            });
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
    fn listen(self) {
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
    fn live_update(self, answer: http::Answer<Availability>) {
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
    }

    /// What an answer's change asks for besides the state: storage, the
    /// page's error event, a fresh availability.
    fn follow(self, follow_up: FollowUp) {
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
    fn check_remembered(self, remembered: Remembered) {
        self.spawn(async move {
            let answer = http::get_reservation(&self.api(), &remembered.id).await;
            let (answer, _) = split(answer);
            if let Some(follow_up) = self.change(|state| state.checked(answer)) {
                self.follow(follow_up);
            }
        });
    }

    /// "Reserve" / "Email me when it's back": opens the form once the
    /// on-demand part is here (at once when it already is).
    pub fn open_form(self, purpose: Purpose) {
        self.when_part_is_here(Intent::Open(purpose));
    }

    /// "Cancel reservation", carried out by the on-demand part.
    pub fn cancel_mine(self) {
        self.when_part_is_here(Intent::Cancel);
    }

    /// "Try again" after the on-demand part could not be fetched.
    pub fn retry_part(self) {
        if let Some(intent) = self
            .state
            .with_untracked(|state| state.part.failed_intent())
        {
            self.when_part_is_here(intent);
        }
    }

    /// The shopper may soon need the on-demand part: fetch it now, quietly
    /// (a failure shows only if they then ask for it).
    pub fn prefetch_part(self) {
        if !on_demand::is_loaded() {
            self.spawn(async {
                let _ = on_demand::load().await;
            });
        }
    }

    /// Carries out `intent` now if the on-demand part is here; else the
    /// button says it is busy until it arrives, or the widget says it failed.
    fn when_part_is_here(self, intent: Intent) {
        if on_demand::is_loaded() {
            return self.carry_out(intent);
        }
        if self.change(|state| state.part.ask(intent)) != Some(true) {
            return;
        }
        self.spawn(async move {
            let loaded = on_demand::load().await.is_ok();
            if let Some(intent) = self.change(|state| state.part.arrived(loaded)).flatten() {
                self.carry_out(intent);
            }
        });
    }

    fn carry_out(self, intent: Intent) {
        match intent {
            // The part is here: these cannot fail, and answer within the
            // task (no network), so the form is on screen in the next frame.
            Intent::Open(purpose) => self.spawn(async move {
                let opening = on_demand::Opening {
                    widget: self,
                    purpose,
                };
                let Ok(form) = on_demand::form_view(opening).await else {
                    return;
                };
                self.config
                    .with_value(|config| config.form_view.replace(Some(form)));
                let quantity = self.quantity;
                let first =
                    self.change(|state| state.open_form(purpose, quantity, host::random_key));
                self.focus(first);
            }),
            Intent::Cancel => self.spawn(async move {
                let _ = on_demand::cancel(self).await;
            }),
        }
    }

    /// The form the on-demand part built for the form just opened (taken
    /// once: the view shows it until the form closes).
    pub fn take_form_view(self) -> Option<AnyView> {
        self.config
            .try_with_value(|config| config.form_view.take())
            .flatten()
    }

    pub fn close_form(self) {
        let opener = self.change(State::close_form);
        self.focus(opener);
    }

    pub fn edit_form(self, change: impl FnOnce(&mut Form)) {
        self.state.update(|state| {
            if let Some(form) = &mut state.form {
                change(form);
            }
        });
    }

    pub fn submit(self) {
        let strings = self.strings;
        let (purpose, submission) = match self.change(|state| state.submit(strings)).flatten() {
            Some(Ok(sending)) => sending,
            Some(Err(field)) => return self.focus(Some(field.into())),
            None => return,
        };
        match purpose {
            Purpose::Reserve => self.reserve(submission),
            Purpose::Notify => self.subscribe(submission.email),
        }
    }

    fn reserve(self, submission: Submission) {
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
            let (answer, raw) = split(result);
            let Some(follow_up) =
                self.change(|state| state.reserved(answer, asked, strings, host::random_key))
            else {
                return;
            };
            if let Some(raw) = raw {
                self.emit("reserved", &raw);
            }
            self.follow(follow_up);
        });
    }

    /// "Email me when it's back": the merchant's mailer writes when it is.
    fn subscribe(self, email: String) {
        let strings = self.strings;
        self.spawn(async move {
            let (api, sku) = (self.api(), self.sku());
            let result = http::subscribe(&api, &sku, &email, self.lang.code()).await;
            let (answer, raw) = split(result);
            let answer = answer.map(drop);
            let Some(follow_up) = self.change(|state| state.subscribed(answer, strings)) else {
                return;
            };
            if let Some(raw) = raw {
                self.emit("subscribed", &raw);
            }
            self.follow(follow_up);
        });
    }

    /// Cancels the shopper's reservation (from the on-demand part).
    pub fn cancel_now(self) {
        let Some(id) = self
            .state
            .with_untracked(|state| state.mine.reference().map(str::to_owned))
        else {
            return;
        };
        self.spawn(async move {
            let answer = http::cancel_reservation(&self.api(), &id).await;
            let answer = answer.map(drop);
            if let Some(follow_up) = self.change(|state| state.cancelled(answer)) {
                self.follow(follow_up);
            }
        });
    }
}
