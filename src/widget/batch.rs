//! One request for all the widgets of a page: widgets that ask for
//! availability in the same task are answered by one
//! `GET /api/v1/availability?skus=…&quantity=Q` per API and quantity. A lone
//! widget, and any backend without the batch endpoint, get the single endpoint.

use super::http::{self, Answer, FetchError};
use crate::api::Availability;
use futures::channel::oneshot;
use gloo::timers::future::TimeoutFuture;
use std::cell::RefCell;

/// The batch endpoint's limit.
const MAX_SKUS: usize = 100;

type Reply = oneshot::Sender<Result<Answer<Availability>, FetchError>>;

/// The widgets waiting for one request: same API, same quantity.
struct Batch {
    api: String,
    quantity: u32,
    waiting: Vec<(String, Reply)>,
}

thread_local! {
    // A page has a handful of batches at most: a Vec is smaller than a HashMap in the wasm.
    static PENDING: RefCell<Vec<Batch>> = const { RefCell::new(Vec::new()) };
}

/// Availability for one widget, batched with the others asking now.
pub async fn fetch_availability(
    api: &str,
    sku: &str,
    quantity: u32,
) -> Result<Answer<Availability>, FetchError> {
    let (reply, answer) = oneshot::channel();
    let first = PENDING.with(|pending| {
        let mut pending = pending.borrow_mut();
        match pending
            .iter_mut()
            .find(|batch| batch.api == api && batch.quantity == quantity)
        {
            Some(batch) => {
                batch.waiting.push((sku.to_owned(), reply));
                false
            }
            None => {
                pending.push(Batch {
                    api: api.to_owned(),
                    quantity,
                    waiting: vec![(sku.to_owned(), reply)],
                });
                true
            }
        }
    });
    if first {
        wasm_bindgen_futures::spawn_local(flush(api.to_owned(), quantity));
    }
    answer.await.unwrap_or(Err(FetchError::Unreachable))
}

async fn flush(api: String, quantity: u32) {
    // Let every widget mounted in this task join the batch.
    TimeoutFuture::new(0).await;
    let waiting = PENDING.with(|pending| {
        let mut pending = pending.borrow_mut();
        let index = pending
            .iter()
            .position(|batch| batch.api == api && batch.quantity == quantity);
        index
            .map(|index| pending.swap_remove(index).waiting)
            .unwrap_or_default()
    });
    if waiting.len() == 1 {
        for (sku, reply) in waiting {
            let _ = reply.send(http::fetch_availability(&api, &sku, quantity).await);
        }
        return;
    }
    let mut waiting = waiting;
    while !waiting.is_empty() {
        let rest = waiting.split_off(waiting.len().min(chunk_end(&waiting)));
        answer_chunk(&api, quantity, waiting).await;
        waiting = rest;
    }
}

/// How many waiters fit in one request (at most `MAX_SKUS` distinct SKUs).
fn chunk_end(waiting: &[(String, Reply)]) -> usize {
    let mut distinct: Vec<&str> = Vec::new();
    for (index, (sku, _)) in waiting.iter().enumerate() {
        if !distinct.contains(&sku.as_str()) {
            if distinct.len() == MAX_SKUS {
                return index;
            }
            distinct.push(sku);
        }
    }
    waiting.len()
}

async fn answer_chunk(api: &str, quantity: u32, waiting: Vec<(String, Reply)>) {
    let mut skus: Vec<&str> = Vec::new();
    for (sku, _) in &waiting {
        if !skus.contains(&sku.as_str()) {
            skus.push(sku);
        }
    }
    match http::fetch_availability_list(api, &skus, quantity).await {
        Ok(items) => {
            for (sku, reply) in waiting {
                let found = items.iter().find(|item| item.value.sku == sku);
                let _ = reply.send(found.cloned().ok_or_else(unknown_product));
            }
        }
        // A backend without the batch endpoint: ask one by one.
        Err(FetchError::Status {
            status: 404 | 405, ..
        }) => {
            for (sku, reply) in waiting {
                let _ = reply.send(http::fetch_availability(api, &sku, quantity).await);
            }
        }
        Err(error) => {
            for (_, reply) in waiting {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}

fn unknown_product() -> FetchError {
    FetchError::Status {
        status: 404,
        code: String::from("unknown_product"),
        max_quantity: None,
        field: None,
    }
}
