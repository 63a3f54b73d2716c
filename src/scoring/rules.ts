/**
 * Scam rules over per-line window features. Pure functions: the engine aggregates the features
 * and decides when to evaluate; this module only says which rules fire, why, and how strongly.
 */

export const RULE_CODES = [
  'high_volume_calling',
  'short_call_burst',
  'wangiri',
  'simbox',
  'imei_multi_sim',
  'sms_blast_urls',
  'new_line_burst',
] as const;
export type RuleCode = (typeof RULE_CODES)[number];
export type LineRuleCode = Exclude<RuleCode, 'imei_multi_sim'>;

export type RuleWindow = '1h' | '24h';

export const RULE_WINDOW: Readonly<Record<RuleCode, RuleWindow>> = Object.freeze({
  high_volume_calling: '24h',
  short_call_burst: '24h',
  wangiri: '1h',
  simbox: '24h',
  imei_multi_sim: '24h',
  sms_blast_urls: '1h',
  new_line_burst: '1h',
});

/** Rules a legitimate bulk caller (allowlisted MSISDN) can never fire. */
export const VOLUME_RULES: ReadonlySet<RuleCode> = new Set<RuleCode>([
  'high_volume_calling',
  'short_call_burst',
  'simbox',
  'sms_blast_urls',
  'new_line_burst',
]);

export interface Thresholds {
  high_volume_calling: { outgoingCallsAbove: number; distinctCalleesAtLeast: number };
  short_call_burst: {
    outgoingCallsAtLeast: number;
    /** Calls shorter than this, or unanswered, count as short. */
    shortCallSec: number;
    shortOrUnansweredShareAbove: number;
  };
  wangiri: {
    /** Outgoing calls that were unanswered and lasted at most `maxDurationSec`. */
    callsAtLeast: number;
    maxDurationSec: number;
    distinctNumbersAtLeast: number;
    internationalShareAtLeast: number;
  };
  simbox: {
    outgoingCallsAtLeast: number;
    distinctCalleesAtLeast: number;
    outgoingIncomingRatioAtLeast: number;
    smsSentAtMost: number;
    distinctCellsAtMost: number;
  };
  imei_multi_sim: { distinctImsisAtLeast: number };
  sms_blast_urls: { urlSmsAtLeast: number; distinctRecipientsAtLeast: number };
  new_line_burst: { lineAgeHoursAtMost: number; outgoingAtLeast: number };
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) {
    if (typeof v === 'object' && v !== null) deepFreeze(v);
  }
  return Object.freeze(o);
}

export const DEFAULT_THRESHOLDS: Thresholds = deepFreeze({
  /** The Thai regulator's figure: more than 100 outgoing calls a day. */
  high_volume_calling: { outgoingCallsAbove: 100, distinctCalleesAtLeast: 50 },
  short_call_burst: {
    outgoingCallsAtLeast: 100,
    shortCallSec: 6,
    shortOrUnansweredShareAbove: 0.2,
  },
  wangiri: {
    callsAtLeast: 30,
    maxDurationSec: 3,
    distinctNumbersAtLeast: 25,
    internationalShareAtLeast: 0.6,
  },
  simbox: {
    outgoingCallsAtLeast: 60,
    distinctCalleesAtLeast: 40,
    outgoingIncomingRatioAtLeast: 10,
    smsSentAtMost: 2,
    distinctCellsAtMost: 2,
  },
  imei_multi_sim: { distinctImsisAtLeast: 5 },
  sms_blast_urls: { urlSmsAtLeast: 50, distinctRecipientsAtLeast: 40 },
  new_line_burst: { lineAgeHoursAtMost: 48, outgoingAtLeast: 40 },
});

type FieldKind = 'count' | 'share' | 'ratio' | 'seconds' | 'hours';

