-- The waiting reservations' indexes, with the condition the queries shared
-- with SQLite now state (`quantity - from_stock - filled > 0`: SQLite's
-- planner cannot match a partial index whose condition compares two column
-- expressions). PostgreSQL matches a partial index by the condition as
-- written, so its indexes follow the queries.
DROP INDEX reservations_waiting;
DROP INDEX reservations_by_customer;
CREATE INDEX reservations_waiting ON reservations (sku, seq)
    WHERE status = 'reserved' AND quantity - from_stock - filled > 0;
CREATE INDEX reservations_by_customer ON reservations (sku, lower(email))
    WHERE status = 'reserved' AND quantity - from_stock - filled > 0;
