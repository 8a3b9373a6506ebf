-- The per-customer index had the waiting index's condition and a key no
-- query uses (the cap's check reads the product's waiting reservations and
-- compares addresses itself): one more write per backorder, and a second
-- index a planner could take for the queue's reads (PostgreSQL did,
-- migration postgres 0014).
DROP INDEX reservations_by_customer;
