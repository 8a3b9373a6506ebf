-- Counts the writes to a product, so a server keeps the newest copy it hears of.
ALTER TABLE products ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
