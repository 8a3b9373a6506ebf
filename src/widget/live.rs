//! Live updates: the widgets of a page that share an API and a quantity share
//! one `EventSource` on `GET /api/v1/availability/stream?skus=…` (as they
//! share one batch request), and each hears the events for its SKU.
//!
//! The server sends every SKU's state when a stream opens, then only changes.
//! A hidden page closes its streams and reopens them when shown again (the
//! opening state is the catch-up). Where streams are unavailable (a proxy, an
//! old backend, `503`), the page re-fetches the batch on a backing-off
//! interval instead and tries the stream again each time — never in a tight
//! loop, and without showing an error: the status already shown stays.

use super::http::{self, Answer};
use crate::api::Availability;
use gloo::timers::callback::Timeout;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{EventSource, MessageEvent};

/// The stream endpoint's limit per connection.
const MAX_SKUS: usize = 100;
/// Waits between re-fetches while streams are unavailable: doubling, capped.
const FALLBACK_FIRST_MS: u32 = 5_000;
const FALLBACK_MAX_MS: u32 = 60_000;

/// What a widget does with a new availability (parsed, and the raw object
/// for its event's detail).
pub type OnChange = Rc<dyn Fn(Answer<Availability>)>;

struct Listener {
    id: u32,
    sku: String,
    on_change: OnChange,
}

