// Types for /widget/stock-widget.js: `mount`, its options and handle, the
// events the widget dispatches, and the <stock-status> element.

/** The host element's `data-state`. */
export type StockStatusState = 'loading' | 'in_stock' | 'backorder' | 'out_of_stock' | 'error';

export interface MountOptions {
  /** The product's SKU. */
  sku: string;
  /** Base URL of the API; by default the origin the script was loaded from. */
  api?: string;
  /** The quantity the status is for: a whole number from 1 to 1000000 (default 1). */
  quantity?: number;
  /** `en`, `de`, `fr` or `es` (region tags work); by default the page's language. */
  lang?: string;
  /** Also keep a schema.org `Offer` as JSON-LD in the element's light DOM. */
  structuredData?: boolean;
  /**
   * When the part with the reserve and "email me" forms is downloaded, for a
   * product that offers one: `idle` (default) when the page is idle after the
   * status shows, `intent` only when the shopper points at or focuses the button.
   */
  prefetch?: 'idle' | 'intent';
}

/** A mounted widget. */
export interface WidgetHandle {
  /** Removes what the widget rendered and stops its timers and requests. */
  destroy(): void;
}

/** Mounts the widget into `element`'s shadow root. Throws an `Error` naming a bad option. */
export function mount(element: HTMLElement, options: MountOptions): WidgetHandle;

export interface Arrival {
  units: number;
  /** `YYYY-MM-DD` */
  date: string;
}

export interface BackorderOutlook {
  /** Units not yet promised, by the day they likely arrive. */
  arrivals: Arrival[];
  later: string;
  /** The same units by the day they arrive at the latest. */
  arrivals_latest: Arrival[];
  later_latest: string;
}

/** `stock-status:change` detail (after every load and every live change): the API's availability answer. */
export interface Availability {
  sku: string;
  name: string;
  status: 'in_stock' | 'backorder' | 'out_of_stock';
  available: number;
  low_stock: boolean;
  /** `null`: unlimited. */
  max_quantity: number | null;
  quantity: number;
  from_stock: number;
  backordered: number;
  fulfillable: boolean;
  /** `YYYY-MM-DD`: when the backordered part likely ships. */
  ship_date: string | null;
  ships_in_days: number | null;
  /** When it ships at the latest (from the supplier's record); `null` where `ship_date` is. */
  ship_date_latest?: string | null;
  ships_in_days_latest?: number | null;
  /** RFC 3339 */
  as_of: string;
  schema_org_availability:
    | 'https://schema.org/InStock'
    | 'https://schema.org/LimitedAvailability'
    | 'https://schema.org/BackOrder'
    | 'https://schema.org/OutOfStock';
  backorder_outlook?: BackorderOutlook | null;
}

/** `stock-status:reserved` detail: the reservation just placed. */
export interface Reservation {
  /** `rsv_…`: whoever holds it can see and cancel the reservation. */
  id: string;
  sku: string;
  quantity: number;
  from_stock: number;
  backordered: number;
  filled: number;
  outstanding: number;
  status: 'reserved' | 'ready' | 'cancelled';
  ship_date: string | null;
  ships_in_days: number | null;
  ship_date_latest?: string | null;
  ships_in_days_latest?: number | null;
  /** Masked, e.g. `j***@example.com`. */
  email: string;
  created_at: string;
}

/** `stock-status:subscribed` detail: "email me when it's back" was taken. */
export interface Subscription {
  sku: string;
  /** Masked, e.g. `j***@example.com`. */
  email: string;
  /** `false` until the shopper follows the link in the confirmation e-mail (servers that mail shoppers). */
  confirmed: boolean;
  created_at: string;
}

/** `stock-status:error` detail. */
export interface StockStatusError {
  /** `unreachable`, `timeout`, `malformed_response` or an API error code. */
  code: string;
  message: string;
}

export interface StockStatusEventMap {
  'stock-status:change': CustomEvent<Availability>;
  'stock-status:reserved': CustomEvent<Reservation>;
  'stock-status:subscribed': CustomEvent<Subscription>;
  'stock-status:error': CustomEvent<StockStatusError>;
}

/** The attributes of <stock-status>, for JSX. */
export interface StockStatusAttributes {
  sku: string;
  api?: string;
  quantity?: number | `${number}`;
  lang?: string;
  'structured-data'?: boolean | '';
  prefetch?: 'idle' | 'intent';
  id?: string;
  class?: string;
  className?: string;
}

declare global {
  interface HTMLElementTagNameMap {
    'stock-status': HTMLElement;
  }
  // The events bubble and are composed, so any element (or the document) hears them.
  interface HTMLElementEventMap extends StockStatusEventMap {}
  interface DocumentEventMap extends StockStatusEventMap {}
  namespace JSX {
    interface IntrinsicElements {
      'stock-status': StockStatusAttributes;
    }
  }
}
