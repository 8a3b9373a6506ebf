//! What the link pages shoppers reach from their e-mails share (the
//! cancel page, the subscription pages): the page itself (escaped, no
//! script, its own style by hash), their headers (no caching, no referrer,
//! no indexing), the `303` back after a `POST`, and the `404` that reveals
//! nothing. Not part of the JSON API.

use super::cancel_words::{Words, for_accept_language};
use crate::server::store::{FailureKind, StoreFailure};
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

/// A whole page: `lang`, a title (also its heading) and the body's HTML.
pub fn page(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <style>{STYLE}</style></head><body><h1>{title}</h1>{body}</body></html>",
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

/// No caching, no referrer, no indexing, the policy, no sniffing.
pub fn with_page_headers(headers: &mut HeaderMap) {
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

/// The one `404` of every link page: it says nothing about what exists.
pub fn not_found(words: &Words) -> Response {
    page(
        StatusCode::NOT_FOUND,
        words.lang,
        words.invalid_title,
        &format!("<p>{}</p>", escape(words.invalid)),
    )
}

/// The store failed: `503` (try again) or `500`, under the page's `title`;
/// `what` names the page in the log.
pub fn failed(words: &Words, title: &str, failure: &StoreFailure, what: &str) -> Response {
    tracing::warn!("the {what} page failed: {failure}");
    let status = match failure.kind {
        FailureKind::Unavailable | FailureKind::Retry => StatusCode::SERVICE_UNAVAILABLE,
        FailureKind::Fault => StatusCode::INTERNAL_SERVER_ERROR,
    };
    page(
        status,
        words.lang,
        title,
        &format!("<p>{}</p>", escape(words.failed)),
    )
}

/// The generic words (`404`, failure) in the browser's language.
pub fn words_of(headers: &HeaderMap) -> &'static Words {
    for_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok()),
    )
}

/// `303` to `location` (a page after its `POST`), with the pages' headers.
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(location) {
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
