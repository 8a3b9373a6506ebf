-- The same tables as SQLite's three migrations, in PostgreSQL's types.
-- Counts are BIGINT so every u32 fits.
CREATE TABLE products (
    sku                 TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    stock               BIGINT NOT NULL CHECK (stock >= 0),
    safety_stock        BIGINT NOT NULL CHECK (safety_stock >= 0),
    low_stock_threshold BIGINT NOT NULL CHECK (low_stock_threshold >= 0),
    backorders          TEXT NOT NULL CHECK (backorders IN ('allow', 'deny')),
    backorder_limit     BIGINT CHECK (backorder_limit >= 0),
    lead_time_days      BIGINT NOT NULL CHECK (lead_time_days >= 0),
    incoming            TEXT NOT NULL, -- JSON: [{"quantity": N, "eta": "YYYY-MM-DD"}]
    max_per_customer    BIGINT CHECK (max_per_customer > 0),
    version             BIGINT NOT NULL DEFAULT 1 -- counts writes: the newest copy wins
);

CREATE TABLE reservations (
    -- Queue order. Assigned at insert, which for one SKU happens under the
    -- product's row lock: per SKU, seq order is commit order.
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    sku             TEXT NOT NULL REFERENCES products (sku),
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    from_stock      BIGINT NOT NULL CHECK (from_stock >= 0),
    filled          BIGINT NOT NULL DEFAULT 0 CHECK (filled >= 0),
    email           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('reserved', 'cancelled')),
    created_at      TEXT NOT NULL,
    cancelled_at    TEXT,
    idempotency_key TEXT,
    request         TEXT NOT NULL,
    response        TEXT NOT NULL,
    CHECK (from_stock + filled <= quantity),
    -- Two servers racing on one key: one insert wins, the other replays.
    CONSTRAINT reservations_idempotency_key UNIQUE (idempotency_key)
);

CREATE INDEX reservations_waiting ON reservations (sku, seq)
    WHERE status = 'reserved' AND from_stock + filled < quantity;
CREATE INDEX reservations_by_customer ON reservations (sku, lower(email))
    WHERE status = 'reserved' AND from_stock + filled < quantity;
