//! The one-click cancel page a delay notice links to:
//! `GET /reservations/{id}/cancel?token=…` shows the reservation and a
//! button; only its `POST` cancels (a link scanner that follows the link
//! changes nothing), through the same operation as
//! `DELETE /api/v1/reservations/{id}`, then `303`s back to the page. A wrong
//! token or an unknown reservation is one `404` that reveals nothing. Not
//! part of the JSON API (nor of its OpenAPI document).

use super::cancel_words::{Words, for_accept_language};
use crate::server::AppState;
use crate::server::domain::{ReservationId, ReservationState};
use crate::server::store::{FailureKind, StoreFailure};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::Digest;
use std::sync::LazyLock;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;\
padding:0 1rem;color:#1a1a1a}h1{font-size:1.4rem}button{font:inherit;padding:.5rem 1rem;\
cursor:pointer}";

/// No scripts, nothing from elsewhere, only our own style (by its hash);
/// the form posts only here; no page may frame it.
static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
});

/// Text safe in HTML content and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn page(status: StatusCode, words: &Words, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <style>{STYLE}</style></head><body><h1>{title}</h1>{body}</body></html>",
        lang = words.lang,
        title = escape(title),
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    with_page_headers(headers);
    response
}

fn with_page_headers(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&CONTENT_SECURITY_POLICY).expect("a plain ASCII header"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

fn not_found(words: &Words) -> Response {
    page(
        StatusCode::NOT_FOUND,
        words,
        words.invalid_title,
        &format!("<p>{}</p>", escape(words.invalid)),
    )
}

fn failed(words: &Words, failure: &StoreFailure) -> Response {
    tracing::warn!("the cancel page failed: {failure}");
    let status = match failure.kind {
        FailureKind::Unavailable | FailureKind::Retry => StatusCode::SERVICE_UNAVAILABLE,
        FailureKind::Fault => StatusCode::INTERNAL_SERVER_ERROR,
    };
    page(
        status,
        words,
        words.title,
        &format!("<p>{}</p>", escape(words.failed)),
    )
}

/// The reservation the link names, if its token is right.
fn authorised(state: &AppState, id: &str, query: Option<&str>) -> Option<ReservationId> {
    let id = ReservationId::parse(id)?;
    let token = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))?;
    let links = state.shop.cancel_links()?;
    links.verify(&id, token).then_some(id)
}

fn words_of(headers: &HeaderMap) -> &'static Words {
    for_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok()),
    )
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
        Err(failure) => return failed(words, &failure),
    };
    let product = match state.shop.product(&found.record.sku).await {
        Ok(product) => product.map_or_else(
            || found.record.sku.to_string(),
            |product| product.name.clone(),
        ),
        Err(failure) => return failed(words, &failure),
    };
    let action = match state.shop.cancel_links() {
        Some(links) => links.path(&id),
        None => return not_found(words),
    };
    page(
        StatusCode::OK,
        words,
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
        Err(failure) => return failed(words, &failure),
    }
    let Some(links) = state.shop.cancel_links() else {
        return not_found(words);
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&links.path(&id)) {
        headers.insert(header::LOCATION, location);
    }
    with_page_headers(headers);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_html_would_read() {
        assert_eq!(
            escape(r#"<b a="1">Tom & Jerry's</b>"#),
            "&lt;b a=&quot;1&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;"
        );
    }

    #[test]
    fn the_policy_allows_no_script_and_posts_only_here() {
        let policy = CONTENT_SECURITY_POLICY.as_str();
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        assert!(policy.contains("form-action 'self'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("script-src"));
        assert!(!policy.contains("unsafe"));
    }
}
