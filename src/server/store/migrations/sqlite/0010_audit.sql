-- The audit log: one line per admin write, written in the write's own
-- transaction (a write rolled back leaves none). Who: the admin token's
-- fingerprint (`tok_` + 8 hex digits, never the token) or `cli`; from
-- which address (the client's, as the rate limits read it, or `local`);
-- what: the operation's name (`product.put`, …), its target (a SKU, a
-- supplier's or webhook's id, or a count such as `12 products`) and a short
-- summary (`stock 4 → 9`). Lines older than 90 days are deleted once a day.
CREATE TABLE audit (
    -- Newer lines have higher numbers, never reused: the paging cursor.
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL, -- RFC 3339, UTC, as the other timestamps
    token     TEXT NOT NULL,
    address   TEXT NOT NULL,
    operation TEXT NOT NULL,
    target    TEXT,
    detail    TEXT
) STRICT;
-- The daily deletion of old lines.
CREATE INDEX audit_by_time ON audit (at);
