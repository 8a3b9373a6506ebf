// The demo storefront's catalogue: what a shop's own product database would
// hold (prices, images, copy). Stock lives in the stock-widget server.
export const CATALOG = [
  { sku: 'TEE-CLASSIC', name: 'Classic Organic Cotton Tee', price: 29, image: '/images/tee.svg', quantity: 1,
    blurb: 'Heavyweight organic cotton, garment-dyed in small batches.', demo: 'Plenty in stock' },
  { sku: 'MUG-STONE', name: 'Speckled Stoneware Mug', price: 24, image: '/images/mug.svg', quantity: 1,
    blurb: 'Wheel-thrown stoneware with a speckled glaze. 350 ml.', demo: 'Low stock' },
  { sku: 'LAMP-BRASS', name: 'Brass Task Lamp', price: 189, image: '/images/lamp.svg', quantity: 1,
    blurb: 'Solid brass arm, linen cord, warm 2700 K light.', demo: 'Exactly one left' },
  { sku: 'KETTLE-GOOSE', name: 'Gooseneck Pour-Over Kettle', price: 79, image: '/images/kettle.svg', quantity: 1,
    blurb: 'Precise pour, walnut handle, works on every hob.', demo: 'Backorder covered by an incoming purchase order' },
  { sku: 'CHAIR-OAK', name: 'Oak Lounge Chair', price: 640, image: '/images/chair.svg', quantity: 1,
    blurb: 'Solid European oak and wool upholstery, made to order.', demo: 'Backorder beyond all purchase orders (supplier lead time)' },
  { sku: 'BIKE-CITY', name: 'Step-Through City Bike', price: 890, image: '/images/bike.svg', quantity: 1,
    blurb: 'Seven gears, dynamo lights, a rack that carries a week of groceries.', demo: 'Backorder limit almost reached' },
  { sku: 'SHOE-TRAIL', name: 'Trail Running Shoe', price: 139, image: '/images/shoe.svg', quantity: 5,
    blurb: 'Grippy lugs and a rock plate. Shown here for a team order of 5.', demo: 'Partial availability for a larger quantity' },
  { sku: 'VINYL-LTD', name: 'Limited Vinyl Pressing', price: 35, image: '/images/vinyl.svg', quantity: 1,
    blurb: 'One pressing of 500 on marbled vinyl. Not repressed.', demo: 'Out of stock, backorders denied' },
];

export function formatPrice(value) {
  return new Intl.NumberFormat(document.documentElement.lang || 'en', { style: 'currency', currency: 'EUR' }).format(value);
}

export function bySku(sku) {
  return CATALOG.find((product) => product.sku === sku);
}
