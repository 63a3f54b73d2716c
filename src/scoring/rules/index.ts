/**
 * The scorer's rules: one file each (code, window, early and volume flags, thresholds with the
 * kind of each field, the gate, the evaluation), listed here once. Every registry of rules (the
 * codes, windows, defaults, threshold validation, the gates the engine checks) is derived from
 * this list, so a rule is one file and one line below, and none exists without a gate.
 */
import { coordinatedCalling } from './coordinated-calling.js';
import { coordinatedSmsBlast } from './coordinated-sms-blast.js';
import { coordinatedWangiri } from './coordinated-wangiri.js';
import { highVolumeCalling } from './high-volume-calling.js';
import { imeiMultiSim } from './imei-multi-sim.js';
import { newLineBurst } from './new-line-burst.js';
import type {
  FieldKind,
  GateCounts,
  GroupRule,
  Hit,
  ImeiRule,
  LineRule,
  WindowFeatures,
} from './rule.js';
import { shortCallBurst } from './short-call-burst.js';
import { simbox } from './simbox.js';
import { simboxCluster } from './simbox-cluster.js';
import { smsBlastUrls } from './sms-blast-urls.js';
import { targetSweep } from './target-sweep.js';
import { wangiri } from './wangiri.js';
import { WATCHLIST_RULE_CODES, type WatchlistRuleCode } from './watchlist.js';

export type {
  ComparisonOp,
  Evidence,
  FeatureName,
  GateCounts,
  WindowFeatures,
} from './rule.js';

/** Every rule, in the order their alerts and evidence are listed. */
export const RULES = [
  highVolumeCalling,
  shortCallBurst,
  wangiri,
  simbox,
  imeiMultiSim,
  smsBlastUrls,
  newLineBurst,
] as const;

/**
 * The group rules: over the lines sharing a cell or a block of target numbers in a UTC day, run
 * by the group stage (`src/scoring/group/`). Their thresholds live beside the line rules'.
 */
export const GROUP_RULES = [
  coordinatedCalling,
  coordinatedSmsBlast,
  coordinatedWangiri,
  simboxCluster,
  targetSweep,
] as const;

type AnyRule = (typeof RULES)[number];
type AnyGroupRule = (typeof GROUP_RULES)[number];
export type GroupRuleCode = AnyGroupRule['code'];
export const GROUP_RULE_CODES = GROUP_RULES.map((r) => r.code) as unknown as readonly [
  GroupRuleCode,
  ...GroupRuleCode[],
];

/** The group rules, typed loosely so the group engine can run them in one loop. */
export const GROUP_RULE_LIST: readonly GroupRule<GroupRuleCode, unknown>[] = GROUP_RULES;

/** Every rule with thresholds: the line and IMEI rules, then the group rules. */
const THRESHOLD_RULES = [...RULES, ...GROUP_RULES] as const;
export type ThresholdRuleCode = RuleCode | GroupRuleCode;
export const THRESHOLD_RULE_CODES = THRESHOLD_RULES.map((r) => r.code) as unknown as readonly [
  ThresholdRuleCode,
  ...ThresholdRuleCode[],
];
export type RuleCode = AnyRule['code'];
export type LineRuleCode = Extract<AnyRule, { subject: 'line' }>['code'];
export type RuleWindow = AnyRule['window'];

export const RULE_CODES = RULES.map((r) => r.code) as unknown as readonly [RuleCode, ...RuleCode[]];

/** Every code an alert can carry: the threshold rules' and the watchlist's record-level ones. */
export type AlertRuleCode = RuleCode | GroupRuleCode | WatchlistRuleCode;
export const ALERT_RULE_CODES = [
  ...RULE_CODES,
  ...GROUP_RULE_CODES,
  ...WATCHLIST_RULE_CODES,
] as unknown as readonly [AlertRuleCode, ...AlertRuleCode[]];

