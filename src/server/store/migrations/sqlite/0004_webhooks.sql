-- Webhooks from an outbox, and "email me when it's back" subscriptions.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL, -- '*' or ',type,type,'
    secret          TEXT NOT NULL, -- whsec_<base64>: signs every delivery
    created_at      TEXT NOT NULL,
    disabled_at     TEXT,          -- set when the receiver answered 410 Gone
    disabled_reason TEXT
) STRICT;

-- The outbox: written in the transaction of the change it reports.
CREATE TABLE webhook_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE, -- webhook-id: the same on every retry
    type       TEXT NOT NULL,
    sku        TEXT NOT NULL,
    body       TEXT NOT NULL,        -- the exact bytes that are signed and sent
    created_ms INTEGER NOT NULL
) STRICT;

-- One row per event and endpoint, made with the event.
CREATE TABLE webhook_deliveries (
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL REFERENCES webhook_events (seq),
    sku             TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    PRIMARY KEY (endpoint_id, event_seq)
) STRICT;
CREATE INDEX webhook_deliveries_line ON webhook_deliveries (endpoint_id, sku, event_seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms)
    WHERE state = 'pending';
-- Pruning: deliveries by event, events by age.
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_seq);
CREATE INDEX webhook_events_by_age ON webhook_events (created_ms);

CREATE TABLE webhook_attempts (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id   TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_seq     INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    attempted_ms  INTEGER NOT NULL,
    status_code   INTEGER,
    error         TEXT,
    outcome       TEXT NOT NULL,
    next_retry_ms INTEGER
) STRICT;
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, seq);

CREATE TABLE subscriptions (
    token        TEXT PRIMARY KEY, -- unguessable: it unsubscribes
    sku          TEXT NOT NULL REFERENCES products (sku),
    email        TEXT NOT NULL,
    email_folded TEXT NOT NULL,
    lang         TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (sku, email_folded)
) STRICT;
