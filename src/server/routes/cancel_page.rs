//! The one-click cancel page a delay notice links to:
//! `GET /reservations/{id}/cancel?token=…` shows the reservation and a
//! button; only its `POST` cancels (a link scanner that follows the link
//! changes nothing), through the same operation as
//! `DELETE /api/v1/reservations/{id}`, then `303`s back to the page. A wrong
//! token or an unknown reservation is one `404` that reveals nothing. Not
//! part of the JSON API (nor of its OpenAPI document).

use super::cancel_words::Words;
use super::page::{escape, failed, not_found, page, see_other, words_of};
use crate::server::AppState;
use crate::server::domain::{ReservationId, ReservationState};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// The reservation the link names, if its token is right.
fn authorised(state: &AppState, id: &str, query: Option<&str>) -> Option<ReservationId> {
    let id = ReservationId::parse(id)?;
    let token = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))?;
    let links = state.shop.cancel_links()?;
    links.verify(&id, token).then_some(id)
}

/// What the page says about the reservation: the product, the units, the
/// current window, and the button (or that it is cancelled).
fn describe(words: &Words, state: &ReservationState, product: &str, action: &str) -> String {
    let record = &state.record;
    let mut body = format!(
        "<p><strong>{}</strong></p><p>{}: {}</p>",
        escape(product),
        escape(words.units),
        record.quantity
    );
    if record.cancelled {
        body.push_str(&format!("<p>{}</p>", escape(words.cancelled)));
        return body;
    }
    match state.estimate {
        Some(estimate) if estimate.ship_date == estimate.ship_date_latest => {
            body.push_str(&format!(
                "<p>{} {}.</p>",
                escape(words.ships),
                estimate.ship_date.to_iso()
            ));
        }
        Some(estimate) => body.push_str(&format!(
            "<p>{} {} – {}.</p>",
            escape(words.ships_between),
            estimate.ship_date.to_iso(),
            estimate.ship_date_latest.to_iso()
        )),
        None => body.push_str(&format!("<p>{}</p>", escape(words.ready))),
    }
    body.push_str(&format!(
        "<p>{}</p><form method=\"post\" action=\"{}\"><button type=\"submit\">{}</button></form>",
        escape(words.offer),
        escape(action),
        escape(words.button)
    ));
    body
}

/// `GET`: shows the reservation; changes nothing.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let words = words_of(&headers);
    let Some(id) = authorised(&state, &id, query.as_deref()) else {
        return not_found(words);
    };
    let found = match state
        .shop
        .reservation(id.clone(), state.clock.today())
        .await
    {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(words),
        Err(failure) => return failed(words, words.title, &failure, "cancel"),
    };
    let product = match state.shop.product(&found.record.sku).await {
        Ok(product) => product.map_or_else(
            || found.record.sku.to_string(),
            |product| product.name.clone(),
        ),
        Err(failure) => return failed(words, words.title, &failure, "cancel"),
    };
    let action = match state.shop.cancel_links() {
        Some(links) => links.path(&id),
        None => return not_found(words),
    };
    page(
        StatusCode::OK,
        words.lang,
        words.title,
        &describe(words, &found, &product, &action),
    )
}

/// `POST`: cancels (as `DELETE /api/v1/reservations/{id}` does; again is
/// no change), then sends the browser back to the page.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let words = words_of(&headers);
    let Some(id) = authorised(&state, &id, query.as_deref()) else {
        return not_found(words);
    };
    let outcome = state
        .shop
        .cancel(id.clone(), state.clock.today(), state.clock.now_rfc3339())
        .await;
    match outcome {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(words),
        Err(failure) => return failed(words, words.title, &failure, "cancel"),
    }
    let Some(links) = state.shop.cancel_links() else {
        return not_found(words);
    };
    see_other(&links.path(&id))
}
