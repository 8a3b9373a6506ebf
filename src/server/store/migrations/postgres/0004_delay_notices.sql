-- The same columns and table as SQLite's sixth migration.
ALTER TABLE reservations ADD COLUMN told_ship_date TEXT;
ALTER TABLE reservations ADD COLUMN last_notice_on TEXT;

CREATE TABLE server_secrets (
    name   TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);
