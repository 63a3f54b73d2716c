/**
 * What a scam rule is made of, and the helpers the rule files share. Each rule lives in its own
 * file as one object; `index.ts` lists them and derives every registry from the list.
 */

/** How a threshold field is checked when an operator sets it. */
export type FieldKind = 'count' | 'share' | 'ratio' | 'seconds' | 'hours';

/**
 * Features of one line over the 24-hour and 1-hour windows ending at the same hour boundary.
 * Distinct counts are exact up to the cap the engine documents and saturate there.
 */
export interface WindowFeatures {
  outgoing_calls_24h: number;
  answered_calls_24h: number;
  short_or_unanswered_calls_24h: number;
  short_or_unanswered_share_24h: number;
  incoming_calls_24h: number;
  /** Outgoing over incoming voice calls, with no incoming call counted as one. */
  outgoing_incoming_ratio_24h: number;
  sms_sent_24h: number;
  url_sms_sent_24h: number;
  distinct_callees_24h: number;
  distinct_cells_24h: number;
  outgoing_calls_1h: number;
  sms_sent_1h: number;
  /** Outgoing voice calls plus outgoing SMS. */
  outgoing_1h: number;
  wangiri_calls_1h: number;
  wangiri_international_calls_1h: number;
  wangiri_international_share_1h: number;
  wangiri_distinct_numbers_1h: number;
  url_sms_sent_1h: number;
  url_sms_recipients_1h: number;
  /** Hours from registration to the start of the 1-hour window; null when unknown. */
  line_age_hours: number | null;
}

export type FeatureName = keyof WindowFeatures | 'distinct_imsis_24h';
export type ComparisonOp = '>' | '>=' | '<=';

export interface Evidence {
  feature: FeatureName;
  value: number;
  threshold: number;
  op: ComparisonOp;
}

export interface Hit<C extends string> {
  rule: C;
  score: number;
  evidence: Evidence[];
}

/**
 * The counts a line's gates read, summed over the window without counting distinct sets: the
 * engine fills them once per evaluation, before it builds the features.
 */
export interface GateCounts {
  outgoingCalls24h: number;
  /** Outgoing voice calls plus outgoing SMS in the last hour. */
  outgoing1h: number;
  wangiriCalls1h: number;
  urlSms1h: number;
}

type Fields<T> = { readonly [K in keyof T]: FieldKind };

interface RuleBase<C extends string, T> {
  readonly code: C;
  /** Default thresholds, and how each field is checked. */
  readonly defaults: Readonly<T>;
  readonly fields: Fields<T>;
}

/** A rule over one line's window features. */
export interface LineRule<C extends string, T> extends RuleBase<C, T> {
  readonly subject: 'line';
  /** The window its features span (the 24-hour one, or the last hour of it). */
  readonly window: '1h' | '24h';
  /**
   * Every condition can only become true as records are added, so the engine evaluates it as
   * records come in instead of waiting for the window to close.
   */
  readonly early: boolean;
  /** A legitimate bulk caller (allowlisted MSISDN) never fires it. */
  readonly volume: boolean;
  /**
   * A necessary condition on cheap counts: false means evaluating cannot raise the rule, so the
   * engine skips the features of lines whose gates are all shut.
   */
  gate(c: GateCounts, t: T): boolean;
  evaluate(f: WindowFeatures, t: T): Hit<C> | undefined;
}

/** A rule over one IMEI's distinct IMSIs in a UTC day. */
export interface ImeiRule<C extends string, T> extends RuleBase<C, T> {
  readonly subject: 'imei';
  readonly window: 'day';
  /** A necessary condition on an upper bound of the distinct IMSIs (the per-hour counts summed). */
  gate(imsisBound: number, t: T): boolean;
  evaluate(distinctImsis: number, t: T): Hit<C> | undefined;
}

/** How far past a lower bound a value is, as a factor clamped to [1, 10]. */
export function margin(value: number, threshold: number): number {
  if (threshold <= 0) return 1;
  return Math.min(10, Math.max(1, value / threshold));
}

/**
 * 0.5 right at the thresholds, rising towards 0.95 at ten times them (geometric mean of the
 * intensity margins). Distinct counts are left out: they saturate at their caps.
 */
export function scoreOf(margin1: number, margin2 = 1): number {
  return 1 - 0.5 / Math.sqrt(margin1 * margin2);
}

export function evidence(
  feature: FeatureName,
  value: number,
  threshold: number,
  op: ComparisonOp,
): Evidence {
  return { feature, value, threshold, op };
}

/**
 * One line's records within one group key and window (a cell, or a block of target numbers),
 * as the group stage summarises them. Counts are of the records the group key saw, not of the
 * line's whole traffic.
 */
export interface GroupMember {
  msisdn: string;
  operatorId: string | null;
  personKey: string | null;
  outgoingCalls: number;
  answeredCalls: number;
  /** Outgoing calls unanswered or shorter than `short_call_burst.shortCallSec`. */
  shortOrUnanswered: number;
  /** Answered outgoing calls of at least a minute (call centres, tour guides). */
  longAnswered: number;
  incomingCalls: number;
  smsSent: number;
  urlSms: number;
  /** Outgoing calls unanswered and at most `wangiri.maxDurationSec` long. */
  oneRingCalls: number;
  oneRingInternational: number;
  /** Distinct numbers called or texted (outgoing), up to the group cap. */
  targets: number;
  /** Distinct blocks of a thousand numbers those targets fall in (a hit list: few), capped. */
  targetBlocks: number;
  imeis: readonly string[];
  firstAt: number;
  lastAt: number;
}

/** The window of one group key as a rule sees it. */
export interface GroupView {
  key: string;
  members: readonly GroupMember[];
  /** Distinct target numbers of the key (for a block key: the numbers of the block reached). */
  distinctTargets: number;
}

export type GroupKeyKind = 'cell' | 'sms-block' | 'call-block';

export interface GroupEvidence {
  feature: string;
  value: number;
  threshold: number;
  op: ComparisonOp;
}

export interface GroupHit<C extends string> {
  rule: C;
  score: number;
  /** The members that behave alike: the alert's member lines. */
  members: GroupMember[];
  evidence: GroupEvidence[];
}

/**
 * A rule over a group of lines sharing a key (cell or target block) in a UTC day: each member
 * must behave alike (`qualifies`), and the group's totals must pass the thresholds.
 */
export interface GroupRule<C extends string, T> extends RuleBase<C, T> {
  readonly subject: 'group';
  readonly window: 'day';
  /**
   * Which group keys it reads: `cell:<id>`, or a block of target numbers (the number without its
   * last three digits) reached by URL SMS (`sms-block:`) or by short or unanswered calls
   * (`call-block:`).
   */
  readonly keyKind: GroupKeyKind;
  /**
   * What `evaluate` reads beyond its qualifying members: the key's distinct targets, the
   * handsets of all its lines. Its hit must need enough qualifying members (fewer never hit) and
   * its members must be qualifying ones: the engine evaluates a key again only when a line newly
   * qualifies or what is named here changed.
   */
  readonly reads: readonly ('distinctTargets' | 'handsets')[];
  qualifies(m: GroupMember, t: T): boolean;
  evaluate(g: GroupView, t: T): GroupHit<C> | undefined;
}

export function groupEvidence(
  feature: string,
  value: number,
  threshold: number,
  op: ComparisonOp,
): GroupEvidence {
  return { feature, value, threshold, op };
}

/** Outgoing over incoming calls, no incoming call counted as one. */
export function outInRatio(m: GroupMember): number {
  return m.outgoingCalls / Math.max(1, m.incomingCalls);
}
