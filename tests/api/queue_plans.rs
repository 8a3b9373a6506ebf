//! A product's queue is read through the waiting index, on both stores,
//! after the planner has analysed a table of reservations that mostly do not
//! wait (a drop's). PostgreSQL without statistics on the waiting condition
//! walked the primary key over every reservation instead (BENCHMARKS.md §13,
//! ninth round).

use crate::support::{TestDatabase, on_postgres, product};
use stock_widget::server::domain::Sku;
use stock_widget::server::store::{Database, queue_reads};

/// Reservations of `HOT` that do not wait: taken from stock.
const FROM_STOCK: u32 = 20_000;

#[tokio::test]
async fn queue_reads_use_the_waiting_index_after_analyze() {
    let database = TestDatabase::new().await;
    let shop = database.open().await;
    shop.put_product(Sku::parse("HOT").unwrap(), product("HOT", 1))
        .await
        .unwrap();
    let plans = match &database.database {
        Database::Postgres(url) => postgres_plans(url).await,
        Database::Sqlite(path) => sqlite_plans(path),
    };
    assert_eq!(plans.len(), queue_reads(on_postgres()).len());
    for (statement, plan) in plans {
        assert!(
            plan.contains("reservations_waiting"),
            "not through the waiting index:\n{statement}\n{plan}"
        );
        // Only the entries after a seq, when the statement asks for those.
        let bounded = plan
            .lines()
            .any(|line| line.contains("reservations_waiting") && line.contains("seq>"))
            || plan
                .lines()
                .any(|line| line.contains("Index Cond") && line.contains("seq >"));
        assert!(
            !statement.contains("seq >") || bounded,
            "reads every waiting entry:\n{statement}\n{plan}"
        );
        assert!(
            !plan.contains("reservations_pkey") && !plan.contains("Seq Scan on reservations"),
            "walks the reservations:\n{statement}\n{plan}"
        );
    }
}

/// `$1` is the SKU, any other parameter 0 (a seq, an epoch).
fn arguments(statement: &str) -> Vec<String> {
    let count = (1..=9)
        .take_while(|n| statement.contains(&format!("${n}")))
        .count();
    (1..=count)
        .map(|n| {
            if n == 1 {
                "'HOT'".to_owned()
            } else {
                "0".to_owned()
            }
        })
        .collect()
}

async fn postgres_plans(url: &str) -> Vec<(&'static str, String)> {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(&format!(
        "INSERT INTO reservations (id, sku, quantity, from_stock, email, status, created_at,
                                   request, response)
         SELECT 'rsv_' || n, 'HOT', 1, 1, 'shopper@example.com', 'reserved',
                '2026-03-02T12:00:00Z', '', ''
         FROM generate_series(1, {FROM_STOCK}) n;
         ANALYZE reservations;
         SET plan_cache_mode = force_generic_plan;"
    ))
    .execute(&mut connection)
    .await
    .unwrap();
    let mut plans = Vec::new();
    for (at, statement) in queue_reads(true).into_iter().enumerate() {
        sqlx::raw_sql(&format!("PREPARE queue_read_{at} AS {statement}"))
            .execute(&mut connection)
            .await
            .unwrap();
        let explain = format!(
            "EXPLAIN EXECUTE queue_read_{at}({})",
            arguments(statement).join(", ")
        );
        let lines: Vec<String> = sqlx::query_scalar(&explain)
            .fetch_all(&mut connection)
            .await
            .unwrap();
        plans.push((statement, lines.join("\n")));
    }
    plans
}

fn sqlite_plans(path: &std::path::Path) -> Vec<(&'static str, String)> {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection
        .execute_batch(&format!(
            "WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < {FROM_STOCK})
             INSERT INTO reservations (id, sku, quantity, from_stock, email, status, created_at,
                                       request, response)
             SELECT 'rsv_' || n, 'HOT', 1, 1, 'shopper@example.com', 'reserved',
                    '2026-03-02T12:00:00Z', '', '' FROM n;
             ANALYZE;"
        ))
        .unwrap();
    queue_reads(false)
        .into_iter()
        .map(|statement| {
            let mut explain = connection
                .prepare(&format!("EXPLAIN QUERY PLAN {statement}"))
                .unwrap();
            let arguments: Vec<rusqlite::types::Value> = arguments(statement)
                .iter()
                .map(|argument| match argument.as_str() {
                    "'HOT'" => rusqlite::types::Value::Text("HOT".into()),
                    _ => rusqlite::types::Value::Integer(0),
                })
                .collect();
            let lines: Vec<String> = explain
                .query_map(rusqlite::params_from_iter(arguments), |row| row.get(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            (statement, lines.join("\n"))
        })
        .collect()
}
