//! The widget's files and the demo pages: compressed, and cached as long as
//! their names allow.
//!
//! - A content-hashed file (`name.<10 hex digits>.ext`, written by the build)
//!   never changes under its name: `Cache-Control: public, max-age=31536000, immutable`.
//! - The loader keeps the stable name merchants embed: `max-age=300` and a
//!   (weak) `ETag`, so a revalidation after five minutes is a `304`.
//! - `.br`/`.gz` files beside a widget file (the build writes them) go to
//!   clients that accept them; the demo pages are compressed on the fly.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// How long a browser may use the loader before asking again.
const LOADER_MAX_AGE: &str = "public, max-age=300";

/// `/widget/`: any page may load these files (a module script and its wasm
/// are fetched with CORS).
pub fn widget_files(dir: &Path) -> Router {
    let dir = Arc::new(dir.to_path_buf());
    Router::new()
        .fallback_service(
            ServeDir::new(dir.as_path())
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(middleware::from_fn_with_state(dir, cache_headers))
        .layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::any())
                .allow_methods([Method::GET]),
        )
}

/// The demo storefront's pages, compressed when the client accepts it,
/// each under a strict policy (`page_headers`).
pub fn www_files(dir: &Path) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(dir))
        .layer(middleware::from_fn(page_headers))
        .layer(CompressionLayer::new())
}

/// The demo pages: only their own files run (no inline script or style),
/// the widget's wasm may compile, and requests go to this server only.
const STORE_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'self'";
/// The merchant panel holds the admin token: no other page may frame it
/// (clickjacking) and it runs nothing but its own scripts.
const PANEL_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";
/// The pages that hold the admin token.
const PANEL_PAGES: [&str; 1] = ["/merchant.html"];

async fn page_headers(request: Request, next: Next) -> Response {
    let panel = PANEL_PAGES.contains(&request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let (policy, referrer) = if panel {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        (PANEL_POLICY, "no-referrer")
    } else {
        (STORE_POLICY, "strict-origin-when-cross-origin")
    };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    response
}

async fn cache_headers(State(dir): State<Arc<PathBuf>>, request: Request, next: Next) -> Response {
    let mut response = cached(&dir, request, next).await;
    // Every file has precompressed forms: caches must key on the encoding.
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

async fn cached(dir: &Path, request: Request, next: Next) -> Response {
    let name = request.uri().path().trim_start_matches('/').to_owned();
    if is_content_hashed(&name) {
        let mut response = next.run(request).await;
        if response.status().is_success() {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
        }
        return response;
    }
    let etag = etag_of(dir, &name).await;
    if let Some(etag) = &etag
        && matches_if_none_match(request.headers(), etag)
    {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag.clone()),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(LOADER_MAX_AGE),
                ),
            ],
        )
            .into_response();
    }
    let mut response = next.run(request).await;
    if response.status().is_success() {
        let headers = response.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(LOADER_MAX_AGE),
        );
        if let Some(etag) = etag {
            headers.insert(header::ETAG, etag);
        }
    }
    response
}

/// `stock-widget-core_bg.8be2f63af8.wasm`: the part before the extension is 10 hex digits.
fn is_content_hashed(name: &str) -> bool {
    let mut parts = name.rsplit('.');
    parts.next();
    parts
        .next()
        .is_some_and(|hash| hash.len() == 10 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A weak ETag from the file's content (weak: the same for its compressed
/// forms). Only plain file names in the folder, never a path out of it.
async fn etag_of(dir: &Path, name: &str) -> Option<HeaderValue> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !plain {
        return None;
    }
    let bytes = tokio::fs::read(dir.join(name)).await.ok()?;
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("W/\"{hex}\"")).ok()
}

/// `If-None-Match` names `etag` (compared weakly) or is `*`.
fn matches_if_none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(wanted) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let ours = etag.to_str().unwrap_or("").trim_start_matches("W/");
    wanted
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_with_a_ten_digit_hash_are_immutable() {
        assert!(is_content_hashed("stock-widget-core_bg.8be2f63af8.wasm"));
        assert!(!is_content_hashed("stock-widget.js"));
        assert!(!is_content_hashed("stock-widget-core_bg.wasm"));
        assert!(!is_content_hashed("a.8be2f63af.wasm"));
        assert!(!is_content_hashed("a.8be2f63afz.wasm"));
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        let etag = HeaderValue::from_static("W/\"abc\"");
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
            matches_if_none_match(&headers, &etag)
        };
        assert!(with("W/\"abc\""));
        assert!(with("\"abc\""));
        assert!(with("\"x\", W/\"abc\""));
        assert!(with("*"));
        assert!(!with("\"abd\""));
        assert!(!matches_if_none_match(&HeaderMap::new(), &etag));
    }
}
