//! The demo catalog `serve --demo` seeds into an empty store: one product per
//! case the widget can show. Dates are relative to the server's today.

use super::domain::demand::{DemandBatch, DemandDay};
use super::domain::{
    Email, IdempotencyKey, NewReservation, PlannedOrder, ProductSettings, PurchaseOrderId,
    Quantity, ReceiptRequest, ServiceLevel, Sku, SupplierId, SupplierSettings,
};
use super::ops::{OperationError, Shop, window_start};
use crate::logic::{BackorderPolicy, DEFAULT_LEAD_TIME_DAYS, Date, WINDOW_DAYS};

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
        (
            "TEE-CLASSIC",
            ProductSettings {
                incoming: supplier_history(today),
                ..supplied(product("Classic Organic Cotton Tee", TEE_STOCK_BEFORE))
            },
        ),
        ("MUG-STONE", supplied(product("Speckled Stoneware Mug", 4))),
        ("LAMP-BRASS", supplied(product("Brass Task Lamp", 1))),
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

/// In-stock products of the demo's supplier (its record is on time, so
/// their windows would stay one day; backorders are denied anyway).
fn supplied(settings: ProductSettings) -> ProductSettings {
    ProductSettings {
        supplier: Some(
            SupplierId::parse(DEMO_SUPPLIER, "supplier").expect("the demo's supplier id"),
        ),
        ..settings
    }
}

/// The tee's past purchase orders: `(number, days before today it was
/// ordered, days it took)`, each of `TEE_ORDER` units, received on its ETA
/// (on time) at seeding: the supplier's record then shows observed lead
/// times of 12 to 16 days.
const TEE_ORDERS: [(&str, u32, u32); 5] = [
    ("PO-1041", 80, 13),
    ("PO-1055", 65, 15),
    ("PO-1068", 50, 12),
    ("PO-1079", 35, 16),
    ("PO-1090", 20, 14),
];
const TEE_ORDER: u32 = 20;
/// 240 on hand once they are in.
const TEE_STOCK_BEFORE: u32 = 140;

fn days_before(today: Date, days: u32) -> Date {
    Date::from_days_since_epoch(today.days_since_epoch() - i64::from(days))
}

fn supplier_history(today: Date) -> Vec<PlannedOrder> {
    TEE_ORDERS
        .iter()
        .map(|&(id, ordered, took)| PlannedOrder {
            id: Some(PurchaseOrderId::parse(id, "id").expect("a demo purchase order number")),
            quantity: TEE_ORDER,
            eta: days_before(today, ordered - took),
            ordered_on: Some(days_before(today, ordered)),
        })
        .collect()
}

/// Mean units a day over the 90 days before the seeding, by product.
const DEMO_DEMAND: [(&str, f64); 7] = [
    ("TEE-CLASSIC", 5.0),
    ("MUG-STONE", 1.5),
    ("LAMP-BRASS", 0.6),
    ("KETTLE-GOOSE", 2.0),
    ("CHAIR-OAK", 0.25),
    ("BIKE-CITY", 0.3),
    ("SHOE-TRAIL", 1.2),
];

/// A plausible, repeatable day of demand: around `mean`, busier at the
/// weekend, some days none (a fixed pseudo-random sequence per product).
fn demo_units(mean: f64, seed: u64, day: Date) -> u32 {
    let mut x = seed ^ (day.days_since_epoch() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    let uniform = (x >> 11) as f64 / (1u64 << 53) as f64;
    let weekend = matches!(day.days_since_epoch().rem_euclid(7), 2 | 3);
    let level = mean * if weekend { 1.6 } else { 0.85 };
    (level * 2.0 * uniform).round() as u32
}

/// 90 days of demand for the catalog, and the limited vinyl's release: 60
/// pressings gone in the first two days, six weeks ago.
fn demand_history(today: Date) -> anyhow::Result<DemandBatch> {
    let start = window_start(today);
    let mut days = Vec::new();
    for (seed, (sku, mean)) in DEMO_DEMAND.iter().enumerate() {
        for offset in 0..WINDOW_DAYS as u32 {
            let day = start.plus_days(offset);
            let units = demo_units(*mean, seed as u64 + 1, day);
            if units > 0 {
                days.push(DemandDay {
                    sku: Sku::parse(sku)?,
                    day,
                    units,
                });
            }
        }
    }
    for (before, units) in [(42, 48), (41, 12)] {
        days.push(DemandDay {
            sku: Sku::parse("VINYL-LTD")?,
            day: days_before(today, before),
            units,
        });
    }
    let at = (0..days.len() as u64).collect();
    Ok(DemandBatch {
        days,
        at,
        errors: Vec::new(),
    })
}

/// The tee's past orders arrive, and the catalog's history is written.
async fn seed_history(shop: &Shop, today: Date) -> anyhow::Result<()> {
    for (id, ordered, took) in TEE_ORDERS {
        let receipt = ReceiptRequest {
            units: TEE_ORDER,
            purchase_order: Some(PurchaseOrderId::parse(id, "id")?),
            received_on: days_before(today, ordered - took),
        };
        match shop.receive(Sku::parse("TEE-CLASSIC")?, receipt).await {
            // Another server seeding the same database received it first.
            Ok(_) | Err(OperationError::UnknownPurchaseOrder) => {}
            Err(failure) => anyhow::bail!("cannot seed the demo's receipts: {failure:?}"),
        }
    }
    shop.put_demand(demand_history(today)?, Default::default())
        .await
        .map_err(|failure| anyhow::anyhow!("cannot seed the demo's demand: {failure:?}"))?;
    Ok(())
}

/// Seeds the catalog when the store has no products; returns how many were added.
pub async fn seed_if_empty(shop: &Shop, today: Date) -> anyhow::Result<usize> {
    if !shop.is_empty().await? {
        return Ok(0);
    }
    // The in-stock products' supplier (on time: the windows stay one day).
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
    seed_history(shop, today).await?;
    Ok(count)
}
