-- Delay notices: per reservation, the likely ship date the shopper was last
-- told and the day of the last notice (NULL for reservations from before:
-- their current estimate is recorded quietly at the next check). And the
-- secrets every server on this database shares, written once.
ALTER TABLE reservations ADD COLUMN told_ship_date TEXT; -- YYYY-MM-DD
ALTER TABLE reservations ADD COLUMN last_notice_on TEXT; -- YYYY-MM-DD

CREATE TABLE server_secrets (
    name   TEXT PRIMARY KEY,
    secret TEXT NOT NULL
) STRICT;
