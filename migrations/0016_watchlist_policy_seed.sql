-- Per-type lifetimes of a listing: the simline project's defaults (policy data, changeable per
-- instance). Short for values that are cheap to change (ip, url), longer for devices and accounts.
INSERT INTO "watchlist_lifetimes" ("type", "default_days", "max_days", "source") VALUES
  ('msisdn', 90, 365, 'simline project default'),
  ('imei', 180, 730, 'simline project default'),
  ('bank_account', 180, 730, 'simline project default'),
  ('ip', 30, 90, 'simline project default'),
  ('domain', 90, 365, 'simline project default'),
  ('url', 30, 90, 'simline project default');
--> statement-breakpoint
-- Documented hotlines that must never be listed: Thai banks' published contact-centre numbers.
INSERT INTO "watchlist_warninglist" ("type", "value", "bank_code", "reason", "description", "source") VALUES
  ('msisdn', '+6628888888', '', 'verified_bank', 'Kasikornbank K-Contact Center (02-888-8888)', 'published by Kasikornbank, kasikornbank.com'),
  ('msisdn', '+6627777777', '', 'verified_bank', 'Siam Commercial Bank call center (02-777-7777)', 'published by SCB, scb.co.th'),
  ('msisdn', '+6621111111', '', 'verified_bank', 'Krungthai Contact Center (02-111-1111)', 'published by Krungthai Bank, krungthai.com'),
  ('msisdn', '+6626455555', '', 'verified_bank', 'Bangkok Bank contact centre from abroad (02-645-5555)', 'published by Bangkok Bank, bangkokbank.com');
