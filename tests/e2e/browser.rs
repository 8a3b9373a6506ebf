//! A headless Chromium session per test, through a ChromeDriver of its own.

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A DevTools protocol command, through ChromeDriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (reqwest::Method::POST, Some(body.to_string()))
    }
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    pub async fn start() -> Browser {
        let driver_path = std::env::var("STOCK_WIDGET_CHROMEDRIVER")
            .unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        assert!(
            std::path::Path::new(&driver_path).exists(),
            "ChromeDriver not found at {driver_path}; `cargo xtask test` installs it"
        );
        let widget = crate::support::project_dir().join("dist/widget/stock-widget.js");
        assert!(
            widget.exists(),
            "build the widget first: `cargo xtask build-widget`"
        );

        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ChromeDriver");
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--window-size=1200,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(error) if Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("cannot start a browser session: {error}"),
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// From the next page on, every Content-Security-Policy violation is
    /// kept in `window.cspViolations` (a listener installed before any of
    /// the page's scripts, through the DevTools protocol).
    pub async fn record_csp_violations(&self) {
        let script = "window.cspViolations = [];
            document.addEventListener('securitypolicyviolation', (event) => {
              window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
            });";
        self.client
            .issue_cmd(Cdp {
                cmd: "Page.addScriptToEvaluateOnNewDocument",
                params: json!({ "source": script }),
            })
            .await
            .expect("install the CSP listener");
    }

    /// The violations this page reported so far (`record_csp_violations`).
    pub async fn csp_violations(&self) -> Vec<String> {
        let found = self.eval("return window.cspViolations;", vec![]).await;
        serde_json::from_value(found).expect("the listener is installed")
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.expect("run script")
    }

    /// Polls `script` until it returns something other than `null`/`false`.
    pub async fn wait_for(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let value = self.eval(script, args.clone()).await;
            if !value.is_null() && value != Value::Bool(false) {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The widget's final status for `sku`: its `data-state` and visible text,
    /// once it has left the loading state.
    pub async fn widget_status(&self, sku: &str) -> (String, String) {
        let value = self
            .wait_for(
                &format!("the widget for {sku} to load"),
                r#"const el = document.querySelector(`stock-status[sku="${arguments[0]}"]`);
                   if (!el || !el.dataset.state || el.dataset.state === 'loading' || !el.shadowRoot) return null;
                   const status = el.shadowRoot.querySelector('[role=status]');
                   return status ? [el.dataset.state, status.textContent.trim()] : null;"#,
                vec![json!(sku)],
            )
            .await;
        (
            value[0].as_str().unwrap().to_owned(),
            value[1].as_str().unwrap().to_owned(),
        )
    }

    /// An element inside the shadow root of the widget for `sku`, as a
    /// WebDriver element (so it can be clicked and typed into for real).
    pub async fn shadow_element(&self, sku: &str, selector: &str) -> fantoccini::elements::Element {
        let value = self
            .wait_for(
                &format!("{selector} in the widget for {sku}"),
                r#"const el = document.querySelector(`stock-status[sku="${arguments[0]}"]`);
                   return el && el.shadowRoot ? el.shadowRoot.querySelector(arguments[1]) : null;"#,
                vec![json!(sku), json!(selector)],
            )
            .await;
        let id = value
            .as_object()
            .and_then(|object| object.values().next())
            .and_then(Value::as_str)
            .expect("an element reference")
            .to_owned();
        fantoccini::elements::Element::from_element_id(self.client.clone(), id.into())
    }

    /// The text of the first element matching `selector` in the widget's shadow root.
    pub async fn shadow_text(&self, sku: &str, selector: &str) -> Option<String> {
        self.eval(
            r#"const el = document.querySelector(`stock-status[sku="${arguments[0]}"]`);
               const found = el && el.shadowRoot && el.shadowRoot.querySelector(arguments[1]);
               return found ? found.textContent.trim() : null;"#,
            vec![json!(sku), json!(selector)],
        )
        .await
        .as_str()
        .map(str::to_owned)
    }

    /// Waits until the widget's `selector` text contains `expected`; returns the text.
    pub async fn wait_for_text(&self, sku: &str, selector: &str, expected: &str) -> String {
        let value = self
            .wait_for(
                &format!("{selector} of {sku} to contain {expected:?}"),
                r#"const el = document.querySelector(`stock-status[sku="${arguments[0]}"]`);
                   const found = el && el.shadowRoot && el.shadowRoot.querySelector(arguments[1]);
                   const text = found ? found.textContent.trim() : '';
                   return text.includes(arguments[2]) ? text : null;"#,
                vec![json!(sku), json!(selector), json!(expected)],
            )
            .await;
        value.as_str().unwrap().to_owned()
    }

    /// The events the page recorded (`window.__events`).
    pub async fn events(&self) -> Vec<Value> {
        self.eval("return window.__events || [];", vec![])
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
