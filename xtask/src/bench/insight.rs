//! The insight list at catalog scale: 10 000 products with a supplier and
//! 90 days of demand each (900 000 rows, through `import` and
//! `import-demand`), then `GET /api/v1/admin/insight` (and its CSV) timed on
//! the release server over SQLite. The issue asks for ≤ 1 s.

use super::{Connection, OUT_DIR, Server, TOKEN, build_server};
use crate::Result;
use crate::run::command;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::time::Instant;

const PRODUCTS: usize = 10_000;
const DAYS: i64 = 90;
/// Timed requests per format (after one warm-up).
const RUNS: usize = 5;

/// The civil date `days` after 1970-01-01, as `YYYY-MM-DD` (Howard
/// Hinnant's algorithm): xtask does not build the server's crate (its
/// `logic::Date`) nor a date crate for this.
fn iso(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn today() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    (now / 86_400) as i64
}

/// The catalog and its history as CSV files; demand varies by product and
/// day (a few units, some days none) so every number is computed for real.
fn write_files(dir: &str) -> Result<(String, String)> {
    let today = today();
    let mut stock = String::from("sku,name,stock,backorders,lead_time_days,incoming\n");
    let mut demand = String::from("date,sku,units\n");
    for n in 0..PRODUCTS {
        let eta = iso(today + 5 + (n % 20) as i64);
        writeln!(
            stock,
            "BENCH-{n:05},Bench product {n},{},allow,{},{}@{eta}",
            n % 60,
            7 + n % 21,
            10 + n % 30
        )
        .map_err(|e| e.to_string())?;
        for day in 0..DAYS {
            let units = (n as i64 * 7 + day * 13) % 9 - 3;
            if units > 0 {
                writeln!(demand, "{},BENCH-{n:05},{units}", iso(today - DAYS + day))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    let stock_path = format!("{dir}/insight-stock.csv");
    let demand_path = format!("{dir}/insight-demand.csv");
    std::fs::write(&stock_path, stock).map_err(|e| e.to_string())?;
    std::fs::write(&demand_path, demand).map_err(|e| e.to_string())?;
    Ok((stock_path, demand_path))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Times `RUNS` requests of `path` after a warm-up, on one keep-alive
/// connection: the median and the slowest in ms, and the body's size.
fn time_get(base: &str, path: &str) -> Result<(f64, f64, usize)> {
    let mut connection = Connection::open(base)?;
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    let mut get = || -> Result<(f64, usize)> {
        let started = Instant::now();
        let (status, body) = connection.send("GET", path, &auth, "")?;
        if status != 200 {
            return Err(format!("{path}: {status}: {body}"));
        }
        Ok((started.elapsed().as_secs_f64() * 1000.0, body.len()))
    };
    let (_, bytes) = get()?;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        times.push(get()?.0);
    }
    let slowest = times.iter().copied().fold(0.0, f64::max);
    Ok((median(times), slowest, bytes))
}

pub(super) fn insight() -> Result<Value> {
    std::fs::create_dir_all(OUT_DIR).map_err(|e| format!("cannot create {OUT_DIR}: {e}"))?;
    build_server()?;
    let db = format!("{OUT_DIR}/bench-insight.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{suffix}"));
    }
    let (stock, demand) = write_files(OUT_DIR)?;
    let server_bin = super::server::server_bin();
    command(&server_bin, &["import", &stock, "--db", &db]).status_ok()?;
    let loading = Instant::now();
    command(&server_bin, &["import-demand", &demand, "--db", &db]).status_ok()?;
    let import_seconds = loading.elapsed().as_secs_f64();
    let mut server = Server::start(&db)?;
    let json_list = time_get(&server.base, "/api/v1/admin/insight");
    let csv_list = time_get(&server.base, "/api/v1/admin/insight.csv");
    let one = time_get(&server.base, "/api/v1/admin/products/BENCH-00042/insight");
    server.stop();
    let (json_median, json_slowest, json_bytes) = json_list?;
    let (csv_median, csv_slowest, csv_bytes) = csv_list?;
    let (one_median, _, _) = one?;
    Ok(json!({
        "products": PRODUCTS,
        "days": DAYS,
        "import_demand_seconds": super::round3(import_seconds),
        "list_json_ms": { "median": super::round3(json_median), "slowest": super::round3(json_slowest), "bytes": json_bytes },
        "list_csv_ms": { "median": super::round3(csv_median), "slowest": super::round3(csv_slowest), "bytes": csv_bytes },
        "one_product_ms": super::round3(one_median),
        "budget_ms": 1000,
    }))
}
