/**
 * Every drizzle table of every domain, for drizzle-kit and for the Kysely `Database` type.
 * Kysely's types are derived from these tables, so the schema is declared once.
 */
import type { Kyselify } from 'drizzle-orm/kysely';
import type {
  apiKeys,
  consoleSessions,
  consoleUsers,
  loginThrottle,
  operators,
} from './access/schema.js';
import type {
  federationImports,
  federationPulls,
  federationSightingOutbox,
} from './federation/pull-schema.js';
import type { federationReceivedSightings, federationStatuses } from './federation/schema.js';
import type { auditHeads, auditLog, idempotencyKeys, rateBuckets } from './platform/schema.js';
import type {
  capExemptAccounts,
  documentPolicies,
  exemptAccountRepresentatives,
  persons,
  registrations,
  simAcquisitionLimits,
  simCaps,
  verificationPolicies,
  verificationUses,
} from './registration/schema.js';
import type {
  scoringAlerts,
  scoringAllowlist,
  scoringGroupAlerts,
  scoringGroupState,
  scoringImeiState,
  scoringLineHours,
  scoringLineState,
  scoringStreams,
  scoringThresholds,
} from './scoring/schema.js';
import type {
  cellSites,
  orderCells,
  orderOperators,
  suspensionOrders,
  zones,
  zoneVersions,
} from './suspensions/schema.js';
import type { watchlistRegistrationPolicies } from './watchlist/matching/schema.js';
import type {
  watchlistIndicatorSources,
  watchlistIndicators,
  watchlistLifetimes,
  watchlistSightings,
  watchlistWarninglist,
} from './watchlist/schema.js';
import type { webhookDeliveries, webhookEvents, webhookSubscriptions } from './webhooks/schema.js';

export * from './access/schema.js';
export * from './federation/pull-schema.js';
export * from './federation/schema.js';
export * from './platform/schema.js';
export * from './registration/schema.js';
export * from './scoring/schema.js';
export * from './suspensions/schema.js';
export * from './watchlist/matching/schema.js';
export * from './watchlist/schema.js';
export * from './webhooks/schema.js';

export interface Database {
  audit_log: Kyselify<typeof auditLog>;
  audit_heads: Kyselify<typeof auditHeads>;
  idempotency_keys: Kyselify<typeof idempotencyKeys>;
  rate_buckets: Kyselify<typeof rateBuckets>;
  operators: Kyselify<typeof operators>;
  api_keys: Kyselify<typeof apiKeys>;
  sim_caps: Kyselify<typeof simCaps>;
  verification_policies: Kyselify<typeof verificationPolicies>;
  document_policies: Kyselify<typeof documentPolicies>;
  cap_exempt_accounts: Kyselify<typeof capExemptAccounts>;
  exempt_account_representatives: Kyselify<typeof exemptAccountRepresentatives>;
  sim_acquisition_limits: Kyselify<typeof simAcquisitionLimits>;
  verification_uses: Kyselify<typeof verificationUses>;
  persons: Kyselify<typeof persons>;
  registrations: Kyselify<typeof registrations>;
  console_users: Kyselify<typeof consoleUsers>;
  console_sessions: Kyselify<typeof consoleSessions>;
  login_throttle: Kyselify<typeof loginThrottle>;
  cell_sites: Kyselify<typeof cellSites>;
  zones: Kyselify<typeof zones>;
  zone_versions: Kyselify<typeof zoneVersions>;
  suspension_orders: Kyselify<typeof suspensionOrders>;
  order_cells: Kyselify<typeof orderCells>;
  order_operators: Kyselify<typeof orderOperators>;
  scoring_thresholds: Kyselify<typeof scoringThresholds>;
  scoring_allowlist: Kyselify<typeof scoringAllowlist>;
  scoring_alerts: Kyselify<typeof scoringAlerts>;
  scoring_streams: Kyselify<typeof scoringStreams>;
  scoring_line_state: Kyselify<typeof scoringLineState>;
  scoring_line_hours: Kyselify<typeof scoringLineHours>;
  scoring_imei_state: Kyselify<typeof scoringImeiState>;
  scoring_group_alerts: Kyselify<typeof scoringGroupAlerts>;
  scoring_group_state: Kyselify<typeof scoringGroupState>;
  watchlist_indicators: Kyselify<typeof watchlistIndicators>;
  watchlist_indicator_sources: Kyselify<typeof watchlistIndicatorSources>;
  watchlist_sightings: Kyselify<typeof watchlistSightings>;
  watchlist_warninglist: Kyselify<typeof watchlistWarninglist>;
  watchlist_lifetimes: Kyselify<typeof watchlistLifetimes>;
  watchlist_registration_policies: Kyselify<typeof watchlistRegistrationPolicies>;
  webhook_subscriptions: Kyselify<typeof webhookSubscriptions>;
  webhook_events: Kyselify<typeof webhookEvents>;
  webhook_deliveries: Kyselify<typeof webhookDeliveries>;
  federation_pulls: Kyselify<typeof federationPulls>;
  federation_imports: Kyselify<typeof federationImports>;
  federation_sighting_outbox: Kyselify<typeof federationSightingOutbox>;
  federation_statuses: Kyselify<typeof federationStatuses>;
  federation_received_sightings: Kyselify<typeof federationReceivedSightings>;
}
