use crate::browser::Browser;
use crate::support::{Options, TestServer, product};

#[tokio::test]
async fn demo_page_shows_the_status_the_server_computes() {
    let server = TestServer::start_with(Options {
        demo: true,
        ..Options::default()
    })
    .await;
    let browser = Browser::start().await;
    browser.goto(&server.url("/")).await;

    // Seeded with a purchase order 6 days out and nothing on hand.
    assert_eq!(
        browser.widget_status("KETTLE-GOOSE").await,
        ("backorder".into(), "Backorder — ships in 6 days".into())
    );
    // Change the store behind the page: the widget follows the server.
    server
        .put_product("KETTLE-GOOSE", product("Gooseneck Pour-Over Kettle", 0))
        .await;
    browser.client.refresh().await.unwrap();
    assert_eq!(
        browser.widget_status("KETTLE-GOOSE").await,
        ("out_of_stock".into(), "Out of stock".into())
    );
    browser.close().await;
}

#[tokio::test]
async fn unknown_sku_ends_in_an_error_state_not_a_spinner() {
    let server = TestServer::start().await;
    let browser = Browser::start().await;
    browser.goto(&server.url("/")).await;
    let (state, text) = browser.widget_status("KETTLE-GOOSE").await;
    assert_eq!(state, "error");
    assert_eq!(text, "This product isn't available here.");
    browser.close().await;
}
