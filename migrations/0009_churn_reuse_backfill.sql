-- Rows from before ICCIDs were single-use may repeat an ICCID (deregistered, then registered
-- again). They stay as history; every row after the first of its ICCID is marked, and the
-- single-use index (next migration) covers every other row, so no new row can take an ICCID seen
-- before, old or new.
UPDATE registrations r SET iccid_legacy_reuse = true
  FROM (
    SELECT id, row_number() OVER (PARTITION BY iccid ORDER BY created_at, id) AS n
    FROM registrations
  ) o
  WHERE o.id = r.id AND o.n > 1;
--> statement-breakpoint
-- A reference already used binds to the first person who used it; later use by another person
-- is refused from now on.
INSERT INTO verification_uses (country, method, reference, person_key, first_used_at)
  SELECT DISTINCT ON (country, verification_method, verification_reference)
    country, verification_method, verification_reference, person_key, created_at
  FROM registrations
  ORDER BY country, verification_method, verification_reference, created_at, id;
--> statement-breakpoint
-- No country publishes a limit on how many new SIMs one person may take in a period: a
-- conservative default for each, marked so, until the regulator sets one (cli acquisition set).
INSERT INTO sim_acquisition_limits (country, max_new_sims, window_days, conservative, source) VALUES
  ('TH', 6, 30, true, 'no published figure: conservative default'),
  ('MM', 6, 30, true, 'no published figure: conservative default'),
  ('CN', 6, 30, true, 'no published figure: conservative default'),
  ('KH', 6, 30, true, 'no published figure: conservative default'),
  ('LA', 6, 30, true, 'no published figure: conservative default'),
  ('VN', 6, 30, true, 'no published figure: conservative default');
