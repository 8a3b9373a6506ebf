CREATE TABLE products (
    sku                 TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    stock               INTEGER NOT NULL CHECK (stock >= 0),
    safety_stock        INTEGER NOT NULL CHECK (safety_stock >= 0),
    low_stock_threshold INTEGER NOT NULL CHECK (low_stock_threshold >= 0),
    backorders          TEXT NOT NULL CHECK (backorders IN ('allow', 'deny')),
    backorder_limit     INTEGER CHECK (backorder_limit >= 0),
    lead_time_days      INTEGER NOT NULL CHECK (lead_time_days >= 0),
    incoming            TEXT NOT NULL -- JSON: [{"quantity": N, "eta": "YYYY-MM-DD"}]
) STRICT;

CREATE TABLE reservations (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT, -- queue order
    id          TEXT NOT NULL UNIQUE,              -- public, unguessable
    sku         TEXT NOT NULL REFERENCES products (sku),
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    from_stock  INTEGER NOT NULL CHECK (from_stock >= 0),
    filled      INTEGER NOT NULL DEFAULT 0 CHECK (filled >= 0),
    email       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('reserved', 'cancelled')),
    created_at  TEXT NOT NULL,
    cancelled_at TEXT,
    idempotency_key TEXT UNIQUE,                   -- client-chosen, optional
    request     TEXT NOT NULL,                     -- what was asked, to spot a reused key
    response    TEXT NOT NULL,                     -- the 201 body, replayed for the same key
    CHECK (from_stock + filled <= quantity)
) STRICT;

CREATE INDEX reservations_waiting ON reservations (sku, seq)
    WHERE status = 'reserved' AND from_stock + filled < quantity;
