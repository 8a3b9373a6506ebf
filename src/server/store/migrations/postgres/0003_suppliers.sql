-- The same tables as SQLite's fifth migration, in PostgreSQL's types.
CREATE TABLE suppliers (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    lead_time_days BIGINT NOT NULL CHECK (lead_time_days >= 0)
);

ALTER TABLE products ADD COLUMN supplier TEXT REFERENCES suppliers (id);
CREATE INDEX products_by_supplier ON products (supplier) WHERE supplier IS NOT NULL;

CREATE TABLE supplier_receipts (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier       TEXT NOT NULL REFERENCES suppliers (id),
    sku            TEXT NOT NULL,
    purchase_order TEXT NOT NULL,
    eta            TEXT NOT NULL,
    ordered_on     TEXT,
    received_on    TEXT NOT NULL,
    days_late      BIGINT NOT NULL
);
CREATE INDEX supplier_receipts_by_supplier ON supplier_receipts (supplier, received_on, seq);
