-- Counts the writes that changed reservations already in a product's queue
-- (a fill, a cancellation). A placement only appends to the queue and
-- leaves it: a copy of the queue with the same epoch is still right up to
-- its last entry, and only the rows after it need reading.
ALTER TABLE products ADD COLUMN queue_epoch BIGINT NOT NULL DEFAULT 0;
