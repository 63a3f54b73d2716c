-- Sightings owed to the source partner of an imported indicator, queued in the same transaction
-- as what caused them: a watchlist match (an alert naming the indicator in its evidence) or a
-- local sighting. Aggregated per indicator, kind and minute; sightings recorded for partner
-- organisations (received over TAXII) are never passed on to another country.
CREATE FUNCTION federation_enqueue_sighting(p_indicator text, p_kind text, p_at timestamptz)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO federation_sighting_outbox
    (pull_id, stix_id, kind, minute, count, first_seen, last_seen)
  SELECT fi.pull_id, fi.stix_id, p_kind, date_trunc('minute', p_at), 1, p_at, p_at
  FROM federation_imports fi
  WHERE fi.indicator_id = p_indicator AND NOT fi.source_revoked
  ON CONFLICT (pull_id, stix_id, kind, minute) DO UPDATE SET
    count = federation_sighting_outbox.count + 1,
    first_seen = least(federation_sighting_outbox.first_seen, excluded.first_seen),
    last_seen = greatest(federation_sighting_outbox.last_seen, excluded.last_seen),
    next_attempt_at = NULL
$$;
--> statement-breakpoint
CREATE FUNCTION federation_alert_sighting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.evidence -> 'indicator' ->> 'id' IS NOT NULL THEN
    PERFORM federation_enqueue_sighting(NEW.evidence -> 'indicator' ->> 'id', 'seen', NEW.created_at);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER federation_alert_sighting AFTER INSERT ON scoring_alerts
  FOR EACH ROW WHEN (NEW.rule LIKE 'watchlist\_%') EXECUTE FUNCTION federation_alert_sighting();
--> statement-breakpoint
CREATE FUNCTION federation_local_sighting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM operators o WHERE o.id = NEW.by_org AND o.kind = 'partner') THEN
    PERFORM federation_enqueue_sighting(NEW.indicator_id, NEW.kind, NEW.at);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER federation_local_sighting AFTER INSERT ON watchlist_sightings
  FOR EACH ROW EXECUTE FUNCTION federation_local_sighting();
