/**
 * The engine's state in memory: per stream, its lines (their hour buckets of counts and distinct
 * sets), its IMEIs, and what changed since the last export. Only the engine writes it.
 */
import type { ListedEntry } from '../watchlist/matching/matcher.js';
import { type AlertRuleCode, type Evidence, RULE_WINDOW, type RuleCode } from './rules/index.js';
import { type EventTimeClock, HOUR_MS, noValues, RecordIds, WINDOW_HOURS } from './windows.js';

export interface Registration {
  /** Epoch ms of the registration, null when the line has none. */
  registeredAt: number | null;
  personKey: string | null;
}

export interface RaisedAlert {
  stream: string;
  msisdn: string;
  operatorId: string | null;
  rule: AlertRuleCode;
  score: number;
  windowStart: number;
  windowEnd: number;
  evidence: {
    checks: Evidence[];
    lineScore: number;
    imei?: string;
    imsis?: string[];
    indicator?: { id: string; type: string; category: string };
    recordId?: string;
  };
  personKey: string | null;
}

/** One hour of a line: the hashes of its record ids (deduplication, inherited) and its counts. */
export class LineBucket extends RecordIds {
  outgoingCalls = 0;
  answeredCalls = 0;
  shortOrUnanswered = 0;
  incomingCalls = 0;
  smsSent = 0;
  urlSms = 0;
  wangiriCalls = 0;
  wangiriInternational = 0;
  /** Distinct parties as `hash53` values: only their count is read, never the numbers. */
  callees = noValues<number>();
  cells = noValues<string>();
  wangiriNumbers = noValues<number>();
  urlRecipients = noValues<number>();
  /** Changed since the last export (listed in its stream's `dirtyBuckets`). */
  dirty = false;
  constructor(readonly hour: number) {
    super();
  }
}

export class ImeiBucket {
  imsis = noValues<string>();
  constructor(readonly hour: number) {}
}

export class LineState {
  buckets: LineBucket[] = [];
  operatorId: string | null = null;
  /** undefined until looked up. */
  registration: Registration | undefined = undefined;
  /** Per rule, the end of the last window it was raised for. */
  raised: Partial<Record<RuleCode, number>> = {};
  /** The IMEI/IMSI pair and UTC day last forwarded to the IMEI stage. */
  sightingImei: string | null = null;
  sightingImsi: string | null = null;
  sightingDay = -1;
  /** The shared copy of the cell of the line's last record (not stored). */
  lastCell: string | null = null;
  /**
   * The watchlist's answers for the line's own number and its last IMEI, as of the index's
   * `generation` (not stored): a line's records repeat both, so most records skip those lookups.
   */
  watchGeneration = -1;
  watchSelf: ListedEntry | undefined = undefined;
  watchImei: string | null = null;
  watchDevice: ListedEntry | undefined = undefined;
  /**
   * Whether the fields above changed since the last export (listed in the stream's `dirtyLines`;
   * buckets track their own).
   */
  metaDirty = false;
  constructor(readonly msisdn: string) {}
}

export class ImeiState {
  buckets: ImeiBucket[] = [];
  msisdn = '';
  operatorId: string | null = null;
  raisedUntil = Number.NEGATIVE_INFINITY;
  constructor(readonly imei: string) {}
}

export class StreamState {
  alerts: RaisedAlert[] = [];
  lines = new Map<string, LineState>();
  imeis = new Map<string, ImeiState>();
  /** Lines whose own fields changed since the last export (each listed once). */
  dirtyLines: LineState[] = [];
  /** Buckets changed since the last export, each listed once, and the line of each. */
  dirtyBuckets: LineBucket[] = [];
  dirtyBucketLines: string[] = [];
  dirtyImeis = new Set<string>();
  removedLines = new Set<string>();
  removedImeis = new Set<string>();
  /** Lines that took records in hours already evaluated, with those hours (`reviewLate`). */
  lateLines = new Map<LineState, number[]>();
  /** Hour buckets dropped from lines that remain (a clock repair at import), to delete. */
  removedHourKeys: string[] = [];
  removedHours: number[] = [];
  constructor(readonly clock: EventTimeClock) {}
}

/**
 * The first hour of line buckets kept: the open windows' hours and one more, so the last
 * evaluated 24-hour window can be evaluated again whole when records come late for it.
 */
export function lineBucketsFrom(clock: EventTimeClock): number {
  return clock.firstOpenHour - 1;
}

/** The stream's state of `msisdn`, created when missing. */
export function lineOf(s: StreamState, msisdn: string): LineState {
  let line = s.lines.get(msisdn);
  if (line === undefined) {
    line = new LineState(msisdn);
    s.lines.set(msisdn, line);
    s.removedLines.delete(msisdn);
    metaChanged(s, line);
  }
  return line;
}

/** Marks the line's own fields for the next export. */
export function metaChanged(s: StreamState, line: LineState): void {
  if (line.metaDirty) return;
  line.metaDirty = true;
  s.dirtyLines.push(line);
}

/** Whether `rule` may still be raised for the line on the window ending at `windowEnd`. */
export function windowOpen(line: LineState, rule: RuleCode, windowEnd: number): boolean {
  const last = line.raised[rule];
  const length = RULE_WINDOW[rule] === '1h' ? HOUR_MS : WINDOW_HOURS * HOUR_MS;
  return last === undefined || last <= windowEnd - length;
}

export function activeIn(line: LineState, hour: number): boolean {
  for (let i = line.buckets.length - 1; i >= 0; i--) {
    const h = (line.buckets[i] as LineBucket).hour;
    if (h === hour) return true;
    if (h < hour) return false;
  }
  return false;
}
