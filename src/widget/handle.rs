//! [`Widget`]: the `Copy` handle every component of one `StockStatus`
//! shares — its fixed `Config`, its one `RwSignal<State>` — and
//! [`FocusRef`]. Only the data: what a widget does is in `controller.rs`
//! (requests, effects, focus) and `actions.rs` (the shopper's actions and
//! the on-demand part), both `impl Widget`.

use super::i18n::{Lang, Strings};
use super::part::Prefetch;
use super::state::{Focus, State};
use leptos::html::Div;
use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use leptos::tachys::html::element::ElementType;
use leptos::tachys::html::node_ref::NodeRefContainer;
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// What a widget is for; fixed while it lives.
pub(super) struct Config {
    pub(super) api: String,
    pub(super) sku: String,
    /// Gets `data-state` and the events: the `<stock-status>` element, or
    /// `None` to use the widget's own root (a widget inside a Leptos app).
    pub(super) host: Option<HtmlElement>,
    /// The owner the widget was created under: tasks started by a click live
    /// as long as the widget, not as long as the button that started them.
    /// Weak, so dropping the widget still cancels them.
    pub(super) owner: Option<WeakOwner>,
    /// Write the schema.org `Offer` JSON-LD beside the widget.
    pub(super) structured_data: bool,
    /// When to fetch the forms' part before the shopper asks for it.
    pub(super) prefetch: Prefetch,
    /// Bumped by each new load, so a stale retry loop stops.
    pub(super) generation: Cell<u32>,
    /// The first status has been shown (and the performance mark set).
    pub(super) marked: Cell<bool>,
    /// It listens to the page's live streams (from its first answer on).
    pub(super) listening: Cell<bool>,
    /// The elements focus can move to, by [`Focus`], as last built (one may
    /// since have been removed).
    pub(super) focusable: RefCell<[Option<HtmlElement>; 5]>,
    /// Where the focus goes once that element is on screen.
    pub(super) focus: Cell<Option<Focus>>,
    /// The form the on-demand part built, until the view shows it.
    pub(super) form_view: RefCell<Option<AnyView>>,
}

/// One widget's state and actions; `Copy`, so every closure gets its own.
#[derive(Clone, Copy)]
pub struct Widget {
    pub lang: Lang,
    pub strings: &'static Strings,
    /// This widget's number on the page: its id in the live streams, and
    /// the prefix that keeps its element ids apart from other widgets'.
    pub number: u32,
    pub(super) quantity: u32,
    pub(super) config: StoredValue<Config, LocalStorage>,
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
    pub(super) widget: Widget,
    pub(super) target: Focus,
}

impl<E: ElementType> NodeRefContainer<E> for FocusRef {
    fn load(self, element: &web_sys::Element) {
        self.widget
            .built(self.target, element.unchecked_ref::<HtmlElement>().clone());
    }
}
