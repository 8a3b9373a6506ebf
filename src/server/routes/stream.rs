//! `GET /api/v1/availability/stream`: availability as server-sent events.
//!
//! On connect, the current availability of each SKU; afterwards a SKU again
//! only when what a shopper sees of it changed. The feed says which SKUs a
//! committed write touched; each stream re-reads them from the snapshot and
//! compares with what it last sent.

use super::availability::{availability_of, skus_and_quantity};
use crate::api::{Availability, ErrorBody};
use crate::server::AppState;
use crate::server::domain::{Quantity, Sku};
use crate::server::error::ApiError;
use crate::server::feed::{CatchUp, Change, Changed, Position};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, broadcast, mpsc, watch};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

/// How long a client waits before reconnecting a dropped stream (`retry:`).
pub const RECONNECT_AFTER: Duration = Duration::from_secs(2);
/// `Retry-After` when every stream slot is taken.
pub const STREAMS_FULL_RETRY_AFTER_SECONDS: u64 = 10;

/// Live availability of several products.
#[utoipa::path(
    get,
    path = "/api/v1/availability/stream",
    tag = "public",
    params(
        ("skus" = String, Query, description = "Comma-separated SKUs, at most 100"),
        ("quantity" = Option<u32>, Query, description = "1–1000000; default 1"),
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event seen: only SKUs changed since are sent again"),
    ),
    responses(
        (status = 200, description = "`text/event-stream`: events `availability` whose data is an `Availability`, each with an `id`; `retry:` first; `: heartbeat` comments while idle", content_type = "text/event-stream", body = String),
        (status = 422, description = "`invalid_request` (bad SKUs or quantity)", body = ErrorBody),
        (status = 503, description = "`too_many_streams`; `Retry-After` says when to try again", body = ErrorBody),
    )
)]
pub async fn availability_stream(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (skus, quantity) = skus_and_quantity(query.as_deref())?;
    let Ok(permit) = state.streams.clone().try_acquire_owned() else {
        return Err(ApiError::too_many_streams(STREAMS_FULL_RETRY_AFTER_SECONDS));
    };
    let heartbeat = state.stream_heartbeat;
    let feed = state.shop.feed().clone();
    // Subscribe before reading, so no change falls between the two.
    let (changes, position) = feed.subscribe();
    let catch_up = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(Position::parse)
        .map_or(CatchUp::Everything, |since| feed.since(&since));
    let mut watcher = Watcher {
        state,
        skus,
        quantity,
        sent: HashMap::new(),
    };
    let mut first = watcher.check(None).await?;
    if let CatchUp::Skus(changed) = &catch_up {
        // The client has the rest: keep them as sent, send only these.
        first.retain(|(sku, _)| changed.contains(sku));
    }
    let mut initial = vec![Event::default().retry(RECONNECT_AFTER)];
    initial.extend(burst(first, &position));
    let (sender, receiver) = mpsc::channel(16);
    tokio::spawn(watcher.run(initial, changes, sender, permit));
    let events = ReceiverStream::new(receiver).map(Ok::<Event, Infallible>);
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(heartbeat).text("heartbeat"))
        .into_response();
    // Proxies that buffer responses (nginx) would hold events back.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// One open stream: its SKUs and what it last sent of each.
struct Watcher {
    state: AppState,
    skus: Vec<Sku>,
    quantity: Quantity,
    /// The last availability sent per SKU.
    sent: HashMap<String, Availability>,
}

impl Watcher {
    /// Re-reads `only` (or every SKU) and returns an event for each whose
    /// availability differs from what was sent, remembering it as sent.
    async fn check(&mut self, only: Option<Sku>) -> Result<Vec<(String, String)>, ApiError> {
        let skus: Vec<Sku> = match only {
            Some(sku) => vec![sku],
            None => self.skus.clone(),
        };
        let products = self.state.shop.products(skus).await?;
        let mut events = Vec::new();
        for product in products {
            let availability = availability_of(&self.state, &product, self.quantity)?;
            let unchanged = self
                .sent
                .get(product.sku.as_str())
                .is_some_and(|sent| sent.shows_the_same_as(&availability));
            if unchanged {
                continue;
            }
            let data = serde_json::to_string(&availability)
                .map_err(|error| ApiError::internal(format!("encode availability: {error}")))?;
            self.sent.insert(product.sku.to_string(), availability);
            events.push((product.sku.to_string(), data));
        }
        Ok(events)
    }

    /// Sends `initial`, then what each change makes visible, until the client
    /// goes away or the server shuts down. Holds the stream's slot meanwhile.
    async fn run(
        mut self,
        initial: Vec<Event>,
        mut changes: broadcast::Receiver<Change>,
        sender: mpsc::Sender<Event>,
        _slot: OwnedSemaphorePermit,
    ) {
        let mut closing = self.state.shop.feed().closing();
        if !send_all(&sender, initial, &mut closing).await {
            return;
        }
        loop {
            let position = tokio::select! {
                _ = closing.wait_for(|closing| *closing) => return,
                () = sender.closed() => return,
                change = changes.recv() => match change {
                    Ok(change) => {
                        let only = match &change.changed {
                            Changed::Product(changed) => match self.skus.iter().find(|sku| sku.as_str() == changed) {
                                Some(sku) => Some(sku.clone()),
                                None => continue,
                            },
                            Changed::Everything => None,
                        };
                        let position = Position { seq: change.seq, ..self.state.shop.feed().position() };
                        (only, position)
                    }
                    // Fell behind: whatever was missed, the current state says it.
                    Err(broadcast::error::RecvError::Lagged(_)) => (None, self.state.shop.feed().position()),
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            };
            let (only, position) = position;
            let events = match self.check(only).await {
                Ok(events) => events,
                Err(error) => {
                    // The database failed: end the stream; the client reconnects.
                    tracing::warn!("availability stream: {}", error.detail.message);
                    return;
                }
            };
            if !send_all(&sender, burst(events, &position), &mut closing).await {
                return;
            }
        }
    }
}

/// The `availability` events for one change (or the opening state). Only the
/// last carries the position as its `id`: a client cut off in the middle
/// keeps its previous id, so resuming from it sends this change again.
fn burst(changed: Vec<(String, String)>, position: &Position) -> Vec<Event> {
    let count = changed.len();
    changed
        .into_iter()
        .enumerate()
        .map(|(index, (_, data))| {
            let event = Event::default().event("availability").data(data);
            if index + 1 == count {
                event.id(position.to_string())
            } else {
                event
            }
        })
        .collect()
}

/// Sends `events` in order; `false` once the client is gone or the server
/// is shutting down (a client that stops reading cannot hold the shutdown).
async fn send_all(
    sender: &mpsc::Sender<Event>,
    events: Vec<Event>,
    closing: &mut watch::Receiver<bool>,
) -> bool {
    for event in events {
        tokio::select! {
            sent = sender.send(event) => if sent.is_err() { return false; },
            _ = closing.wait_for(|closing| *closing) => return false,
        }
    }
    true
}