const THRESHOLD_FIELDS: { [R in RuleCode]: Record<keyof Thresholds[R], FieldKind> } = {
  high_volume_calling: { outgoingCallsAbove: 'count', distinctCalleesAtLeast: 'count' },
  short_call_burst: {
    outgoingCallsAtLeast: 'count',
    shortCallSec: 'seconds',
    shortOrUnansweredShareAbove: 'share',
  },
  wangiri: {
    callsAtLeast: 'count',
    maxDurationSec: 'seconds',
    distinctNumbersAtLeast: 'count',
    internationalShareAtLeast: 'share',
  },
  simbox: {
    outgoingCallsAtLeast: 'count',
    distinctCalleesAtLeast: 'count',
    outgoingIncomingRatioAtLeast: 'ratio',
    smsSentAtMost: 'count',
    distinctCellsAtMost: 'count',
  },
  imei_multi_sim: { distinctImsisAtLeast: 'count' },
  sms_blast_urls: { urlSmsAtLeast: 'count', distinctRecipientsAtLeast: 'count' },
  new_line_burst: { lineAgeHoursAtMost: 'hours', outgoingAtLeast: 'count' },
};

/** Counts also size the distinct-value caps, so they are bounded to keep memory bounded. */
const MAX_COUNT = 100_000;

function fieldProblem(kind: FieldKind, v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a finite number';
  switch (kind) {
    case 'count':
      return Number.isInteger(v) && v >= 0 && v <= MAX_COUNT
        ? undefined
        : `must be an integer between 0 and ${MAX_COUNT}`;
    case 'share':
      return v >= 0 && v <= 1 ? undefined : 'must be between 0 and 1';
    case 'ratio':
      return v >= 0 && v <= 1_000_000 ? undefined : 'must be between 0 and 1000000';
    case 'seconds':
      return v >= 0 && v <= 3600 ? undefined : 'must be between 0 and 3600';
    case 'hours':
      return v >= 0 && v <= 8760 ? undefined : 'must be between 0 and 8760';
  }
}

export interface ThresholdIssue {
  path: string;
  message: string;
}

export type ThresholdValidation =
  | { ok: true; thresholds: Thresholds }
  | { ok: false; issues: ThresholdIssue[] };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks thresholds given as JSON. Rules and fields left out keep their value in `base`, so a
 * partial update is valid; unknown rules or fields are issues (they are usually typos).
 */
