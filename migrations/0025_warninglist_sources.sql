-- The hotline seeds of 0016, each checked against a public source (December 2026):
-- Kasikornbank 0-2888-8888: Thai PBS World, "GSB announces end of sending URLs to customers via
--   SMS" (19 May 2024), thaipbsworld.com, list of the major banks' call centres. Kept.
-- Bangkok Bank (66) 0-2645-5555: Bangkok Bank's Bualuang iBanking FAQ, bangkokbank.com ("1333
--   or (66) 0-2645-5555"). Kept.
-- Siam Commercial Bank: the same Thai PBS World list gives 0-2777-7575, not 0-2777-7777, which
--   no source reached confirms. Corrected to 0-2777-7575.
-- Krungthai 0-2111-1111: the same list prints "0-2111-111" (a digit short) and no other source
--   reached confirms it. Removed.
UPDATE "watchlist_warninglist"
SET "description" = 'Kasikornbank call centre (0-2888-8888)',
  "source" = 'Thai PBS World, 19 May 2024, thaipbsworld.com/gsb-announces-end-of-sending-urls-to-customers-via-sms/'
WHERE "type" = 'msisdn' AND "value" = '+6628888888' AND "bank_code" = '';
--> statement-breakpoint
UPDATE "watchlist_warninglist"
SET "description" = 'Bangkok Bank Bualuang Phone, from abroad ((66) 0-2645-5555; 1333 within Thailand)',
  "source" = 'Bangkok Bank, Bualuang iBanking FAQ, bangkokbank.com/OnlineBanking/PersonalBanking/ibanking/BualuangiBanking/FAQ/Pages/Default.aspx'
WHERE "type" = 'msisdn' AND "value" = '+6626455555' AND "bank_code" = '';
--> statement-breakpoint
DELETE FROM "watchlist_warninglist"
WHERE "type" = 'msisdn' AND "value" IN ('+6627777777', '+6621111111') AND "bank_code" = ''
  AND "source" LIKE 'published by %';
--> statement-breakpoint
INSERT INTO "watchlist_warninglist" ("type", "value", "bank_code", "reason", "description", "source") VALUES
  ('msisdn', '+6627777575', '', 'verified_bank', 'Siam Commercial Bank call centre (0-2777-7575)', 'Thai PBS World, 19 May 2024, thaipbsworld.com/gsb-announces-end-of-sending-urls-to-customers-via-sms/')
ON CONFLICT DO NOTHING;
