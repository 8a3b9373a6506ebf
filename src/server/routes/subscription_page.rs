//! A subscription's pages, linked from its e-mails:
//! `GET /subscriptions/{token}/confirm` (double opt-in) and
//! `GET /subscriptions/{token}/unsubscribe` show the product and a button;
//! only their `POST`s change anything (a link scanner that follows the link
//! changes nothing), then `303` back to the page, which says it is done.
//! The token (`sub_` + 128 random bits) is the secret; an unknown one is the
//! cancel page's `404`, revealing nothing. Not part of the JSON API.

use super::cancel_words::Words as CommonWords;
use super::page::{escape, failed, not_found, page, see_other, words_of};
use super::subscription_words::{Words, for_lang};
use crate::server::AppState;
use crate::server::domain::SubscriptionToken;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

fn fill(template: &str, name: &str) -> String {
    escape(template).replace("{name}", &format!("<strong>{}</strong>", escape(name)))
}

fn button(path: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\"><button type=\"submit\">{}</button></form>",
        escape(path),
        escape(label)
    )
}

fn path(token: &SubscriptionToken, page: &str) -> String {
    format!("/subscriptions/{token}/{page}")
}

fn shown(words: &Words, body: String) -> Response {
    page(StatusCode::OK, words.lang, words.title, &body)
}

/// `GET …/confirm`: the product and the button, or that it is confirmed.
pub async fn show_confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let common = words_of(&headers);
    let Some(token) = SubscriptionToken::parse(&token) else {
        return not_found(common);
    };
    let (subscription, name) = match state.shop.subscription(token.clone()).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(common),
        Err(failure) => return failed(common, common.invalid_title, &failure, "confirm"),
    };
    let words = for_lang(subscription.lang.as_ref().map(|lang| lang.as_str()));
    let body = if subscription.confirmed {
        format!(
            "<p>{}</p>{}",
            fill(words.confirmed, &name),
            button(&path(&token, "unsubscribe"), words.unsubscribe_button)
        )
    } else {
        format!(
            "<p>{}</p>{}",
            fill(words.confirm_offer, &name),
            button(&path(&token, "confirm"), words.confirm_button)
        )
    };
    shown(words, body)
}

/// `POST …/confirm`: confirms (again is no change), then back to the page.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let common = words_of(&headers);
    let Some(token) = SubscriptionToken::parse(&token) else {
        return not_found(common);
    };
    match state.shop.confirm_subscription(token.clone()).await {
        Ok(true) => see_other(&path(&token, "confirm")),
        Ok(false) => not_found(common),
        Err(failure) => failed(common, common.invalid_title, &failure, "confirm"),
    }
}

/// `GET …/unsubscribe`: the product and the button; after the `POST`
/// (`?done={lang}`), that it is done.
pub async fn show_unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let common = words_of(&headers);
    let Some(token) = SubscriptionToken::parse(&token) else {
        return not_found(common);
    };
    let done = query
        .as_deref()
        .and_then(|query| query.split('&').find_map(|pair| pair.strip_prefix("done=")));
    let found = match state.shop.subscription(token.clone()).await {
        Ok(found) => found,
        Err(failure) => return failed(common, common.invalid_title, &failure, "unsubscribe"),
    };
    match (found, done) {
        (Some((subscription, name)), _) => {
            let words = for_lang(subscription.lang.as_ref().map(|lang| lang.as_str()));
            let body = format!(
                "<p>{}</p>{}",
                fill(words.unsubscribe_offer, &name),
                button(&path(&token, "unsubscribe"), words.unsubscribe_button)
            );
            shown(words, body)
        }
        // Gone, and the browser just unsubscribed it: the same for every
        // token, so it tells nobody whether one existed.
        (None, Some(lang)) => {
            let words = for_lang(Some(lang));
            shown(words, format!("<p>{}</p>", escape(words.unsubscribed)))
        }
        (None, None) => not_found(common),
    }
}

/// `POST …/unsubscribe`: removes the subscription (as
/// `DELETE /api/v1/subscriptions/{token}` does), then back to the page.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let common: &CommonWords = words_of(&headers);
    let Some(token) = SubscriptionToken::parse(&token) else {
        return not_found(common);
    };
    let lang = match state.shop.subscription(token.clone()).await {
        Ok(Some((subscription, _))) => subscription.lang.map(|lang| lang.as_str().to_owned()),
        Ok(None) => return not_found(common),
        Err(failure) => return failed(common, common.invalid_title, &failure, "unsubscribe"),
    };
    match state.shop.unsubscribe(token.clone()).await {
        Ok(true) => {
            let lang = for_lang(lang.as_deref()).lang;
            see_other(&format!("{}?done={lang}", path(&token, "unsubscribe")))
        }
        Ok(false) => not_found(common),
        Err(failure) => failed(common, common.invalid_title, &failure, "unsubscribe"),
    }
}
