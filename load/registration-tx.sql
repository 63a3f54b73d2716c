-- One POST /v1/registrations as raw SQL: the same statements, locks and writes the service
-- runs (idempotency lock and lookup, policies, caps and acquisition limit, person lock, number
-- checks, counts, verification reference, insert, audit append, idempotency record), without
-- HTTP, JSON, zod or crypto. run-registration.ts feeds it to pgbench on the same database as
-- the API run and prints the ratio.
SELECT nextval('bench_registration_seq') AS n \gset
BEGIN;
SELECT pg_try_advisory_xact_lock(hashtextextended('op_bench:key-' || :n, 7));
SELECT * FROM idempotency_keys WHERE operator_id = :operator AND key = 'key-' || :n AND expires_at > now();
SAVEPOINT attempt;
SELECT * FROM verification_policies WHERE country = 'TH';
SELECT * FROM sim_caps WHERE country = 'TH';
SELECT * FROM document_policies WHERE country = 'TH';
SELECT * FROM sim_acquisition_limits WHERE country = 'TH';
INSERT INTO persons (person_key, document_type, document_country, nationality, full_name_sealed, document_number_sealed, date_of_birth_sealed)
  VALUES (md5('person-' || :n), 'national_id', 'TH', 'TH', repeat('x', 80), repeat('y', 70), repeat('z', 60))
  ON CONFLICT (person_key) DO UPDATE SET person_key = excluded.person_key;
SELECT status, quarantine_until FROM registrations WHERE msisdn = '+669' || lpad(:n::text, 8, '0')
  AND (status = 'active' OR quarantine_until > now()) ORDER BY created_at DESC LIMIT 1;
SELECT id FROM registrations WHERE iccid = '8999' || lpad(:n::text, 15, '0') LIMIT 1;
SELECT count(*) FILTER (WHERE operator_id = :operator AND status = 'active')::int, count(*) FILTER (WHERE status = 'active')::int, max(created_at)
  FROM registrations WHERE person_key = md5('person-' || :n) AND country = 'TH' AND exempt_account_id IS NULL;
SELECT created_at, count(*) OVER ()::int FROM registrations WHERE person_key = md5('person-' || :n) AND country = 'TH'
  AND exempt_account_id IS NULL AND created_at > now() - interval '30 days' ORDER BY created_at DESC LIMIT 6;
INSERT INTO verification_uses (country, method, reference, person_key, first_used_at)
  VALUES ('TH', 'face_liveness', 'lv-' || :n, md5('person-' || :n), now())
  ON CONFLICT (country, method, reference) DO UPDATE SET person_key = verification_uses.person_key RETURNING person_key;
INSERT INTO registrations (id, operator_id, country, msisdn, iccid, imsi, person_key, status, verification_method, verification_reference, verification_score, verified_at, pos_agent_id, pos_outlet_id, created_at)
  VALUES ('reg_bench_' || :n, :operator, 'TH', '+669' || lpad(:n::text, 8, '0'), '8999' || lpad(:n::text, 15, '0'), '520031234567890', md5('person-' || :n), 'active', 'face_liveness', 'lv-' || :n, 0.97, now(), 'agent-1', 'outlet-1', now());
INSERT INTO audit_heads (shard, seq, hash) VALUES ('bench:' || (:n % 64), 0, repeat('0', 64))
  ON CONFLICT (shard) DO UPDATE SET shard = excluded.shard RETURNING seq, hash;
INSERT INTO audit_log (shard, seq, at, actor_type, actor_id, action, subject_type, subject_id, outcome, data, prev_hash, hash)
  SELECT shard, seq + 1, now(), 'operator', :operator, 'registration.created', 'person', md5('person-' || :n), 'success',
    jsonb_build_object('registrationId', 'reg_bench_' || :n, 'msisdn', '+669' || lpad(:n::text, 8, '0')),
    hash, encode(sha256(convert_to(hash || :n, 'UTF8')), 'hex')
  FROM audit_heads WHERE shard = 'bench:' || (:n % 64);
UPDATE audit_heads SET seq = seq + 1, hash = encode(sha256(convert_to(hash || :n, 'UTF8')), 'hex') WHERE shard = 'bench:' || (:n % 64);
RELEASE SAVEPOINT attempt;
INSERT INTO idempotency_keys (operator_id, key, fingerprint, status, body, created_at, expires_at)
  VALUES (:operator, 'key-' || :n, md5(:n::text), 201, repeat('b', 230), now(), now() + interval '48 hours');
COMMIT;
