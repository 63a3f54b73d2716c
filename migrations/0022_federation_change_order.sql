-- Every change of an indicator gets the writing transaction's id and a strictly increasing
-- sequence number. TAXII readers page by (federation_xid, federation_seq) and serve only rows
-- written by transactions older than every transaction still running, so a change that commits
-- late can never sort before a cursor already handed out.
CREATE SEQUENCE watchlist_federation_seq;
--> statement-breakpoint
CREATE FUNCTION watchlist_federation_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.federation_xid := pg_current_xact_id()::text::bigint;
  NEW.federation_seq := nextval('watchlist_federation_seq');
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER watchlist_federation_stamp_insert BEFORE INSERT ON watchlist_indicators
  FOR EACH ROW EXECUTE FUNCTION watchlist_federation_stamp();
--> statement-breakpoint
CREATE TRIGGER watchlist_federation_stamp_update BEFORE UPDATE ON watchlist_indicators
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION watchlist_federation_stamp();
--> statement-breakpoint
-- Indicators listed before this migration: one change each (the trigger stamps them).
UPDATE watchlist_indicators SET federation_seq = -1;
