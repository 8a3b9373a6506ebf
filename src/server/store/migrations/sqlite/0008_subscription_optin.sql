-- Double opt-in: a subscription made while the server mails shoppers waits
-- for its confirmation link; only confirmed subscribers are told it is back.
-- Those from before were made without it, and stay as they were.
ALTER TABLE subscriptions ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1;
