-- The queue's reads go through the waiting index, whatever the planner has
-- seen (BENCHMARKS.md §13, ninth round).
--
-- Statistics on the waiting condition. A queue's reads ask for
-- `quantity - from_stock - filled > 0`, the waiting index's condition.
-- Without statistics on that expression PostgreSQL guessed a third of the
-- table waits, and once the table was analysed it read a hot product's
-- queue by walking the primary key over every reservation after the copy's
-- last entry: 10–22 ms a read in a drop of 60 000 rows (the feed's reload
-- on three servers), instead of 0.1 ms.
CREATE STATISTICS reservations_outstanding ON (quantity - from_stock - filled) FROM reservations;
-- The per-customer index had the waiting index's condition and a key no
-- query uses (the cap's check reads the product's waiting reservations and
-- compares addresses itself). With the statistics saying few rows wait,
-- the planner took it for the feed's reload and read every waiting entry
-- of the product instead of those after the copy's last.
DROP INDEX reservations_by_customer;
-- Analysed now only where there is something to analyse: a shop's table
-- would wait for its next automatic analyse (a tenth more rows) for the
-- statistics. A new, empty table analysed made the planner trust it to stay
-- empty: the feed's reload, prepared then, scanned the whole table all
-- through a drop.
DO $$
BEGIN
    IF (SELECT count(*) FROM (SELECT 1 FROM reservations LIMIT 1000) AS first_rows) >= 1000 THEN
        ANALYZE reservations;
    END IF;
END
$$;