/// One open `EventSource`; closed when dropped.
struct Source {
    source: EventSource,
    _on_event: Closure<dyn FnMut(MessageEvent)>,
    _on_open_or_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Source {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// The streams of one API and quantity, and the widgets listening to them.
struct Feed {
    api: String,
    quantity: u32,
    listeners: Vec<Listener>,
    sources: Vec<Source>,
    /// Streams failed this many times in a row (the fallback's backoff).
    failures: u32,
    /// The next fallback re-fetch, while streams are unavailable.
    fallback: Option<Timeout>,
    /// A reopen is already scheduled for when the current task ends.
    reopening: bool,
    /// The last availability heard per SKU, for widgets that join later
    /// (their own answer may be older than what the stream already said).
    last: Vec<Answer<Availability>>,
}

impl Feed {
    /// The SKUs its widgets show, each once, in the order they joined.
    fn skus(&self) -> Vec<&str> {
        let mut skus: Vec<&str> = Vec::new();
        for listener in &self.listeners {
            if !skus.contains(&listener.sku.as_str()) {
                skus.push(&listener.sku);
            }
        }
        skus
    }
}

thread_local! {
    // A page has a handful of feeds at most: a Vec is smaller than a HashMap in the wasm.
    static FEEDS: RefCell<Vec<Feed>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
    static WATCHING_VISIBILITY: Cell<bool> = const { Cell::new(false) };
}

/// A number for a widget to subscribe and unsubscribe with.
pub fn new_listener_id() -> u32 {
    NEXT_ID.with(|next| {
        next.set(next.get() + 1);
        next.get()
    })
}

/// `on_change` hears every new availability of `sku` (at once the last one
/// the page's stream said, if any).
pub fn subscribe(id: u32, api: &str, sku: &str, quantity: u32, on_change: OnChange) {
    watch_visibility();
    let mut heard_before = None;
    let reopen = FEEDS.with(|feeds| {
        let mut feeds = feeds.borrow_mut();
        let index = match feeds
            .iter()
            .position(|feed| feed.api == api && feed.quantity == quantity)
        {
            Some(index) => index,
            None => {
                feeds.push(Feed {
                    api: api.to_owned(),
                    quantity,
                    listeners: Vec::new(),
                    sources: Vec::new(),
                    failures: 0,
                    fallback: None,
                    reopening: false,
                    last: Vec::new(),
                });
                feeds.len() - 1
            }
        };
        let feed = &mut feeds[index];
        let heard = feed.listeners.iter().any(|listener| listener.sku == sku);
        heard_before = feed
            .last
            .iter()
            .find(|answer| answer.value.sku == sku)
            .map(|answer| (answer.clone(), on_change.clone()));
        feed.listeners.push(Listener {
            id,
            sku: sku.to_owned(),
            on_change,
        });
        // A new SKU needs streams that include it (unless waiting on the fallback).
        !heard && feed.fallback.is_none()
    });
    // Outside the borrow: the widget may react by subscribing or leaving.
    if let Some((answer, on_change)) = heard_before {
        on_change(answer);
    }
    if reopen {
        schedule_reopen(api, quantity);
    }
}

/// The widget `id` is gone. The last one of a feed closes its streams.
pub fn unsubscribe(id: u32) {
    let reopen = FEEDS.with(|feeds| {
        let mut feeds = feeds.borrow_mut();
        let index = feeds
            .iter()
            .position(|feed| feed.listeners.iter().any(|listener| listener.id == id))?;
        let feed = &mut feeds[index];
        let at = feed.listeners.iter().position(|l| l.id == id)?;
        let gone = feed.listeners.remove(at);
        if feed.listeners.is_empty() {
            // Dropping the feed closes its streams and cancels its timer.
            feeds.remove(index);
            return None;
        }
        let still_heard = feed.listeners.iter().any(|l| l.sku == gone.sku);
        (!still_heard && feed.fallback.is_none()).then(|| (feed.api.clone(), feed.quantity))
    });
    if let Some((api, quantity)) = reopen {
        schedule_reopen(&api, quantity);
    }
}

/// Runs `work` on the feed of `api` and `quantity`, if it still exists
/// (`dyn`: one copy in the wasm for every caller).
fn with_feed(api: &str, quantity: u32, work: &mut dyn FnMut(&mut Feed)) -> bool {
    FEEDS.with(|feeds| {
        let mut feeds = feeds.borrow_mut();
        let feed = feeds
            .iter_mut()
            .find(|feed| feed.api == api && feed.quantity == quantity);
        feed.map(work).is_some()
    })
}

/// Widgets subscribing in the same task share the streams opened after it.
fn schedule_reopen(api: &str, quantity: u32) {
    let mut first = false;
    with_feed(api, quantity, &mut |feed| {
        first = !std::mem::replace(&mut feed.reopening, true);
    });
    if !first {
        return;
    }
    let api = api.to_owned();
    Timeout::new(0, move || {
        with_feed(&api, quantity, &mut |feed| feed.reopening = false);
        open(&api, quantity);
    })
    .forget();
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn page_hidden() -> bool {
    document().is_some_and(|document| document.hidden())
}

/// (Re)opens the streams of a feed for the SKUs its widgets show.
fn open(api: &str, quantity: u32) {
    let hidden = page_hidden();
    with_feed(api, quantity, &mut |feed| {
        feed.sources.clear();
        if hidden {
            return; // opened when the page is shown again
        }
        let skus = feed.skus();
        let mut sources = Vec::new();
        for chunk in skus.chunks(MAX_SKUS) {
            let url = http::list_url(api, "/api/v1/availability/stream", chunk, quantity);
            match connect(api, quantity, &url) {
                Some(source) => sources.push(source),
                None => return, // this browser has no EventSource: the status stays as loaded
            }
        }
        feed.sources = sources;
    });
}

fn connect(api: &str, quantity: u32, url: &str) -> Option<Source> {
    let source = EventSource::new(url).ok()?;
    let event_api = api.to_owned();
    let on_event = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(data) = event.data().as_string() {
            deliver(&event_api, quantity, &data);
        }
    });
    let api = api.to_owned();
    let watched = source.clone();
    let on_open_or_error =
        Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            if event.type_() == "open" {
                with_feed(&api, quantity, &mut |feed| feed.failures = 0);
            } else if watched.ready_state() == EventSource::CLOSED {
                // CONNECTING: the browser reconnects by itself (a dropped connection).
                // CLOSED: it gave up (an HTTP error, no stream here): fall back.
                streams_failed(&api, quantity);
            }
        });
    let _ =
        source.add_event_listener_with_callback("availability", on_event.as_ref().unchecked_ref());
    source.set_onerror(Some(on_open_or_error.as_ref().unchecked_ref()));
    source.set_onopen(Some(on_open_or_error.as_ref().unchecked_ref()));
    Some(Source {
        source,
        _on_event: on_event,
        _on_open_or_error: on_open_or_error,
    })
}

