-- The audit log is append-only for every role that uses it, the table owner included.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
--> statement-breakpoint
INSERT INTO sim_caps (country, per_operator, national, cooling_off_hours, conservative, source) VALUES
  ('TH', 5, NULL, 0, false, 'NBTC: at most 5 SIMs per person per operator'),
  ('MM', 2, NULL, 0, false, 'PTD: at most 2 SIMs per person per operator'),
  ('CN', 5, NULL, 0, false, 'MIIT: at most 5 numbers per person per basic operator'),
  ('KH', 3, NULL, 0, true, 'no published hard figure: conservative default'),
  ('LA', 3, NULL, 0, true, 'no published hard figure: conservative default'),
  ('VN', 3, NULL, 0, true, 'no published hard figure: conservative default');
--> statement-breakpoint
INSERT INTO verification_policies (country, methods, min_score, max_age_seconds) VALUES
  ('TH', '{biometric_fingerprint,face_liveness,nfc_chip}', 0.90, 900),
  ('CN', '{face_liveness,nfc_chip}', 0.90, 900),
  ('VN', '{nfc_chip,face_liveness}', 0.90, 900),
  ('MM', '{biometric_fingerprint,face_liveness,nfc_chip}', 0.85, 1800),
  ('KH', '{biometric_fingerprint,face_liveness,nfc_chip}', 0.85, 1800),
  ('LA', '{biometric_fingerprint,face_liveness,nfc_chip}', 0.85, 1800);
