//! The demo catalog `serve --demo` seeds into an empty store: one product per
//! case the widget can show. Dates are relative to the server's today.

use super::store::{ProductSettings, Store};
use crate::logic::{BackorderPolicy, DEFAULT_LEAD_TIME_DAYS, Date, PurchaseOrder};

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
    }
}

/// `(sku, settings)` for every demo product.
pub fn catalog(today: Date) -> Vec<(&'static str, ProductSettings)> {
    let order = |quantity, in_days| PurchaseOrder {
        quantity,
        eta: today.plus_days(in_days),
    };
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
                backorder_limit: Some(2),
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
pub async fn seed_if_empty(store: &Store, today: Date) -> anyhow::Result<usize> {
    if !store.is_empty().await? {
        return Ok(0);
    }
    let products = catalog(today);
    let count = products.len();
    for (sku, settings) in products {
        store.put_product(sku.to_owned(), settings).await?;
    }
    Ok(count)
}
