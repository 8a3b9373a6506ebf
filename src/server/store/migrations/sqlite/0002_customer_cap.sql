-- Most units one e-mail address may hold on backorder for a product; NULL = no cap.
ALTER TABLE products ADD COLUMN max_per_customer INTEGER CHECK (max_per_customer > 0);
CREATE INDEX reservations_by_customer ON reservations (sku, lower(email))
    WHERE status = 'reserved' AND from_stock + filled < quantity;
