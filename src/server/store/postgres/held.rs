//! A group commit's held-back writes as one statement: the reservations'
//! insert, each product's write and each day's demand, as data-modifying
//! `WITH` queries. The product's row lock is held over one round trip,
//! not three (a drop's groups take turns on that lock, across servers).

use super::PgTx;
use crate::server::domain::IdempotencyKey;
use crate::server::store::products::{self, encode_incoming};
use crate::server::store::{
    HeldReservation, HeldWrites, ReservationRows, StoreFailure, demand, reservations,
};
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;

type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

pub(super) async fn write_held(
    tx: &mut PgTx<'_>,
    writes: &HeldWrites<'_>,
) -> Result<(), StoreFailure> {
    // Beyond one insert's rows, the earlier ones go first on their own.
    let split = writes
        .reservations
        .len()
        .saturating_sub(reservations::INSERT_BATCH);
    let (earlier, rows) = writes.reservations.split_at(split);
    if !earlier.is_empty() {
        tx.insert_reservations(earlier).await?;
    }
    let mut parts = Vec::new();
    let mut used = 0;
    if !rows.is_empty() {
        let insert = reservations::insert_at_sql(rows.len(), "OVERRIDING SYSTEM VALUE");
        parts.push(format!("held_reservations AS ({})", shifted(&insert, used)));
        used += rows.len() * reservations::INSERT_COLUMNS;
    }
    for at in 0..writes.inventories.len() {
        let write = shifted(products::WRITE_INVENTORY, used);
        parts.push(format!("held_inventory_{at} AS ({write})"));
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
    let sql = format!("WITH {} SELECT 1", parts.join(",\n"));
    let mut query = sqlx::query(&sql);
    for row in rows {
        query = bind_reservation(query, row);
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
    query.execute(&mut *tx.tx).await?;
    Ok(())
}

/// One row's parameters of `reservations::insert_at_sql`, in its order.
pub(super) fn bind_reservation<'q>(query: PgQuery<'q>, row: &'q HeldReservation) -> PgQuery<'q> {
    query
        .bind(row.seq as i64)
        .bind(row.id.as_str())
        .bind(row.sku.as_str())
        .bind(i64::from(row.quantity))
        .bind(i64::from(row.from_stock))
        .bind(row.email.as_str())
        .bind(row.created_at.as_str())
        .bind(row.idempotency_key.as_ref().map(IdempotencyKey::as_str))
        .bind(row.request.as_str())
        .bind(row.response.as_str())
        .bind(row.told_ship_date.map(crate::logic::Date::to_iso))
        .bind(row.lang.as_ref().map(|lang| lang.as_str()))
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
