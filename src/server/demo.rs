//! The demo catalog `serve --demo` seeds into an empty store: one product per
//! case the widget can show. Dates are relative to the server's today.

use super::domain::{
    Email, IdempotencyKey, NewReservation, PlannedOrder, ProductSettings, Quantity, ServiceLevel,
    Sku, SupplierId, SupplierSettings,
};
use super::ops::Shop;
use crate::logic::{BackorderPolicy, DEFAULT_LEAD_TIME_DAYS, Date};

fn product(name: &str, stock: u32) -> ProductSettings {
    ProductSettings {
        name: name.to_owned(),
        stock,
        safety_stock: 0,
        low_stock_threshold: 5,
        backorders: BackorderPolicy::Deny,
        backorder_limit: None,
        lead_time_days: DEFAULT_LEAD_TIME_DAYS,
        incoming: Vec::new(),
        max_per_customer: None,
        supplier: None,
        service_level: ServiceLevel::DEFAULT,
    }
}

/// The demo's supplier.
pub const DEMO_SUPPLIER: &str = "DEMO-SUPPLY";

/// The bike's backorder limit, and the units already waiting for it: one place is left.
const DEMO_BIKE_LIMIT: u32 = 4;
const DEMO_BIKE_QUEUED: u32 = 3;

/// `(sku, settings)` for every demo product: plenty in stock, low stock, the
/// last one, a backorder covered by a purchase order, one beyond all purchase
/// orders (lead time), a backorder limit almost reached, stock that covers only
/// part of a larger quantity, and out of stock with backorders denied.
pub fn catalog(today: Date) -> Vec<(&'static str, ProductSettings)> {
    let order = |quantity, in_days| PlannedOrder::new(quantity, today.plus_days(in_days));
    vec![
        ("TEE-CLASSIC", product("Classic Organic Cotton Tee", 240)),
        ("MUG-STONE", product("Speckled Stoneware Mug", 4)),
        ("LAMP-BRASS", product("Brass Task Lamp", 1)),
        (
            "KETTLE-GOOSE",
            ProductSettings {
                backorders: BackorderPolicy::Allow,
                incoming: vec![order(25, 6)],
                ..product("Gooseneck Pour-Over Kettle", 0)
            },
        ),
        (
            "CHAIR-OAK",
            ProductSettings {
                backorders: BackorderPolicy::Allow,
                lead_time_days: 28,
                ..product("Oak Lounge Chair", 0)
            },
        ),
        (
            "BIKE-CITY",
            ProductSettings {
                backorders: BackorderPolicy::Allow,
                backorder_limit: Some(DEMO_BIKE_LIMIT),
                lead_time_days: 21,
                ..product("Step-Through City Bike", 0)
            },
        ),
        (
            "SHOE-TRAIL",
            ProductSettings {
                backorders: BackorderPolicy::Allow,
                incoming: vec![order(12, 9)],
                ..product("Trail Running Shoe", 3)
            },
        ),
        ("VINYL-LTD", product("Limited Vinyl Pressing", 0)),
    ]
}

/// Seeds the catalog when the store has no products; returns how many were added.
pub async fn seed_if_empty(shop: &Shop, today: Date) -> anyhow::Result<usize> {
    if !shop.is_empty().await? {
        return Ok(0);
    }
    // A supplier to name (no product has one: the demo's windows stay one day).
    shop.put_supplier(
        SupplierId::parse(DEMO_SUPPLIER, "id")?,
        SupplierSettings {
            name: "Demo Supply Co.".into(),
            lead_time_days: DEFAULT_LEAD_TIME_DAYS,
        },
    )
    .await?;
    let products = catalog(today);
    let count = products.len();
    for (sku, settings) in products {
        shop.add_product_if_missing(Sku::parse(sku)?, settings)
            .await?;
    }
    // Earlier shoppers, so the bike's backorder limit is almost reached.
    let early_bird = NewReservation {
        sku: Sku::parse("BIKE-CITY")?,
        quantity: Quantity::new(DEMO_BIKE_QUEUED.into())?,
        email: Email::parse("early.bird@example.com")?,
        // Several servers seeding one empty database at once queue it once.
        idempotency_key: Some(IdempotencyKey::parse("demo-seed-early-bird")?),
        lang: None,
    };
    shop.place(early_bird, today, format!("{}T08:00:00Z", today.to_iso()))
        .await
        .map_err(|failure| anyhow::anyhow!("cannot seed the demo queue: {failure:?}"))?;
    Ok(count)
}
