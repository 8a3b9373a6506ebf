//! The browser widget: one `view::Widget` per `<stock-status>` element, inside
//! an open shadow root. Compiled for `wasm32` only.
//!
//! `loader.js` (served as `/widget/stock-widget.js`) defines the custom element
//! and calls [`mount`]; frameworks may call `mount` themselves.

mod batch;
mod host;
pub mod http;
pub mod i18n;
mod js;
mod options;
mod state;
mod storage;
mod view;

use options::WidgetOptions;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

const STYLES: &str = include_str!("widget.css");

/// A mounted widget. `destroy()` removes what it rendered and stops its work.
#[wasm_bindgen]
pub struct WidgetHandle {
    widget: Option<Rc<view::Widget>>,
}

#[wasm_bindgen]
impl WidgetHandle {
    pub fn destroy(&mut self) {
        if let Some(widget) = self.widget.take() {
            widget.destroy();
        }
    }
}

impl Drop for WidgetHandle {
    fn drop(&mut self) {
        self.destroy();
    }
}

/// Renders the widget for `options` (`{sku, api?, quantity?, lang?}`) into
/// `host`'s shadow root, replacing what an earlier mount rendered there.
#[wasm_bindgen]
pub fn mount(host: HtmlElement, options: JsValue) -> Result<WidgetHandle, JsError> {
    let options = WidgetOptions::from_js(options)?;
    let root = match host.shadow_root() {
        Some(root) => root,
        None => host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .map_err(|_| JsError::new("stock-status: this element cannot have a shadow root"))?,
    };
    root.set_inner_html("");
    let document = host
        .owner_document()
        .ok_or_else(|| JsError::new("stock-status: the element has no document"))?;
    let style = document
        .create_element("style")
        .map_err(|_| JsError::new("stock-status: cannot create <style>"))?;
    style.set_text_content(Some(STYLES));
    let container: HtmlElement = document
        .create_element("div")
        .map_err(|_| JsError::new("stock-status: cannot create the container"))?
        .unchecked_into();
    container.set_class_name("sw");
    root.append_child(&style)
        .map_err(|_| JsError::new("stock-status: cannot attach styles"))?;
    root.append_child(&container)
        .map_err(|_| JsError::new("stock-status: cannot attach the widget"))?;

    // Synchronously, so the host page's CSS sees the state from the first frame.
    let _ = host.set_attribute("data-state", "loading");
    let widget = view::Widget::start(host, container, options);
    Ok(WidgetHandle {
        widget: Some(widget),
    })
}
