-- The waiting reservations' indexes, written so that SQLite's planner can
-- use them: it cannot match a partial index whose condition compares two
-- expressions of columns (`from_stock + filled < quantity`), so every read
-- of a queue scanned the whole table. The queries say the same thing as
-- `quantity - from_stock - filled > 0`, which it matches.
DROP INDEX reservations_waiting;
DROP INDEX reservations_by_customer;
CREATE INDEX reservations_waiting ON reservations (sku, seq)
    WHERE status = 'reserved' AND quantity - from_stock - filled > 0;
CREATE INDEX reservations_by_customer ON reservations (sku, lower(email))
    WHERE status = 'reserved' AND quantity - from_stock - filled > 0;
