//! The merchant panel's Insight view on the demo store (90 days of demand,
//! a supplier with a record): the reorder list, a product's chart and
//! formulas, and the button that applies the suggested safety stock.

use crate::browser::Browser;
use crate::support::{Options, TestServer};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_insight_view_lists_reorders_charts_demand_and_applies_the_safety_stock() {
    let server = TestServer::start_with(Options {
        demo: true,
        admin_token: Some("dev-admin-token".into()),
        ..Options::default()
    })
    .await;
    let insight = server
        .send(server.admin(Method::GET, "/api/v1/admin/products/MUG-STONE/insight"))
        .await
        .body;
    // The demo's mug: 4 on hand, about 1.5 sold a day, 14 days to restock.
    assert_eq!(insight["reorder_needed"], true, "{insight}");
    let suggested = insight["safety_stock"].as_u64().unwrap();
    assert!(suggested > 0, "{insight}");
    assert_eq!(insight["safety_stock_setting"], 0);

    let browser = Browser::start().await;
    browser
        .goto(&server.url("/merchant.html?sku=MUG-STONE"))
        .await;
    let listed = browser
        .wait_for(
            "the mug in the reorder list",
            "const row = [...document.querySelectorAll('#insight-list tr')].find((tr) => tr.textContent.includes('MUG-STONE'));
             return row ? [row.className, row.querySelector('.state').textContent] : null;",
            vec![],
        )
        .await;
    assert_eq!(listed, json!(["reorder", "Reorder"]));
    // A reorder first: the list's first row needs one.
    let first = browser
        .eval(
            "return document.querySelector('#insight-list tr').className;",
            vec![],
        )
        .await;
    assert_eq!(first, "reorder");

    // The chart: 90 bars on a visible SVG, the mean drawn, read out in its label.
    let chart = browser
        .wait_for(
            "the demand chart",
            "const svg = document.querySelector('#insight-chart svg');
             if (!svg) return null;
             const box = svg.getBoundingClientRect();
             const bars = [...svg.querySelectorAll('rect.bar')];
             return {bars: bars.length, width: box.width, height: box.height,
                     tall: bars.filter((bar) => Number(bar.getAttribute('height')) > 0).length,
                     mean: svg.querySelectorAll('line.mean').length,
                     label: svg.getAttribute('aria-label')};",
            vec![],
        )
        .await;
    assert_eq!(chart["bars"], 90, "{chart}");
    assert!(chart["width"].as_f64().unwrap() > 300.0, "{chart}");
    assert!(chart["height"].as_f64().unwrap() > 60.0, "{chart}");
    assert!(
        chart["tall"].as_u64().unwrap() > 30,
        "most days sold some: {chart}"
    );
    assert_eq!(chart["mean"], 1, "{chart}");
    assert!(
        chart["label"]
            .as_str()
            .unwrap()
            .starts_with("Daily demand over the last 90 days"),
        "{chart}"
    );
    let formulas = browser
        .eval(
            "return document.getElementById('insight-formulas').textContent;",
            vec![],
        )
        .await;
    let formulas = formulas.as_str().unwrap();
    assert!(
        formulas.contains("Safety stock = ⌈z · √(L·σ² + μ²·σL²)⌉"),
        "{formulas}"
    );
    assert!(formulas.contains(&format!("= {suggested}")), "{formulas}");
    assert!(formulas.contains("observed lead time"), "{formulas}");
    let record = browser
        .eval(
            "return document.getElementById('insight-supplier').textContent;",
            vec![],
        )
        .await;
    assert!(
        record
            .as_str()
            .unwrap()
            .contains("Demo Supply Co.: 5 purchase orders received"),
        "{record}"
    );

    // The button sets the product's safety stock to the suggestion.
    let button = browser
        .eval("const b = document.getElementById('apply-safety-stock'); b.click(); return b.textContent;", vec![])
        .await;
    assert_eq!(
        button,
        json!(format!("Set safety stock to {suggested} (now 0)"))
    );
    browser
        .wait_for(
            "the save",
            "return document.getElementById('message').textContent.startsWith('Saved') || null;",
            vec![],
        )
        .await;
    let product = server
        .send(server.admin(Method::GET, "/api/v1/admin/products/MUG-STONE"))
        .await
        .body;
    assert_eq!(product["safety_stock"], suggested, "{product}");
    assert_eq!(
        product["supplier"], "DEMO-SUPPLY",
        "the save keeps the supplier"
    );
    let done = browser
        .wait_for(
            "the button to show it is applied",
            "const b = document.getElementById('apply-safety-stock'); return b.disabled ? b.textContent : null;",
            vec![],
        )
        .await;
    assert_eq!(
        done,
        json!(format!("Set safety stock to {suggested} (now {suggested})"))
    );
    browser.close().await;
}
