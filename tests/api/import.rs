//! `stock-widget import FILE.csv` and `stock-widget import-demand FILE.csv`:
//! the real binary against the test store.

use crate::support::{TestServer, product};
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use stock_widget::logic::Date;
use stock_widget::server::domain::Sku;

/// Runs the import; its exit status, stdout and stderr.
fn import(server: &TestServer, csv: &str) -> (bool, String, String) {
    run(server, "import", csv)
}

/// Runs `stock-widget <command> FILE.csv` on the test store.
fn run(server: &TestServer, command: &str, csv: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.csv");
    std::fs::write(&file, csv).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_stock-widget"))
        .arg(command)
        .arg(&file)
        .args(["--db", &server.database.arg()])
        .output()
        .expect("run stock-widget import");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_lines_are_imported_in_one_go() {
    let server = TestServer::start().await;
    server.put_product("SKU-00007", product("Before", 1)).await;
    let mut csv = String::from(
        "sku,name,stock,safety_stock,low_stock_threshold,backorders,backorder_limit,lead_time_days,incoming\n",
    );
    for index in 0..10_000 {
        writeln!(
            csv,
            "SKU-{index:05},\"Product {index}, blue\",{},1,2,allow,{},21,{}",
            index % 50,
            index % 7,
            if index % 2 == 0 {
                "3@2026-04-01;2@2026-05-01"
            } else {
                ""
            }
        )
        .unwrap();
    }
    let (ok, stdout, stderr) = import(&server, &csv);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("imported 10000 products") && stdout.contains("9999 created, 1 updated"),
        "{stdout}"
    );
    let product = server
        .shop
        .product_from_database(&stock_widget::server::domain::Sku::parse("SKU-09998").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(product.name, "Product 9998, blue");
    assert_eq!(product.inventory.stock, 9998 % 50);
    assert_eq!(product.inventory.backorder_limit, Some(9998 % 7));
    assert_eq!(product.inventory.incoming.len(), 2);
    // The running server hears of it (its own snapshot had the old one).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = server.get("/api/v1/products/SKU-00007/availability").await;
        if reply.body["name"] == "Product 7, blue" {
            break;
        }
        assert!(Instant::now() < deadline, "still {}", reply.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_two_bad_lines_changes_nothing_and_names_both() {
    let server = TestServer::start().await;
    server.put_product("KEEP", product("Kept", 2)).await;
    let csv = "sku,name,stock,backorders\n\
               KEEP,Changed,50,deny\n\
               GOOD,Good,1,allow\n\
               BAD-1,Bad stock,many,deny\n\
               GOOD-2,Good too,3,\n\
               BAD-2,Bad policy,1,maybe\n";
    let (ok, stdout, stderr) = import(&server, csv);
    assert!(!ok, "a bad file must fail: {stdout}");
    assert!(stderr.contains("line 4 (BAD-1): stock:"), "{stderr}");
    assert!(stderr.contains("line 6 (BAD-2): backorders:"), "{stderr}");
    assert!(
        stderr.contains("2 bad lines: nothing was imported"),
        "{stderr}"
    );
    let kept = server
        .shop
        .product_from_database(&stock_widget::server::domain::Sku::parse("KEEP").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((kept.name.as_str(), kept.inventory.stock), ("Kept", 2));
    assert!(
        server
            .shop
            .product_from_database(&stock_widget::server::domain::Sku::parse("GOOD").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    // A wrong header is named too, before any line is read.
    let (ok, _, stderr) = import(&server, "sku,title,stock\nA,x,1\n");
    assert!(!ok);
    assert!(stderr.contains("line 1: title: Unknown column"), "{stderr}");
    assert!(
        stderr.contains("line 1: name: This column is required"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supplier_and_numbered_purchase_orders_are_read_from_their_columns() {
    let server = TestServer::start().await;
    let acme = stock_widget::server::domain::SupplierId::parse("ACME", "id").unwrap();
    server
        .shop
        .put_supplier(
            acme.clone(),
            stock_widget::server::domain::SupplierSettings {
                name: "Acme".into(),
                lead_time_days: 9,
            },
        )
        .await
        .unwrap();
    let (ok, stdout, stderr) = import(
        &server,
        "sku,name,stock,supplier,incoming\nMUG,Mug,1,ACME,PO-7:3@2026-04-01;2@2026-05-01\nCUP,Cup,2,,\n",
    );
    assert!(ok, "{stdout}{stderr}");
    let mug = server
        .shop
        .product_from_database(&stock_widget::server::domain::Sku::parse("MUG").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mug.supplier, Some(acme));
    assert_eq!(mug.inventory.lead_time_days, 9, "the supplier's lead time");
    assert_eq!(mug.orders[0].id.as_str(), "PO-7");
    assert!(mug.orders[1].id.as_str().starts_with("po_"));

    let (ok, stdout, stderr) = import(
        &server,
        "sku,name,stock,supplier\nA,A,1,ACME\nB,B,1,GHOST\n",
    );
    assert!(!ok);
    assert!(stderr.contains("line 3 (B): supplier"), "{stdout}{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_level_column_is_read_and_checked() {
    let server = TestServer::start().await;
    let (ok, stdout, stderr) = import(
        &server,
        "sku,name,stock,service_level\nMUG,Mug,1,0.99\nCUP,Cup,2,\n",
    );
    assert!(ok, "{stdout}{stderr}");
    let read = |sku: &'static str| {
        let shop = server.shop.clone();
        async move {
            shop.product_from_database(&Sku::parse(sku).unwrap())
                .await
                .unwrap()
                .unwrap()
                .service_level
                .value()
        }
    };
    assert_eq!(read("MUG").await, 0.99);
    assert_eq!(read("CUP").await, 0.95, "an empty cell takes the default");

    let (ok, _, stderr) = import(
        &server,
        "sku,name,stock,service_level\nMUG,Mug,1,0.3\nCUP,Cup,2,high\nBOWL,Bowl,1,1.0\n",
    );
    assert!(!ok);
    for line in [
        "line 2 (MUG): service_level:",
        "line 3 (CUP): service_level:",
        "line 4 (BOWL): service_level:",
    ] {
        assert!(stderr.contains(line), "{line}: {stderr}");
    }
    assert_eq!(read("MUG").await, 0.99, "nothing was written");
}

/// The demand of `sku` on `day` as stored: `(units, backordered)`.
async fn demand_on(server: &TestServer, sku: &str, day: &str) -> Option<(u32, u32)> {
    let day = Date::parse_iso(day).unwrap();
    server
        .shop
        .demand_of(Sku::parse(sku).unwrap(), day, day.plus_days(1))
        .await
        .unwrap()
        .first()
        .map(|(_, units, backordered)| (*units, *backordered))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_demand_sets_past_days_and_a_bad_file_names_every_line() {
    let server = TestServer::start().await;
    server.put_product("MUG", product("Mug", 4)).await;
    server.put_product("CUP", product("Cup", 4)).await;
    // Dates are checked against the machine's clock (the command's): these
    // are past on any machine that runs this, the last bad one never is.
    let (ok, stdout, stderr) = run(
        &server,
        "import-demand",
        "sku,date,units\nMUG,2024-05-01,3\nCUP,2024-05-01,0\n\"MUG\",2024-05-02,12\n",
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("imported the demand of 3 days"), "{stdout}");
    assert_eq!(demand_on(&server, "MUG", "2024-05-01").await, Some((3, 0)));
    assert_eq!(demand_on(&server, "MUG", "2024-05-02").await, Some((12, 0)));
    assert_eq!(demand_on(&server, "CUP", "2024-05-01").await, Some((0, 0)));

    let (ok, stdout, stderr) = run(
        &server,
        "import-demand",
        "date,sku,units\n\
         2024-05-01,MUG,5\n\
         2024-05-03,GHOST,1\n\
         2024-02-30,MUG,1\n\
         2999-01-01,MUG,1\n\
         2024-05-04,MUG,many\n\
         2024-05-01,MUG,6\n\
         2024-05-05,,1\n\
         2024-05-06,CUP,-2\n",
    );
    assert!(!ok, "a bad file must fail: {stdout}");
    for line in [
        "line 3 (GHOST): sku:",
        "line 4 (MUG): date:",
        "line 5 (MUG): date:",
        "line 6 (MUG): units:",
        "line 7 (MUG): date:",
        "line 8: sku:",
        "line 9 (CUP): units:",
        "7 bad lines: nothing was imported",
    ] {
        assert!(stderr.contains(line), "{line}: {stderr}");
    }
    assert!(!stderr.contains("line 2"), "{stderr}");
    assert_eq!(
        demand_on(&server, "MUG", "2024-05-01").await,
        Some((3, 0)),
        "nothing was written, not the good line either"
    );

    let (ok, _, stderr) = run(&server, "import-demand", "date,sku,qty\n2024-05-01,MUG,1\n");
    assert!(!ok);
    assert!(stderr.contains("line 1: qty: Unknown column"), "{stderr}");
    assert!(
        stderr.contains("line 1: units: This column is required"),
        "{stderr}"
    );
    // Stock was never touched.
    let mug = server
        .shop
        .product_from_database(&Sku::parse("MUG").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mug.inventory.stock, 4);
}
