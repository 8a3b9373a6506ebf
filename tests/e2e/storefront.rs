//! A merchant's page on another origin than the API: it hosts the widget
//! files itself and points each widget at the API with the `api` attribute.

use axum::Router;
use axum::http::header;
use axum::response::Html;
use axum::routing::get;
use tower_http::services::ServeDir;

/// CSS a careless or hostile theme might ship; none of it may reach the widget.
pub const HOSTILE_CSS: &str = "<style>
* { all: unset !important; }
div, p, span, button, input, form, label { display: none !important; color: transparent !important; font-size: 1px !important; }
[role=status] { visibility: hidden !important; }
.sw-text, .sw-status, .sw-row, .sw-button { display: none !important; }
stock-status { display: block !important; }
</style>";

/// Records every Content-Security-Policy violation of the page in
/// `window.__violations`; served as a file, since a strict CSP blocks inline scripts.
const CSP_WATCH_JS: &str = "window.__violations = [];
document.addEventListener('securitypolicyviolation', (event) => window.__violations.push(event.violatedDirective + ' ' + event.blockedURI));";

/// A page under the strict policy many shops send: no inline script or style,
/// only the page's own scripts, the wasm, and the API.
pub fn strict_csp_page(api: &str, widgets: &[(&str, u32)]) -> String {
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' {api}"
    );
    let head = format!(
        r#"<meta http-equiv="Content-Security-Policy" content="{policy}"><script src="/csp-watch.js"></script>"#
    );
    page(api, widgets, &head)
}

pub struct Storefront {
    pub base_url: String,
    _task: tokio::task::JoinHandle<()>,
}

/// One widget per `(sku, quantity)`.
pub fn page(api: &str, widgets: &[(&str, u32)], extra_head: &str) -> String {
    let mut body = String::new();
    for (sku, quantity) in widgets {
        body.push_str(&format!(
            r#"<section><h2>{sku}</h2><stock-status sku="{sku}" quantity="{quantity}" api="{api}"></stock-status></section>"#
        ));
    }
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another shop</title>
<script>
window.__events = [];
for (const type of ['change', 'reserved', 'subscribed', 'error']) {{
  document.addEventListener('stock-status:' + type, (event) => window.__events.push({{ type, sku: event.target.getAttribute('sku'), detail: event.detail, bubbles: event.bubbles, composed: event.composed }}));
}}
</script>
<script type="module" src="/widget/stock-widget.js"></script>
{extra_head}
</head><body>{body}</body></html>"#
    )
}

impl Storefront {
    /// Binds first, so the API can be told which origin to allow.
    pub async fn bind() -> (tokio::net::TcpListener, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        (listener, origin)
    }

    pub fn serve(
        listener: tokio::net::TcpListener,
        pages: Vec<(&'static str, String)>,
    ) -> Storefront {
        let widget = crate::support::project_dir().join("dist/widget");
        Storefront::serve_widget_from(listener, pages, &widget)
    }

    /// Serves the widget's files from `widget_dir` (a copy a test may change).
    pub fn serve_widget_from(
        listener: tokio::net::TcpListener,
        pages: Vec<(&'static str, String)>,
        widget_dir: &std::path::Path,
    ) -> Storefront {
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let mut router = Router::new().nest_service("/widget", ServeDir::new(widget_dir));
        router = router.route(
            "/csp-watch.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], CSP_WATCH_JS) }),
        );
        for (path, html) in pages {
            router = router.route(path, get(move || async move { Html(html) }));
        }
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Storefront {
            base_url,
            _task: task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}

impl Drop for Storefront {
    fn drop(&mut self) {
        self._task.abort();
    }
}
