-- The same as SQLite's eighth migration. Double opt-in: a subscription made
-- while the server mails shoppers waits for its confirmation link; only
-- confirmed subscribers are told it is back. Those from before stay as they were.
ALTER TABLE subscriptions ADD COLUMN confirmed BOOLEAN NOT NULL DEFAULT TRUE;