/** Per rule, its threshold fields (the defaults' shape). */
export type Thresholds = {
  [R in AnyRule | AnyGroupRule as R['code']]: Parameters<R['evaluate']>[1];
};

export type RuleHit = Hit<RuleCode>;

/** The line rules, typed loosely so the engine can run them in one loop. */
const LINE_RULES: readonly LineRule<LineRuleCode, unknown>[] = RULES.filter(
  (r) => r.subject === 'line',
);
type ImeiRuleCode = Extract<AnyRule, { subject: 'imei' }>['code'];
const IMEI_RULES: readonly ImeiRule<ImeiRuleCode, unknown>[] = RULES.filter(
  (r) => r.subject === 'imei',
);
/** An IMEI is raised once a day (`raisedUntil`), so the engine holds exactly one IMEI rule. */
if (IMEI_RULES.length !== 1) throw new Error('the rule list must hold exactly one IMEI rule');
const IMEI_RULE = IMEI_RULES[0] as ImeiRule<ImeiRuleCode, unknown>;

export const RULE_WINDOW: Readonly<Record<RuleCode, RuleWindow>> = Object.freeze(
  Object.fromEntries(RULES.map((r) => [r.code, r.window])) as Record<RuleCode, RuleWindow>,
);

/** Rules a legitimate bulk caller (allowlisted MSISDN) can never fire. */
export const VOLUME_RULES: ReadonlySet<RuleCode> = new Set(
  LINE_RULES.filter((r) => r.volume).map((r) => r.code),
);

/** Rules the engine evaluates as records come in (their conditions only grow). */
export const EARLY_RULES: ReadonlySet<RuleCode> = new Set(
  LINE_RULES.filter((r) => r.early).map((r) => r.code),
);

/** Rules over one hour: the ones a late record's own hour window can raise. */
export const HOURLY_RULES: ReadonlySet<RuleCode> = new Set(
  LINE_RULES.filter((r) => r.window === '1h').map((r) => r.code),
);

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) {
    if (typeof v === 'object' && v !== null) deepFreeze(v);
  }
  return Object.freeze(o);
}

export const DEFAULT_THRESHOLDS: Thresholds = deepFreeze(
  Object.fromEntries(THRESHOLD_RULES.map((r) => [r.code, { ...r.defaults }])) as Thresholds,
);

const THRESHOLD_FIELDS: Readonly<Record<string, Readonly<Record<string, FieldKind>>>> =
  Object.fromEntries(THRESHOLD_RULES.map((r) => [r.code, r.fields]));

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
    const fields = THRESHOLD_FIELDS[rule];
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

/** Whether any line rule's gate is open: if none is, evaluating the line cannot raise anything. */
export function mayRaiseAny(c: GateCounts, t: Thresholds): boolean {
  const sections = t as unknown as Record<LineRuleCode, unknown>;
  for (const r of LINE_RULES) if (r.gate(c, sections[r.code])) return true;
  return false;
}

/** Appends to `out` every line rule that fires on `f`. Allocates only for rules that fire. */
export function evaluateLineRules(f: WindowFeatures, t: Thresholds, out: RuleHit[]): void {
  const sections = t as unknown as Record<LineRuleCode, unknown>;
  for (const r of LINE_RULES) {
    const hit = r.evaluate(f, sections[r.code]);
    if (hit !== undefined) out.push(hit);
  }
}

/** The IMEI rule's gate, over the per-hour distinct IMSI counts summed (an upper bound). */
export function imeiMayRaise(imsisBound: number, t: Thresholds): boolean {
  return IMEI_RULE.gate(imsisBound, t[IMEI_RULE.code]);
}

/** The IMEI rule, over one IMEI's distinct IMSIs in its UTC day. */
export function evaluateImeiRule(distinctImsis: number, t: Thresholds): RuleHit | undefined {
  return IMEI_RULE.evaluate(distinctImsis, t[IMEI_RULE.code]);
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
