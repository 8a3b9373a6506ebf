-- The planner's view of how many reservations wait. A queue's reads ask for
-- `quantity - from_stock - filled > 0`, the waiting indexes' condition.
-- Without statistics on that expression PostgreSQL guesses a third of the
-- table, and once the table was analysed it read a hot product's queue by
-- walking the primary key over every reservation after the copy's last
-- entry: 10–20 ms per read in a drop of 60 000 rows (the feed's reload on
-- three servers: a whole core), instead of 0.1 ms through the waiting
-- index (BENCHMARKS.md §13, ninth round).
CREATE STATISTICS reservations_outstanding ON (quantity - from_stock - filled) FROM reservations;
ANALYZE reservations;
