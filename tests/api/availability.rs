use crate::support::{TestServer, product};
use serde_json::Value;
use stock_widget::logic::BackorderPolicy;
use stock_widget::server::Clock;
use stock_widget::server::domain::{PlannedOrder, ProductSettings};

async fn get(server: &TestServer, path: &str) -> (u16, Value) {
    let response = reqwest::get(server.url(path)).await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test]
async fn availability_reports_the_split_and_the_ship_date_from_supply() {
    let server = TestServer::start().await;
    let eta = server.clock.today().plus_days(5);
    server
        .put_product(
            "KETTLE",
            ProductSettings {
                backorders: BackorderPolicy::Allow,
                incoming: vec![PlannedOrder::new(10, eta)],
                ..product("Kettle", 2)
            },
        )
        .await;

    let (status, body) = get(&server, "/api/v1/products/KETTLE/availability?quantity=5").await;
    assert_eq!(status, 200);
    assert_eq!(body["sku"], "KETTLE");
    assert_eq!(body["name"], "Kettle");
    assert_eq!(body["status"], "in_stock");
    assert_eq!(body["available"], 2);
    assert_eq!(body["max_quantity"], Value::Null);
    assert_eq!(
        (body["from_stock"].as_u64(), body["backordered"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(body["fulfillable"], true);
    assert_eq!(body["ship_date"], eta.to_iso());
    assert_eq!(body["ships_in_days"], 5);
    assert!(
        body["as_of"]
            .as_str()
            .unwrap()
            .starts_with(&server.clock.today().to_iso())
    );
}

#[tokio::test]
async fn quantity_defaults_to_one_and_out_of_stock_is_reported() {
    let server = TestServer::start().await;
    server.put_product("VINYL", product("Vinyl", 0)).await;
    let (status, body) = get(&server, "/api/v1/products/VINYL/availability").await;
    assert_eq!(status, 200);
    assert_eq!(body["quantity"], 1);
    assert_eq!(body["status"], "out_of_stock");
    assert_eq!(body["fulfillable"], false);
    assert_eq!(body["max_quantity"], 0);
    assert_eq!(body["ship_date"], Value::Null);
}

#[tokio::test]
async fn unknown_products_and_bad_input_get_json_errors() {
    let server = TestServer::start().await;
    server.put_product("MUG", product("Mug", 3)).await;

    let (status, body) = get(&server, "/api/v1/products/NOPE/availability").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "unknown_product");

    for query in ["0", "-3", "abc", "1.5", "1000001"] {
        let (status, body) = get(
            &server,
            &format!("/api/v1/products/MUG/availability?quantity={query}"),
        )
        .await;
        assert_eq!(status, 422, "quantity={query}");
        assert_eq!(body["error"]["code"], "invalid_request");
        assert_eq!(body["error"]["field"], "quantity");
    }

    let long_sku = "A".repeat(65);
    for sku in [long_sku.as_str(), "%C3%A4", "a%20b"] {
        let (status, body) = get(&server, &format!("/api/v1/products/{sku}/availability")).await;
        assert_eq!(status, 422, "sku={sku}");
        assert_eq!(body["error"]["field"], "sku");
    }
}

#[tokio::test]
async fn every_answer_names_its_schema_org_availability() {
    let server = TestServer::start().await;
    server.put_product("PLENTY", product("Tee", 40)).await;
    server
        .put_product(
            "LOW",
            ProductSettings {
                low_stock_threshold: 3,
                ..product("Lamp", 2)
            },
        )
        .await;
    server
        .put_product(
            "BACK",
            ProductSettings {
                backorders: BackorderPolicy::Allow,
                ..product("Kettle", 0)
            },
        )
        .await;
    server.put_product("GONE", product("Vinyl", 0)).await;
    for (sku, expected) in [
        ("PLENTY", "https://schema.org/InStock"),
        ("LOW", "https://schema.org/LimitedAvailability"),
        ("BACK", "https://schema.org/BackOrder"),
        ("GONE", "https://schema.org/OutOfStock"),
    ] {
        let (status, body) = get(&server, &format!("/api/v1/products/{sku}/availability")).await;
        assert_eq!(status, 200);
        assert_eq!(body["schema_org_availability"], expected, "{sku}");
    }
    // The batch answer carries it too.
    let (_, list) = get(&server, "/api/v1/availability?skus=BACK,GONE").await;
    assert_eq!(
        list["items"][0]["schema_org_availability"],
        "https://schema.org/BackOrder"
    );
}
