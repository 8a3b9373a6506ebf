//! [`mount`]: a `StockStatus` in the open shadow root of a `<stock-status>`
//! element (or any element a framework hands it), with the widget's styles.

use super::host;
use super::options::WidgetOptions;
use super::view::{StockStatus, StockStatusProps};
use leptos::mount::mount_to;
use leptos::reactive::owner::Owner;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, Document, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

// Smaller than Rust's default wasm allocator (dlmalloc); the widget is single-threaded.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The widget's stylesheet. `mount` puts it in the shadow root; a Leptos app
/// using [`StockStatus`] directly adds it to its page once.
pub const STYLES: &str = include_str!("widget.css");

/// A mounted widget. `destroy()` removes what it rendered and stops its work.
#[wasm_bindgen]
pub struct WidgetHandle {
    mounted: Option<Mounted>,
}

#[wasm_bindgen]
impl WidgetHandle {
    pub fn destroy(&mut self) {
        self.mounted.take();
    }
}

/// The view and the reactive owner above it. Pending tasks hold the owner, so
/// it is cleaned up explicitly: that cancels them, which clears their timers
/// and aborts their requests.
struct Mounted {
    owner: Owner,
    view: Option<Box<dyn std::any::Any>>,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.view.take(); // unmounts the DOM
        self.owner.cleanup();
    }
}

thread_local! {
    /// One constructed stylesheet, adopted by every widget's shadow root.
    static SHEET: Option<CssStyleSheet> = CssStyleSheet::new()
        .ok()
        .filter(|sheet| sheet.replace_sync(STYLES).is_ok());
}

/// The widget's styles in its shadow root: an adopted constructable
/// stylesheet, which a strict `style-src 'self'` Content-Security-Policy
/// allows (a `<style>` element would be blocked), or a `<style>` element in
/// browsers without constructable stylesheets.
fn add_styles(root: &ShadowRoot, document: &Document) -> Result<(), JsError> {
    if let Some(sheet) = SHEET.with(Clone::clone) {
        root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
        return Ok(());
    }
    let style = document
        .create_element("style")
        .map_err(|_| dom_error("create <style>"))?;
    style.set_text_content(Some(STYLES));
    root.append_child(&style)
        .map_err(|_| dom_error("attach styles"))?;
    Ok(())
}

fn dom_error(what: &str) -> JsError {
    JsError::new(&(String::from("stock-status: cannot ") + what))
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
            .map_err(|_| dom_error("have a shadow root on this element"))?,
    };
    root.set_inner_html("");
    let document = host
        .owner_document()
        .ok_or_else(|| dom_error("find the element's document"))?;
    add_styles(&root, &document)?;
    // A ShadowRoot is not an HtmlElement: Leptos mounts into a div inside it.
    let container: HtmlElement = document
        .create_element("div")
        .map_err(|_| dom_error("create the container"))?
        .unchecked_into();
    root.append_child(&container)
        .map_err(|_| dom_error("attach the widget"))?;

    if !options.structured_data {
        host::remove_offer(&host);
    }
    // Synchronously, so the host page's CSS sees the state from the first frame.
    let _ = host.set_attribute("data-state", "loading");
    let props = StockStatusProps {
        api: options.api,
        quantity: options.quantity,
        lang: options.lang,
        sku: options.sku,
        structured_data: options.structured_data,
        prefetch: options.prefetch,
        host: Some(host),
    };
    let owner = Owner::new();
    let view = owner.with(|| mount_to(container, move || StockStatus(props)));
    Ok(WidgetHandle {
        mounted: Some(Mounted {
            owner,
            view: Some(Box::new(view)),
        }),
    })
}
