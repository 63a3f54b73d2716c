/**
 * Watchlist rules: record-level, not window rules. Each record is matched against the listed
 * indicators as it is ingested, and an alert is raised once per line, rule, indicator and UTC
 * day; they have no thresholds (a listing is the operator's or a partner's decision).
 */
export const WATCHLIST_RULE_CODES = [
  /** The line called, texted or was reached by a listed number. */
  'watchlist_contact',
  /** A listed number is itself an active line here. */
  'watchlist_line_active',
  /** A listed device (IMEI) was seen. */
  'watchlist_device',
  /** The line reached a listed server (IP address or range) or domain. */
  'watchlist_server',
] as const;

export type WatchlistRuleCode = (typeof WATCHLIST_RULE_CODES)[number];

/** Watchlist alerts' score: a listing is a finding, not a statistical signal. */
export const WATCHLIST_SCORE: Readonly<Record<WatchlistRuleCode, number>> = {
  watchlist_contact: 0.5,
  watchlist_line_active: 0.95,
  watchlist_device: 0.9,
  watchlist_server: 0.5,
};
