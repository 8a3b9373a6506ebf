//! A group commit's held-back writes as one statement: the reservations'
//! insert (one shape for any number of rows: arrays), each product's write
//! and each day's demand, as data-modifying `WITH` queries. The product's row lock is held over one round trip,
//! not three (a drop's groups take turns on that lock, across servers).

use super::PgTx;
use crate::server::store::products::{self, encode_incoming};
use crate::server::store::{HeldReservation, HeldWrites, StoreFailure, demand};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{Postgres, Row};

type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

/// Inserts rows at their reserved seqs: one statement of one shape for any
/// number of rows (each column an array), so it is prepared once per
/// connection, not once per group size.
pub(super) const INSERT_UNNESTED: &str =
    "INSERT INTO reservations (seq, id, sku, quantity, from_stock, filled, email, status,
                               created_at, idempotency_key, request, response,
                               told_ship_date, lang) OVERRIDING SYSTEM VALUE
     SELECT seq, id, sku, quantity, from_stock, 0, email, 'reserved', created_at,
            idempotency_key, request, response, told_ship_date, lang
     FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],
                 $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
       AS r(seq, id, sku, quantity, from_stock, email, created_at, idempotency_key, request,
            response, told_ship_date, lang)";
/// The parameters of [`INSERT_UNNESTED`].
const INSERT_PARAMETERS: usize = 12;

pub(super) async fn write_held(tx: &mut PgTx, writes: &HeldWrites<'_>) -> Result<(), StoreFailure> {
    let rows = writes.reservations;
    // What a foreign key checked row by row (dropped: migration 0012), once
    // per group: each reservation's product is written here too, and the
    // statement finds the row of each (counted below).
    if let Some(row) = rows.iter().find(|row| {
        !writes
            .inventories
            .iter()
            .any(|(held, _)| held.sku == row.sku)
    }) {
        return Err(StoreFailure::fault(anyhow::anyhow!(
            "a held reservation of {} without its product's write",
            row.sku
        )));
    }
    let mut parts = Vec::new();
    let mut used = 0;
    if !rows.is_empty() {
        parts.push(format!("held_reservations AS ({INSERT_UNNESTED})"));
        used += INSERT_PARAMETERS;
    }
    for at in 0..writes.inventories.len() {
        let write = shifted(products::WRITE_INVENTORY, used);
        parts.push(format!("held_inventory_{at} AS ({write} RETURNING 1)"));
        used += 4;
    }
    for at in 0..writes.demand.len() {
        parts.push(format!(
            "held_demand_{at} AS ({})",
            shifted(demand::ADD, used)
        ));
        used += 4;
    }
    if parts.is_empty() {
        return Ok(());
    }
    let products_written: Vec<String> = (0..writes.inventories.len())
        .map(|at| format!("(SELECT count(*) FROM held_inventory_{at})"))
        .chain(["0".to_owned()])
        .collect();
    let sql = format!(
        "WITH {} SELECT {}::bigint AS products_written",
        parts.join(",\n"),
        products_written.join(" + ")
    );
    let mut query = sqlx::query(&sql);
    if !rows.is_empty() {
        query = bind_reservations(query, rows);
    }
    for (held, count) in &writes.inventories {
        query = query
            .bind(i64::from(held.stock))
            .bind(encode_incoming(&held.orders)?)
            .bind(i64::from(*count))
            .bind(held.sku.as_str());
    }
    for day in &writes.demand {
        query = query
            .bind(day.sku.as_str())
            .bind(day.day.to_iso())
            .bind(i64::from(day.units))
            .bind(i64::from(day.backordered));
    }
    let written: i64 = query
        .fetch_one(&mut *tx.tx)
        .await?
        .try_get("products_written")?;
    if written != writes.inventories.len() as i64 {
        return Err(StoreFailure::fault(anyhow::anyhow!(
            "a held write found {written} of its {} products",
            writes.inventories.len()
        )));
    }
    Ok(())
}

/// The rows as [`INSERT_UNNESTED`]'s twelve arrays, in its order.
pub(super) fn bind_reservations<'q>(
    query: PgQuery<'q>,
    rows: &'q [HeldReservation],
) -> PgQuery<'q> {
    let column = |value: fn(&HeldReservation) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(value).collect()
    };
    let number =
        |value: fn(&HeldReservation) -> i64| -> Vec<i64> { rows.iter().map(value).collect() };
    query
        .bind(number(|row| row.seq as i64))
        .bind(column(|row| Some(row.id.to_string())))
        .bind(column(|row| Some(row.sku.to_string())))
        .bind(number(|row| i64::from(row.quantity)))
        .bind(number(|row| i64::from(row.from_stock)))
        .bind(column(|row| Some(row.email.as_str().to_owned())))
        .bind(column(|row| Some(row.created_at.clone())))
        .bind(column(|row| {
            row.idempotency_key
                .as_ref()
                .map(|key| key.as_str().to_owned())
        }))
        .bind(column(|row| Some(row.request.clone())))
        .bind(column(|row| Some(row.response.clone())))
        .bind(column(|row| {
            row.told_ship_date.map(crate::logic::Date::to_iso)
        }))
        .bind(column(|row| {
            row.lang.as_ref().map(|lang| lang.as_str().to_owned())
        }))
}

/// `sql` with each parameter `$N` renumbered `$(N + by)`: one statement's
/// text, written once, placed after `by` parameters of others.
fn shifted(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut number = 0usize;
        let mut digits = false;
        while let Some(digit) = chars.peek().and_then(|d| d.to_digit(10)) {
            number = number * 10 + digit as usize;
            digits = true;
            chars.next();
        }
        if digits {
            out.push_str(&(number + by).to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shifted;

    #[test]
    fn parameters_are_renumbered_after_the_others() {
        assert_eq!(
            shifted("UPDATE t SET a = $1, b = $12 WHERE c = $2", 10),
            "UPDATE t SET a = $11, b = $22 WHERE c = $12"
        );
        assert_eq!(shifted("SELECT $1", 0), "SELECT $1");
    }
}
