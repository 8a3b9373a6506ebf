-- A reservation's SKU is no longer checked row by row against products: in
-- a drop that check ran once per inserted reservation, a third of the held
-- insert's time, with the product's row lock held (BENCHMARKS.md §13, sixth
-- round). What it guarded still holds: products are never deleted, a
-- reservation is inserted only by a placement that read and locked its
-- product in the same transaction, and the held insert fails unless it
-- updated the row of every product it writes (`held.rs`).
ALTER TABLE reservations DROP CONSTRAINT reservations_sku_fkey;