export function validateThresholds(
  input: unknown,
  base: Thresholds = DEFAULT_THRESHOLDS,
): ThresholdValidation {
  if (!isPlainObject(input)) {
    return { ok: false, issues: [{ path: '', message: 'must be an object' }] };
  }
  const issues: ThresholdIssue[] = [];
  const merged = structuredClone(base) as unknown as Record<string, Record<string, number>>;
  for (const [rule, section] of Object.entries(input)) {
    const fields = (THRESHOLD_FIELDS as Record<string, Record<string, FieldKind> | undefined>)[
      rule
    ];
    const target = merged[rule];
    if (fields === undefined || target === undefined) {
      issues.push({ path: rule, message: 'unknown rule' });
      continue;
    }
    if (!isPlainObject(section)) {
      issues.push({ path: rule, message: 'must be an object' });
      continue;
    }
    for (const [field, value] of Object.entries(section)) {
      const kind = fields[field];
      if (kind === undefined) {
        issues.push({ path: `${rule}.${field}`, message: 'unknown field' });
        continue;
      }
      const problem = fieldProblem(kind, value);
      if (problem !== undefined) {
        issues.push({ path: `${rule}.${field}`, message: problem });
        continue;
      }
      target[field] = value as number;
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, thresholds: deepFreeze(merged as unknown as Thresholds) };
}

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

export interface RuleHit {
  rule: RuleCode;
  score: number;
  evidence: Evidence[];
}

export function emptyFeatures(): WindowFeatures {
  return {
    outgoing_calls_24h: 0,
    answered_calls_24h: 0,
    short_or_unanswered_calls_24h: 0,
    short_or_unanswered_share_24h: 0,
    incoming_calls_24h: 0,
    outgoing_incoming_ratio_24h: 0,
    sms_sent_24h: 0,
    url_sms_sent_24h: 0,
    distinct_callees_24h: 0,
    distinct_cells_24h: 0,
    outgoing_calls_1h: 0,
    sms_sent_1h: 0,
    outgoing_1h: 0,
    wangiri_calls_1h: 0,
    wangiri_international_calls_1h: 0,
    wangiri_international_share_1h: 0,
    wangiri_distinct_numbers_1h: 0,
    url_sms_sent_1h: 0,
    url_sms_recipients_1h: 0,
    line_age_hours: null,
  };
}

/** How far past a lower bound a value is, as a factor clamped to [1, 10]. */
function margin(value: number, threshold: number): number {
  if (threshold <= 0) return 1;
  return Math.min(10, Math.max(1, value / threshold));
}

/**
 * 0.5 right at the thresholds, rising towards 0.95 at ten times them (geometric mean of the
 * intensity margins). Distinct counts are left out: they saturate at their caps.
 */
function scoreOf(margin1: number, margin2 = 1): number {
  return 1 - 0.5 / Math.sqrt(margin1 * margin2);
}

function evidence(feature: FeatureName, value: number, threshold: number, op: ComparisonOp) {
  return { feature, value, threshold, op };
}

/** Appends to `out` every line rule that fires on `f`. Allocates only for rules that fire. */
export function evaluateLineRules(f: WindowFeatures, t: Thresholds, out: RuleHit[]): void {
  const hv = t.high_volume_calling;
  if (
    f.outgoing_calls_24h > hv.outgoingCallsAbove &&
    f.distinct_callees_24h >= hv.distinctCalleesAtLeast
  ) {
    out.push({
      rule: 'high_volume_calling',
      score: scoreOf(margin(f.outgoing_calls_24h, hv.outgoingCallsAbove)),
      evidence: [
        evidence('outgoing_calls_24h', f.outgoing_calls_24h, hv.outgoingCallsAbove, '>'),
        evidence('distinct_callees_24h', f.distinct_callees_24h, hv.distinctCalleesAtLeast, '>='),
      ],
    });
  }

  const sc = t.short_call_burst;
  if (
    f.outgoing_calls_24h >= sc.outgoingCallsAtLeast &&
    f.short_or_unanswered_share_24h > sc.shortOrUnansweredShareAbove
  ) {
    out.push({
      rule: 'short_call_burst',
      score: scoreOf(
        margin(f.outgoing_calls_24h, sc.outgoingCallsAtLeast),
        margin(f.short_or_unanswered_share_24h, sc.shortOrUnansweredShareAbove),
      ),
      evidence: [
        evidence('outgoing_calls_24h', f.outgoing_calls_24h, sc.outgoingCallsAtLeast, '>='),
        evidence(
          'short_or_unanswered_share_24h',
          f.short_or_unanswered_share_24h,
          sc.shortOrUnansweredShareAbove,
          '>',
        ),
      ],
    });
  }

  const w = t.wangiri;
  if (
    f.wangiri_calls_1h >= w.callsAtLeast &&
    f.wangiri_distinct_numbers_1h >= w.distinctNumbersAtLeast &&
    f.wangiri_international_share_1h >= w.internationalShareAtLeast
  ) {
    out.push({
      rule: 'wangiri',
      score: scoreOf(
        margin(f.wangiri_calls_1h, w.callsAtLeast),
        margin(f.wangiri_international_share_1h, w.internationalShareAtLeast),
      ),
      evidence: [
        evidence('wangiri_calls_1h', f.wangiri_calls_1h, w.callsAtLeast, '>='),
        evidence(
          'wangiri_distinct_numbers_1h',
          f.wangiri_distinct_numbers_1h,
          w.distinctNumbersAtLeast,
          '>=',
        ),
        evidence(
          'wangiri_international_share_1h',
          f.wangiri_international_share_1h,
          w.internationalShareAtLeast,
          '>=',
        ),
      ],
    });
  }

  const sb = t.simbox;
  if (
    f.outgoing_calls_24h >= sb.outgoingCallsAtLeast &&
    f.distinct_callees_24h >= sb.distinctCalleesAtLeast &&
    f.outgoing_incoming_ratio_24h >= sb.outgoingIncomingRatioAtLeast &&
    f.sms_sent_24h <= sb.smsSentAtMost &&
    f.distinct_cells_24h <= sb.distinctCellsAtMost
  ) {
    out.push({
      rule: 'simbox',
      score: scoreOf(
        margin(f.outgoing_calls_24h, sb.outgoingCallsAtLeast),
        margin(f.outgoing_incoming_ratio_24h, sb.outgoingIncomingRatioAtLeast),
      ),
      evidence: [
        evidence('outgoing_calls_24h', f.outgoing_calls_24h, sb.outgoingCallsAtLeast, '>='),
        evidence('distinct_callees_24h', f.distinct_callees_24h, sb.distinctCalleesAtLeast, '>='),
        evidence(
          'outgoing_incoming_ratio_24h',
          f.outgoing_incoming_ratio_24h,
          sb.outgoingIncomingRatioAtLeast,
          '>=',
        ),
        evidence('sms_sent_24h', f.sms_sent_24h, sb.smsSentAtMost, '<='),
        evidence('distinct_cells_24h', f.distinct_cells_24h, sb.distinctCellsAtMost, '<='),
      ],
    });
  }

  const sms = t.sms_blast_urls;
  if (
    f.url_sms_sent_1h >= sms.urlSmsAtLeast &&
    f.url_sms_recipients_1h >= sms.distinctRecipientsAtLeast
  ) {
    out.push({
      rule: 'sms_blast_urls',
      score: scoreOf(margin(f.url_sms_sent_1h, sms.urlSmsAtLeast)),
      evidence: [
        evidence('url_sms_sent_1h', f.url_sms_sent_1h, sms.urlSmsAtLeast, '>='),
        evidence(
          'url_sms_recipients_1h',
          f.url_sms_recipients_1h,
          sms.distinctRecipientsAtLeast,
          '>=',
        ),
      ],
    });
  }

  const nl = t.new_line_burst;
  if (
    f.line_age_hours !== null &&
    f.line_age_hours <= nl.lineAgeHoursAtMost &&
    f.outgoing_1h >= nl.outgoingAtLeast
  ) {
    out.push({
      rule: 'new_line_burst',
      score: scoreOf(margin(f.outgoing_1h, nl.outgoingAtLeast)),
      evidence: [
        evidence('line_age_hours', f.line_age_hours, nl.lineAgeHoursAtMost, '<='),
        evidence('outgoing_1h', f.outgoing_1h, nl.outgoingAtLeast, '>='),
      ],
    });
  }
}

/** The imei_multi_sim rule, over one IMEI's distinct IMSIs in 24 hours. */
export function evaluateImeiRule(distinctImsis: number, t: Thresholds): RuleHit | undefined {
  const threshold = t.imei_multi_sim.distinctImsisAtLeast;
  if (distinctImsis < threshold) return undefined;
  return {
    rule: 'imei_multi_sim',
    score: scoreOf(margin(distinctImsis, threshold)),
    evidence: [evidence('distinct_imsis_24h', distinctImsis, threshold, '>=')],
  };
}

/** Removes the volume rules from `hits` in place (for allowlisted lines). */
export function dropVolumeRules(hits: RuleHit[]): void {
  let kept = 0;
  for (const hit of hits) {
    if (!VOLUME_RULES.has(hit.rule)) hits[kept++] = hit;
  }
  hits.length = kept;
}

/** A line's risk: 1 − Π(1 − sᵢ) over the rules firing on it. */
export function combineScores(hits: readonly RuleHit[]): number {
  let keep = 1;
  for (const hit of hits) keep *= 1 - hit.score;
  return 1 - keep;
}

/**
 * How many entries each distinct set keeps. A set holding threshold + 1 values decides its rule
 * either way ("≥ n" holds, "≤ n" fails), so it stops growing there and memory stays bounded even
 * for a line calling thousands of numbers. IMSIs per IMEI are the imei_multi_sim rule's intensity
 * and are rare, so they get a roomier cap for the evidence and the score.
 */
export function distinctCaps(t: Thresholds) {
  return {
    callees:
      Math.max(t.high_volume_calling.distinctCalleesAtLeast, t.simbox.distinctCalleesAtLeast) + 1,
    wangiriCallees: t.wangiri.distinctNumbersAtLeast + 1,
    urlRecipients: t.sms_blast_urls.distinctRecipientsAtLeast + 1,
    cells: t.simbox.distinctCellsAtMost + 1,
    imsis: Math.max(64, t.imei_multi_sim.distinctImsisAtLeast + 1),
  };
}
