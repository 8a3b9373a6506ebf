-- Demand history: per product and day, the units asked for (sold in the
-- shop's checkout, reserved through the widget — a later cancellation does
-- not undo demand that was there) and how many of them went on backorder
-- (a reservation's units not served from stock when it was placed), for a
-- backorder rate. Merchants may replace past days' units with their own
-- history (backordered then stays as it was).
CREATE TABLE demand (
    sku         TEXT NOT NULL REFERENCES products (sku),
    day         TEXT NOT NULL, -- YYYY-MM-DD, the shop's day (UTC)
    units       INTEGER NOT NULL CHECK (units >= 0),
    backordered INTEGER NOT NULL DEFAULT 0 CHECK (backordered >= 0),
    PRIMARY KEY (sku, day)
) STRICT, WITHOUT ROWID;
-- Every product's days in a window (an insight list over the whole catalog):
-- a range of days, the rest read from the index alone.
CREATE INDEX demand_by_day ON demand (day, sku, units, backordered);

-- The service level a product's safety stock aims for (the chance of not
-- running out during a lead time). Whether its position was at or below
-- its reorder point at the last check (so `product.reorder_point` fires
-- once per crossing), and that reorder point with the day it was computed
-- for: it changes only with the day, the history, the settings or the
-- supplier's record (each of which forgets it), so a write compares the
-- position with it instead of reading the history again.
ALTER TABLE products ADD COLUMN service_level REAL NOT NULL DEFAULT 0.95
    CHECK (service_level BETWEEN 0.5 AND 0.999);
ALTER TABLE products ADD COLUMN below_reorder_point INTEGER NOT NULL DEFAULT 0
    CHECK (below_reorder_point IN (0, 1));
ALTER TABLE products ADD COLUMN reorder_point INTEGER CHECK (reorder_point >= 0);
ALTER TABLE products ADD COLUMN reorder_point_on TEXT; -- YYYY-MM-DD
