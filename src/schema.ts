/**
 * Every drizzle table of every domain, for drizzle-kit and for the Kysely `Database` type.
 * Kysely's types are derived from these tables, so the schema is declared once.
 */
import type { Kyselify } from 'drizzle-orm/kysely';
import type { apiKeys, operators } from './operators/schema.js';
import type { auditHeads, auditLog, idempotencyKeys } from './platform/schema.js';
import type {
  capExemptAccounts,
  persons,
  registrations,
  simCaps,
  verificationPolicies,
} from './registration/schema.js';
import type {
  scoringAlerts,
  scoringAllowlist,
  scoringImeiState,
  scoringLineState,
  scoringStreams,
  scoringThresholds,
} from './scoring/schema.js';

export * from './operators/schema.js';
export * from './platform/schema.js';
export * from './registration/schema.js';
export * from './scoring/schema.js';

export interface Database {
  audit_log: Kyselify<typeof auditLog>;
  audit_heads: Kyselify<typeof auditHeads>;
  idempotency_keys: Kyselify<typeof idempotencyKeys>;
  operators: Kyselify<typeof operators>;
  api_keys: Kyselify<typeof apiKeys>;
  sim_caps: Kyselify<typeof simCaps>;
  verification_policies: Kyselify<typeof verificationPolicies>;
  cap_exempt_accounts: Kyselify<typeof capExemptAccounts>;
  persons: Kyselify<typeof persons>;
  registrations: Kyselify<typeof registrations>;
  scoring_thresholds: Kyselify<typeof scoringThresholds>;
  scoring_allowlist: Kyselify<typeof scoringAllowlist>;
  scoring_alerts: Kyselify<typeof scoringAlerts>;
  scoring_streams: Kyselify<typeof scoringStreams>;
  scoring_line_state: Kyselify<typeof scoringLineState>;
  scoring_imei_state: Kyselify<typeof scoringImeiState>;
}