/// An `availability` event of the stream for `api` and `quantity`: every
/// widget of that feed showing that SKU hears it.
fn deliver(api: &str, quantity: u32, data: &str) {
    let Ok(raw) = js_sys::JSON::parse(data) else {
        return;
    };
    let Ok(answer) = http::parse::<Availability>(raw) else {
        return;
    };
    tell(api, quantity, &answer);
}

/// Calls the feed's listeners of `answer`'s SKU (an answer is for one
/// quantity: never another feed's), outside the borrow, each only if it is
/// still subscribed when its turn comes (an earlier one's page handler may
/// have removed it).
fn tell(api: &str, quantity: u32, answer: &Answer<Availability>) {
    let mut listeners: Vec<(u32, OnChange)> = Vec::new();
    with_feed(api, quantity, &mut |feed| {
        feed.last.retain(|last| last.value.sku != answer.value.sku);
        feed.last.push(answer.clone());
        listeners = feed
            .listeners
            .iter()
            .filter(|listener| listener.sku == answer.value.sku)
            .map(|listener| (listener.id, listener.on_change.clone()))
            .collect();
    });
    for (id, on_change) in listeners {
        let still_here = FEEDS.with(|feeds| {
            feeds
                .borrow()
                .iter()
                .any(|feed| feed.listeners.iter().any(|listener| listener.id == id))
        });
        if still_here {
            on_change(answer.clone());
        }
    }
}

/// No stream here: close them, re-fetch after a backing-off wait, try again.
fn streams_failed(api: &str, quantity: u32) {
    let mut delay = None;
    with_feed(api, quantity, &mut |feed| {
        feed.sources.clear();
        feed.failures += 1;
        let doubled = FALLBACK_FIRST_MS << (feed.failures - 1).min(4);
        // ±20 %, so a page's feeds (and many pages) do not retry in step.
        let jitter = 0.8 + 0.4 * js_sys::Math::random();
        delay = Some((f64::from(doubled.min(FALLBACK_MAX_MS)) * jitter) as u32);
    });
    let Some(delay) = delay else { return };
    let api_owned = api.to_owned();
    let timer = Timeout::new(delay, move || {
        wasm_bindgen_futures::spawn_local(refetch_then_reopen(api_owned, quantity));
    });
    let mut timer = Some(timer);
    with_feed(api, quantity, &mut |feed| feed.fallback = timer.take());
}

async fn refetch_then_reopen(api: String, quantity: u32) {
    let mut skus: Vec<String> = Vec::new();
    let exists = with_feed(&api, quantity, &mut |feed| {
        feed.fallback = None;
        skus = feed.skus().into_iter().map(str::to_owned).collect();
    });
    if !exists {
        return; // every widget is gone
    }
    for chunk in skus.chunks(MAX_SKUS) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        // A failed re-fetch changes nothing shown; the next try backs off further.
        if let Ok(answers) = http::fetch_availability_list(&api, &chunk, quantity).await {
            for answer in &answers {
                tell(&api, quantity, answer);
            }
        }
    }
    open(&api, quantity);
}

/// Hidden pages close their streams; shown again, they reopen them, and the
/// state each stream opens with is the catch-up.
fn watch_visibility() {
    if WATCHING_VISIBILITY.with(|watching| watching.replace(true)) {
        return;
    }
    let on_change = Closure::<dyn FnMut()>::new(|| {
        let hidden = page_hidden();
        let keys: Vec<(String, u32)> = FEEDS.with(|feeds| {
            feeds
                .borrow_mut()
                .iter_mut()
                .filter(|feed| feed.fallback.is_none())
                .map(|feed| {
                    if hidden {
                        feed.sources.clear();
                    }
                    (feed.api.clone(), feed.quantity)
                })
                .collect()
        });
        if !hidden {
            for (api, quantity) in keys {
                open(&api, quantity);
            }
        }
    });
    if let Some(document) = document() {
        let _ = document.add_event_listener_with_callback(
            "visibilitychange",
            on_change.as_ref().unchecked_ref(),
        );
    }
    // One listener for the page's lifetime.
    on_change.forget();
}
