-- A group commit reserves its reservations' places in the queue a block at
-- a time: one nextval() gives 128 values (`SEQ_BLOCK` in postgres/rows.rs),
-- where it took one nextval() per row (a quarter of PostgreSQL's CPU in a
-- drop, BENCHMARKS.md §13, eighth round). A row inserted alone takes the
-- first value of a block. Per SKU, seq order is still commit order: blocks
-- are handed out in order, under the product's lock; the values of a block
-- a group does not use are gaps, as a rolled-back nextval() leaves.
ALTER TABLE reservations ALTER COLUMN seq SET INCREMENT BY 128;
