-- Every write to a product's row announces it on the change channel, in the
-- writing transaction: delivered on commit, in commit order, and not at all
-- for a write that rolls back (or whose savepoint does). The payload is
-- "<run> <sku>", the run being the writing server's (`stock_widget.run`,
-- set on each of its connections); a write from anything else (psql, a
-- script) has none, so every server reloads that product. PostgreSQL sends
-- identical notices of one transaction once: a group's many writes to one
-- product are one notice. A trigger instead of a `pg_notify` statement
-- before each commit: that statement was one more round trip with the
-- product's row lock held (BENCHMARKS.md §13, sixth round).
CREATE FUNCTION stock_widget_announce_product() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stock_widget_changes',
                      coalesce(current_setting('stock_widget.run', true), '') || ' ' || NEW.sku);
    RETURN NULL;
END
$$;

CREATE TRIGGER products_announce AFTER INSERT OR UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION stock_widget_announce_product();
