//! The merchant panel's Audit log on the demo store: a product saved in the
//! panel shows at the top of the log with the panel's token fingerprint and
//! address; Refresh and Older page through it; the section uses no inline
//! script or style (a strict Content-Security-Policy must not break it).

use crate::browser::Browser;
use crate::support::{Options, TestServer};
use serde_json::json;
use stock_widget::server::fingerprint;

const DEV_TOKEN: &str = "dev-admin-token";

/// The audit table's rows, each its cells' text.
const ROWS: &str = "return [...document.querySelectorAll('#audit-list tr')]
    .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));";

#[tokio::test]
async fn a_product_saved_in_the_panel_shows_in_the_audit_log() {
    let server = TestServer::start_with(Options {
        demo: true,
        admin_token: Some(DEV_TOKEN.into()),
        ..Options::default()
    })
    .await;
    let browser = Browser::start().await;
    browser
        .goto(&server.url("/merchant.html?sku=MUG-STONE"))
        .await;
    browser
        .wait_for(
            "the settings to load",
            "return document.getElementById('stock').value === '4';",
            vec![],
        )
        .await;
    // Seeding the demo is no admin write: the log starts empty.
    let empty = browser
        .wait_for(
            "the empty audit log",
            "const p = document.getElementById('audit-empty'); return p.hidden ? null : p.textContent;",
            vec![],
        )
        .await;
    assert_eq!(empty, json!("No admin writes in the last 90 days."));

    browser
        .eval(
            "document.getElementById('stock').value = '7';
             document.getElementById('save').click();",
            vec![],
        )
        .await;
    browser
        .wait_for(
            "the save",
            "return document.getElementById('message').textContent.startsWith('Saved');",
            vec![],
        )
        .await;
    // The panel refreshes the log after its own save.
    let rows = browser
        .wait_for(
            "the save's line in the audit log",
            &format!("const rows = (() => {{ {ROWS} }})(); return rows.length ? rows : null;"),
            vec![],
        )
        .await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let cells: Vec<&str> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|cell| cell.as_str().unwrap())
        .collect();
    assert!(cells[0].starts_with("2026-03-02 12:"), "{cells:?}");
    assert!(cells[0].ends_with(" UTC"), "{cells:?}");
    assert_eq!(
        cells[1..],
        [
            fingerprint(DEV_TOKEN).as_str(),
            "127.0.0.1",
            "product.put",
            "MUG-STONE",
            "stock 4 → 7"
        ]
    );
    let visible = browser
        .eval(
            "return [document.getElementById('audit-empty').hidden,
                     document.getElementById('audit-older').disabled];",
            vec![],
        )
        .await;
    assert_eq!(visible, json!([true, true]), "one line: no older page");

    // A receipt recorded in the panel, then Refresh: newest first.
    browser
        .eval(
            "document.getElementById('receipt-quantity').value = '2';
             document.getElementById('receive').click();",
            vec![],
        )
        .await;
    browser
        .wait_for(
            "the receipt",
            "return document.getElementById('message').textContent.startsWith('Received 2');",
            vec![],
        )
        .await;
    browser
        .eval("document.getElementById('audit-refresh').click();", vec![])
        .await;
    let operations = browser
        .wait_for(
            "the receipt's line on top",
            &format!(
                "const rows = (() => {{ {ROWS} }})();
                 return rows.length === 2 ? rows.map((cells) => cells[3] + ' ' + cells[5]) : null;"
            ),
            vec![],
        )
        .await;
    assert_eq!(
        operations,
        json!([
            "product.receipt 2 received, stock 7 → 9",
            "product.put stock 4 → 7"
        ])
    );

    // More than a page (50): Older shows the rest, Refresh the newest again.
    for days in 1..=50 {
        let reply = server
            .send(
                server
                    .admin(reqwest::Method::PUT, "/api/v1/admin/suppliers/E2E-SUP")
                    .json(&json!({"name": "Paged Supply", "lead_time_days": days})),
            )
            .await;
        assert!((200..300).contains(&reply.status), "{days}: {}", reply.body);
    }
    browser
        .eval("document.getElementById('audit-refresh').click();", vec![])
        .await;
    let first_page = browser
        .wait_for(
            "a full page",
            &format!(
                "const rows = (() => {{ {ROWS} }})();
                 return rows.length === 50 && !document.getElementById('audit-older').disabled
                     ? rows.map((cells) => cells[3]) : null;"
            ),
            vec![],
        )
        .await;
    assert!(
        first_page
            .as_array()
            .unwrap()
            .iter()
            .all(|operation| operation == "supplier.put"),
        "{first_page}"
    );
    browser
        .eval("document.getElementById('audit-older').click();", vec![])
        .await;
    let second_page = browser
        .wait_for(
            "the older page",
            &format!(
                "const rows = (() => {{ {ROWS} }})();
                 return rows.length === 2 ? rows.map((cells) => cells[3]) : null;"
            ),
            vec![],
        )
        .await;
    assert_eq!(second_page, json!(["product.receipt", "product.put"]));
    let disabled = browser
        .eval(
            "return document.getElementById('audit-older').disabled;",
            vec![],
        )
        .await;
    assert_eq!(disabled, json!(true), "the oldest page");

    // No inline script or style anywhere on the panel: a strict CSP keeps it working.
    let inline = browser
        .eval(
            "return [document.querySelectorAll('script:not([src])').length,
                     document.querySelectorAll('style, [style]').length];",
            vec![],
        )
        .await;
    assert_eq!(inline, json!([0, 0]));
    browser.close().await;
}
