// stock-widget loader: served as /widget/stock-widget.js.
// Loads the wasm once, defines <stock-status>, and exports mount() for frameworks.
import init, { mount as mountWasm } from './stock-widget-core.js';

await init({ module_or_path: new URL('./stock-widget-core_bg.wasm', import.meta.url) });

const scriptOrigin = new URL(import.meta.url).origin;

function withDefaults(options) {
  const opts = Object.assign({}, options);
  if (opts.api == null) opts.api = scriptOrigin;
  return opts;
}

/** Mounts the widget into `element`; returns a handle with `destroy()`. */
export function mount(element, options) {
  return mountWasm(element, withDefaults(options));
}

class StockStatusElement extends HTMLElement {
  static get observedAttributes() { return ['sku', 'api', 'quantity', 'lang']; }

  connectedCallback() { this.render(); }

  disconnectedCallback() {
    if (this.handle) { this.handle.destroy(); this.handle = null; }
  }

  attributeChangedCallback(name, oldValue, newValue) {
    // Upgrades report every attribute once: render on connect, not per attribute;
    // several changes in one task re-render once.
    if (!this.handle || oldValue === newValue || this.pending) return;
    this.pending = true;
    queueMicrotask(() => { this.pending = false; if (this.isConnected) this.render(); });
  }

  options() {
    const opts = { sku: this.getAttribute('sku') || '' };
    const api = this.getAttribute('api');
    if (api) opts.api = api;
    const quantity = this.getAttribute('quantity');
    if (quantity) opts.quantity = Number.parseInt(quantity, 10);
    const lang = this.getAttribute('lang');
    if (lang) opts.lang = lang;
    return opts;
  }

  render() {
    if (this.handle) { this.handle.destroy(); this.handle = null; }
    try {
      this.handle = mount(this, this.options());
    } catch (error) {
      this.setAttribute('data-state', 'error');
      console.error(error);
    }
  }
}

if (!customElements.get('stock-status')) {
  customElements.define('stock-status', StockStatusElement);
}
