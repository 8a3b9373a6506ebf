-- Suppliers, the supplier of a product, and each supplier's record: the
-- first receipt of every purchase order, how late (or early) it came.
CREATE TABLE suppliers (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    lead_time_days INTEGER NOT NULL CHECK (lead_time_days >= 0)
) STRICT;

ALTER TABLE products ADD COLUMN supplier TEXT REFERENCES suppliers (id);
CREATE INDEX products_by_supplier ON products (supplier) WHERE supplier IS NOT NULL;

CREATE TABLE supplier_receipts (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    supplier       TEXT NOT NULL REFERENCES suppliers (id),
    sku            TEXT NOT NULL,
    purchase_order TEXT NOT NULL,
    eta            TEXT NOT NULL, -- YYYY-MM-DD
    ordered_on     TEXT,
    received_on    TEXT NOT NULL,
    days_late      INTEGER NOT NULL -- received_on - eta; negative: early
) STRICT;
CREATE INDEX supplier_receipts_by_supplier ON supplier_receipts (supplier, received_on, seq);
