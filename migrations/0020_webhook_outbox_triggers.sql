-- Webhook outbox rows written in the transaction of the change that causes them, whatever code
-- path makes it (the API, the CLI, a partner import, the scorer), so no event is lost on a crash.
CREATE FUNCTION webhook_iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;--> statement-breakpoint

-- A bank is told when an account at its bank code is listed (or listed again after a
-- revocation) and when it is revoked. The data carries what a watchlist check shows the bank,
-- plus the account itself: never the description, case reference, sources or revocation reason.
CREATE FUNCTION webhook_account_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  event_type text;
  event_at timestamptz;
BEGIN
  IF TG_OP = 'INSERT' AND NEW.status = 'active' THEN
    event_type := 'watchlist.account_listed';
  ELSIF TG_OP = 'UPDATE' AND OLD.status = 'revoked' AND NEW.status = 'active' THEN
    event_type := 'watchlist.account_listed';
  ELSIF TG_OP = 'UPDATE' AND OLD.status <> 'revoked' AND NEW.status = 'revoked' THEN
    event_type := 'watchlist.account_revoked';
  ELSE
    RETURN NULL;
  END IF;
  event_at := COALESCE(NEW.revoked_at, NEW.updated_at);
  INSERT INTO webhook_events (id, org_id, type, payload)
  SELECT
    'msg_' || replace(gen_random_uuid()::text, '-', ''),
    o.id,
    event_type,
    jsonb_build_object(
      'type', event_type,
      'timestamp', webhook_iso(event_at),
      'data', jsonb_build_object(
        'indicatorId', NEW.id,
        'stixId', NEW.stix_id,
        'type', NEW.type,
        'bankCode', NEW.bank_code,
        'accountNumber', NEW.value,
        'category', NEW.category,
        'confidence', NEW.confidence,
        'tlp', NEW.tlp,
        'status', NEW.status,
        'validUntil', webhook_iso(NEW.valid_until),
        'at', webhook_iso(event_at)
      )
    )
  FROM operators o
  WHERE o.kind = 'bank' AND o.bank_code = NEW.bank_code;
  IF FOUND THEN
    PERFORM pg_notify('webhook_events', '');
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER webhook_account_listed AFTER INSERT ON watchlist_indicators
  FOR EACH ROW WHEN (NEW.type = 'bank_account') EXECUTE FUNCTION webhook_account_event();--> statement-breakpoint
CREATE TRIGGER webhook_account_changed AFTER UPDATE OF status ON watchlist_indicators
  FOR EACH ROW WHEN (NEW.type = 'bank_account' AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION webhook_account_event();--> statement-breakpoint

-- An operator is told of every watchlist alert the scorer raises on one of its lines. Written in
-- the scorer's own commit (an alert replayed after a crash conflicts and inserts nothing, so
-- fires nothing); only watchlist alerts with an operator pay for the extra row.
CREATE FUNCTION webhook_match_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_events (id, org_id, type, payload) VALUES (
    'msg_' || replace(gen_random_uuid()::text, '-', ''),
    NEW.operator_id,
    'watchlist.match',
    jsonb_build_object(
      'type', 'watchlist.match',
      'timestamp', webhook_iso(NEW.created_at),
      'data', jsonb_build_object(
        'alertId', NEW.id,
        'rule', NEW.rule,
        'msisdn', NEW.msisdn,
        'indicator', NEW.evidence -> 'indicator',
        'recordId', NEW.evidence -> 'recordId',
        'at', webhook_iso(NEW.created_at)
      )
    )
  );
  PERFORM pg_notify('webhook_events', '');
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER webhook_match AFTER INSERT ON scoring_alerts
  FOR EACH ROW WHEN (NEW.rule LIKE 'watchlist\_%' AND NEW.operator_id IS NOT NULL)
  EXECUTE FUNCTION webhook_match_event();--> statement-breakpoint

-- Keys issued before webhooks could look up the watchlist; they may now manage its webhooks.
UPDATE api_keys SET scopes = array_append(scopes, 'webhooks:manage')
WHERE revoked_at IS NULL AND 'watchlist:read' = ANY(scopes) AND NOT 'webhooks:manage' = ANY(scopes);
