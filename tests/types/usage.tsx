// Type-checked with `tsc --strict` against dist/widget/stock-widget.d.ts
// (tests/types.rs). Each `@ts-expect-error` must be an error, or tsc fails.
import { mount, type Availability, type WidgetHandle } from '../../dist/widget/stock-widget.js';

const element = document.querySelector('stock-status');
if (element) {
  const handle: WidgetHandle = mount(element, { sku: 'KETTLE-GOOSE', quantity: 2, structuredData: true });
  handle.destroy();
  // @ts-expect-error: `sku` is required
  mount(element, { quantity: 2 });
  // @ts-expect-error: `quantity` is a number
  mount(element, { sku: 'A', quantity: 'two' });
  // @ts-expect-error: there is no such option
  mount(element, { sku: 'A', colour: 'red' });
}

document.addEventListener('stock-status:change', (event) => {
  const availability: Availability = event.detail;
  const days: number | null = availability.ships_in_days;
  console.log(availability.status, days, availability.schema_org_availability);
});
document.addEventListener('stock-status:reserved', (event) => console.log(event.detail.id));
document.addEventListener('stock-status:subscribed', (event) => console.log(event.detail.sku, event.detail.email));
document.addEventListener('stock-status:error', (event) => {
  // @ts-expect-error: an error has a code and a message, no status
  console.log(event.detail.status);
});

export const inJsx = <stock-status sku="KETTLE-GOOSE" quantity={2} structured-data />;
// @ts-expect-error: `sku` is required
export const withoutSku = <stock-status quantity={2} />;
