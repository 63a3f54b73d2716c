/**
 * The scoring engine: per-line hour buckets in event time, deduplicated by record id, evaluated
 * against the rules when the watermark closes a window (all rules) and, for rules whose
 * conditions only grow with more records, early on each batch so alerts come out within seconds.
 *
 * State is kept per stream (a Kafka partition, or `http` for records fed over HTTP): a line's
 * records all arrive on one stream, so each stream's watermark decides its own windows and the
 * result does not depend on which process holds which partitions. Nothing here reads a clock or
 * the database; the runner feeds records, registration data and rule settings, and persists what
 * `export*` hands back.
 */
import { callingCode, isInternational } from './calling-codes.js';
import type { Cdr } from './cdr.js';
import {
  combineScores,
  DEFAULT_THRESHOLDS,
  distinctCaps,
  dropVolumeRules,
  type Evidence,
  emptyFeatures,
  evaluateImeiRule,
  evaluateLineRules,
  RULE_WINDOW,
  type RuleCode,
  type RuleHit,
  type Thresholds,
  type WindowFeatures,
} from './rules.js';
import {
  addDistinct,
  bucketAt,
  type ClockState,
  count,
  DEFAULT_ALLOWED_LATENESS_MS,
  EventTimeClock,
  evictBefore,
  HOUR_MS,
  hourOf,
  NO_VALUES,
  RecordIds,
  recordIdHash,
  stringArray,
  WINDOW_HOURS,
} from './windows.js';

/**
 * Rules whose every condition can only become true as records are added within a window. They
 * are evaluated as each record of the line is taken in, on the window ending after that record's
 * hour: a partition's order is fixed, so this gives the same alerts however records are batched.
 */
const EARLY_RULES: readonly RuleCode[] = [
  'high_volume_calling',
  'sms_blast_urls',
  'new_line_burst',
];
const EARLY_RULE_SET: ReadonlySet<RuleCode> = new Set(EARLY_RULES);

/** IMEI streams merge many upstream partitions, so they wait for stragglers this long. */
export const IMEI_LATENESS_MS = 24 * HOUR_MS;

export interface RuleSettings {
  thresholds: Thresholds;
  /** Operator-approved bulk callers: never flagged by the volume rules. */
  allowlist: ReadonlySet<string>;
}

export interface Registration {
  /** Epoch ms of the registration, null when the line has none. */
  registeredAt: number | null;
  personKey: string | null;
}

export interface RaisedAlert {
  stream: string;
  msisdn: string;
  operatorId: string | null;
  rule: RuleCode;
  score: number;
  windowStart: number;
  windowEnd: number;
  evidence: { checks: Evidence[]; lineScore: number; imei?: string; imsis?: string[] };
  personKey: string | null;
}

export interface LineRisk {
  msisdn: string;
  operatorId: string | null;
  score: number;
  features: WindowFeatures;
  windowEnd: number;
  rules: RuleCode[];
  /** Cells the line used in the window (evidence against high-risk zones). */
  cells: string[];
}

export type IngestOutcome = 'accepted' | 'duplicate' | 'late';

export interface ImeiSighting {
  imei: string;
  imsi: string;
  msisdn: string;
  operatorId: string | null;
  startedAt: number;
}

class LineBucket {
  ids = new RecordIds();
  outgoingCalls = 0;
  answeredCalls = 0;
  shortOrUnanswered = 0;
  incomingCalls = 0;
  smsSent = 0;
  urlSms = 0;
  wangiriCalls = 0;
  wangiriInternational = 0;
  callees: string[] = NO_VALUES as string[];
  cells: string[] = NO_VALUES as string[];
  wangiriNumbers: string[] = NO_VALUES as string[];
  urlRecipients: string[] = NO_VALUES as string[];
  constructor(readonly hour: number) {}
}

class ImeiBucket {
  imsis: string[] = NO_VALUES as string[];
  constructor(readonly hour: number) {}
}

class LineState {
  buckets: LineBucket[] = [];
  operatorId: string | null = null;
  /** undefined until looked up. */
  registration: Registration | undefined = undefined;
  /** Per rule, the end of the last window it was raised for. */
  raised: Partial<Record<RuleCode, number>> = {};
  /** `imei|imsi|day` last forwarded to the IMEI stage. */
  sighting: string | null = null;
  constructor(readonly msisdn: string) {}
}

class ImeiState {
  buckets: ImeiBucket[] = [];
  msisdn = '';
  operatorId: string | null = null;
  raisedUntil = Number.NEGATIVE_INFINITY;
  constructor(readonly imei: string) {}
}

class StreamState {
  alerts: RaisedAlert[] = [];
  lines = new Map<string, LineState>();
  imeis = new Map<string, ImeiState>();
  dirtyLines = new Set<string>();
  dirtyImeis = new Set<string>();
  removedLines = new Set<string>();
  removedImeis = new Set<string>();
  constructor(readonly clock: EventTimeClock) {}
}

export interface StreamExport {
  clock: ClockState;
  lines: { msisdn: string; state: unknown }[];
  imeis: { imei: string; state: unknown }[];
  removedLines: string[];
  removedImeis: string[];
}

export interface StreamImport {
  clock: unknown;
  lines: { msisdn: string; state: unknown }[];
  imeis: { imei: string; state: unknown }[];
}

export interface EngineStats {
  accepted: number;
  duplicates: number;
  late: number;
}

export class ScoringEngine {
  private readonly streams = new Map<string, StreamState>();
  private settings: RuleSettings;
  private caps: ReturnType<typeof distinctCaps>;
  readonly stats: EngineStats = { accepted: 0, duplicates: 0, late: 0 };

  constructor(
    settings: RuleSettings = { thresholds: DEFAULT_THRESHOLDS, allowlist: new Set() },
    readonly allowedLatenessMs = DEFAULT_ALLOWED_LATENESS_MS,
  ) {
    this.settings = settings;
    this.caps = distinctCaps(settings.thresholds);
  }

  /** New thresholds and allowlist apply from the next evaluation on. */
  setSettings(settings: RuleSettings): void {
    this.settings = settings;
    this.caps = distinctCaps(settings.thresholds);
  }

  get thresholds(): Thresholds {
    return this.settings.thresholds;
  }

  private stream(name: string, kind: 'line' | 'imei' = 'line'): StreamState {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = new StreamState(new EventTimeClock(this.latenessFor(kind)));
      this.streams.set(name, s);
    }
    return s;
  }

  private latenessFor(kind: 'line' | 'imei'): number {
    return kind === 'line'
      ? this.allowedLatenessMs
      : Math.max(this.allowedLatenessMs, IMEI_LATENESS_MS);
  }

  /** Of `msisdns`, those whose registration this stream has not been told yet. */
  missingRegistrations(streamName: string, msisdns: Iterable<string>): string[] {
    const s = this.stream(streamName);
    const out = new Set<string>();
    for (const m of msisdns) if (s.lines.get(m)?.registration === undefined) out.add(m);
    return [...out];
  }

  /** Registration data for lines about to be ingested (one batched lookup by the caller). */
  provideRegistrations(
    streamName: string,
    msisdns: readonly string[],
    found: ReadonlyMap<string, Registration>,
  ): void {
    const s = this.stream(streamName);
    for (const m of msisdns) {
      let line = s.lines.get(m);
      if (line === undefined) {
        line = new LineState(m);
        s.lines.set(m, line);
        s.removedLines.delete(m);
      }
      line.registration = found.get(m) ?? { registeredAt: null, personKey: null };
    }
  }

  hasStream(name: string): boolean {
    return this.streams.has(name);
  }

  dropStream(name: string): void {
    this.streams.delete(name);
  }

  activeLines(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.lines.size;
    return n;
  }

  /** Adds one record of the line `cdr.msisdn`; `operatorId` is whose line it is, if known. */
  ingest(streamName: string, cdr: Cdr, operatorId: string | null): IngestOutcome {
    const s = this.stream(streamName);
    const t = cdr.startedAt;
    const hour = hourOf(t);
    if (s.clock.observe(t)) this.closeDue(streamName, s);
    if (hour < s.clock.firstOpenHour) {
      this.stats.late++;
      return 'late';
    }
    let line = s.lines.get(cdr.msisdn);
    if (line === undefined) {
      line = new LineState(cdr.msisdn);
      s.lines.set(cdr.msisdn, line);
      s.removedLines.delete(cdr.msisdn);
    }
    const b = bucketAt(line.buckets, hour, LineBucket);
    if (!b.ids.add(recordIdHash(cdr.recordId))) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    this.stats.accepted++;
    if (operatorId !== null) line.operatorId = operatorId;
    const caps = this.caps;
    const th = this.settings.thresholds;
    if (cdr.type === 'voice') {
      if (cdr.direction === 'mo') {
        b.outgoingCalls++;
        if (cdr.answered) b.answeredCalls++;
        if (!cdr.answered || cdr.durationSec < th.short_call_burst.shortCallSec)
          b.shortOrUnanswered++;
        if (cdr.otherParty !== '') b.callees = addDistinct(b.callees, cdr.otherParty, caps.callees);
        if (!cdr.answered && cdr.durationSec <= th.wangiri.maxDurationSec) {
          b.wangiriCalls++;
          if (isInternational(callingCode(cdr.msisdn), cdr.otherParty)) b.wangiriInternational++;
          if (cdr.otherParty !== '')
            b.wangiriNumbers = addDistinct(b.wangiriNumbers, cdr.otherParty, caps.wangiriCallees);
        }
      } else {
        b.incomingCalls++;
      }
    } else if (cdr.direction === 'mo') {
      b.smsSent++;
      if (cdr.containsUrl) {
        b.urlSms++;
        if (cdr.otherParty !== '')
          b.urlRecipients = addDistinct(b.urlRecipients, cdr.otherParty, caps.urlRecipients);
      }
    }
    if (cdr.cellId !== '') b.cells = addDistinct(b.cells, cdr.cellId, caps.cells);
    s.dirtyLines.add(cdr.msisdn);
    if (cdr.direction === 'mo' && this.earlyCandidate(line, cdr, b, hour))
      this.evaluateLine(streamName, s, line, (hour + 1) * HOUR_MS, true);
    return 'accepted';
  }

  /**
   * Whether the record just added may have made an early rule fire on the window ending after
   * its hour: cheap counts first (exact for the 1-hour rules, an upper bound on the distinct
   * callees), so the full features are built only for lines at a threshold.
   */
  private earlyCandidate(line: LineState, cdr: Cdr, b: LineBucket, hour: number): boolean {
    if (this.settings.allowlist.has(line.msisdn)) return false;
    const t = this.settings.thresholds;
    const windowEnd = (hour + 1) * HOUR_MS;
    const open = (rule: RuleCode) => {
      const last = line.raised[rule];
      const length = RULE_WINDOW[rule] === '1h' ? HOUR_MS : WINDOW_HOURS * HOUR_MS;
      return last === undefined || last <= windowEnd - length;
    };
    const reg = line.registration?.registeredAt;
    if (
      reg !== undefined &&
      reg !== null &&
      b.outgoingCalls + b.smsSent >= t.new_line_burst.outgoingAtLeast &&
      windowEnd - HOUR_MS - reg <= (t.new_line_burst.lineAgeHoursAtMost + 1) * HOUR_MS &&
      open('new_line_burst')
    )
      return true;
    if (cdr.type === 'sms')
      return (
        cdr.containsUrl &&
        b.urlSms >= t.sms_blast_urls.urlSmsAtLeast &&
        b.urlRecipients.length >= t.sms_blast_urls.distinctRecipientsAtLeast &&
        open('sms_blast_urls')
      );
    const hv = t.high_volume_calling;
    if (!open('high_volume_calling')) return false;
    let outgoing = 0;
    let calleesBound = 0;
    for (const x of line.buckets) {
      if (x.hour > hour) break;
      if (x.hour <= hour - WINDOW_HOURS) continue;
      outgoing += x.outgoingCalls;
      calleesBound += x.callees.length;
    }
    return outgoing > hv.outgoingCallsAbove && calleesBound >= hv.distinctCalleesAtLeast;
  }

  /**
   * Whether the line's record carries an IMEI/IMSI pair not yet forwarded for its UTC day:
   * imei_multi_sim counts distinct IMSIs per IMEI and day, so one sighting per pair and day is
   * all the IMEI stage needs, and the repartition topic carries a small share of the records.
   */
  newSighting(streamName: string, cdr: Cdr): boolean {
    const line = this.streams.get(streamName)?.lines.get(cdr.msisdn);
    if (line === undefined) return true;
    const key = `${cdr.imei}|${cdr.imsi}|${Math.floor(cdr.startedAt / (WINDOW_HOURS * HOUR_MS))}`;
    if (line.sighting === key) return false;
    line.sighting = key;
    return true;
  }

  /** Adds an IMEI sighting (from the repartition topic, or directly without Kafka). */
  ingestImei(streamName: string, sighting: ImeiSighting): IngestOutcome {
    const s = this.stream(streamName, 'imei');
    const hour = hourOf(sighting.startedAt);
    if (s.clock.observe(sighting.startedAt)) this.closeDue(streamName, s);
    if (hour < s.clock.firstOpenHour) return 'late';
    let st = s.imeis.get(sighting.imei);
    if (st === undefined) {
      st = new ImeiState(sighting.imei);
      s.imeis.set(sighting.imei, st);
      s.removedImeis.delete(sighting.imei);
    }
    const b = bucketAt(st.buckets, hour, ImeiBucket);
    b.imsis = addDistinct(b.imsis, sighting.imsi, this.caps.imsis);
    st.msisdn = sighting.msisdn;
    if (sighting.operatorId !== null) st.operatorId = sighting.operatorId;
    s.dirtyImeis.add(sighting.imei);
    this.evaluateImei(streamName, s, st, hour);
    return 'accepted';
  }

  /**
   * Evaluates the windows the watermark just closed (all line rules), before the record that
   * moved it is counted: what a window holds never depends on batching. A window is evaluated
   * for the lines active in its last hour; an idle hour only lets old records slide out.
   */
  private closeDue(name: string, s: StreamState): void {
    for (let due = s.clock.nextDue(); due !== undefined; due = s.clock.nextDue()) {
      const lastHour = due / HOUR_MS - 1;
      for (const line of s.lines.values())
        if (activeIn(line, lastHour)) this.evaluateLine(name, s, line, due, false);
      s.clock.markEvaluated(due);
      this.evict(s);
    }
  }

  /** The alerts raised since the last call. */
  advance(): { alerts: RaisedAlert[] } {
    const alerts: RaisedAlert[] = [];
    for (const s of this.streams.values()) {
      alerts.push(...s.alerts);
      s.alerts = [];
    }
    return { alerts };
  }

  private evict(s: StreamState): void {
    const first = s.clock.firstOpenHour;
    for (const [msisdn, line] of s.lines) {
      if (evictBefore(line.buckets, first) === 0) {
        s.lines.delete(msisdn);
        s.dirtyLines.delete(msisdn);
        s.removedLines.add(msisdn);
      }
    }
    for (const [imei, st] of s.imeis) {
      if (evictBefore(st.buckets, first) === 0) {
        s.imeis.delete(imei);
        s.dirtyImeis.delete(imei);
        s.removedImeis.add(imei);
      }
    }
  }

  private evaluateLine(
    streamName: string,
    s: StreamState,
    line: LineState,
    windowEnd: number,
    early: boolean,
  ): void {
    if (!nearAnyThreshold(line, windowEnd, this.settings.thresholds)) return;
    const f = lineFeatures(line, windowEnd);
    if (f === undefined) return;
    const hits: RuleHit[] = [];
    evaluateLineRules(f, this.settings.thresholds, hits);
    if (this.settings.allowlist.has(line.msisdn)) dropVolumeRules(hits);
    const lineScore = combineScores(hits);
    for (const hit of hits) {
      if (early && !EARLY_RULE_SET.has(hit.rule)) continue;
      const windowStart = windowEnd - (RULE_WINDOW[hit.rule] === '1h' ? HOUR_MS : 24 * HOUR_MS);
      const last = line.raised[hit.rule];
      if (last !== undefined && last > windowStart) continue;
      line.raised[hit.rule] = windowEnd;
      s.dirtyLines.add(line.msisdn);
      s.alerts.push({
        stream: streamName,
        msisdn: line.msisdn,
        operatorId: line.operatorId,
        rule: hit.rule,
        score: hit.score,
        windowStart,
        windowEnd,
        evidence: { checks: hit.evidence, lineScore },
        personKey: line.registration?.personKey ?? null,
      });
    }
  }

  /**
   * imei_multi_sim over the UTC day of `hour` (tumbling): the day a sighting belongs to does not
   * depend on the order sightings arrive from the repartition topic, so neither do the alerts.
   */
  private evaluateImei(streamName: string, s: StreamState, st: ImeiState, hour: number): void {
    const dayStartHour = Math.floor(hour / WINDOW_HOURS) * WINDOW_HOURS;
    const windowEnd = (dayStartHour + WINDOW_HOURS) * HOUR_MS;
    if (st.raisedUntil >= windowEnd) return;
    const threshold = this.settings.thresholds.imei_multi_sim.distinctImsisAtLeast;
    let seen = 0;
    for (const b of st.buckets)
      if (b.hour >= dayStartHour && b.hour < dayStartHour + WINDOW_HOURS) seen += b.imsis.length;
    if (seen < threshold) return;
    const imsis = new Set<string>();
    for (const b of st.buckets)
      if (b.hour >= dayStartHour && b.hour < dayStartHour + WINDOW_HOURS)
        for (const i of b.imsis) imsis.add(i);
    const hit = evaluateImeiRule(imsis.size, this.settings.thresholds);
    if (hit === undefined) return;
    st.raisedUntil = windowEnd;
    s.dirtyImeis.add(st.imei);
    s.alerts.push({
      stream: streamName,
      msisdn: st.msisdn,
      operatorId: st.operatorId,
      rule: hit.rule,
      score: hit.score,
      windowStart: dayStartHour * HOUR_MS,
      windowEnd,
      evidence: {
        checks: hit.evidence,
        lineScore: hit.score,
        imei: st.imei,
        imsis: [...imsis].sort(),
      },
      personKey: null,
    });
  }

  /**
   * The changes of a stream since its last export, to persist with the offsets they produced.
   * The states share arrays with the engine: serialise them before the next `ingest`.
   */
  exportChanges(streamName: string): StreamExport {
    const s = this.stream(streamName);
    const out: StreamExport = {
      clock: s.clock.export(),
      lines: [],
      imeis: [],
      removedLines: [...s.removedLines],
      removedImeis: [...s.removedImeis],
    };
    for (const msisdn of s.dirtyLines) {
      const line = s.lines.get(msisdn);
      if (line) out.lines.push({ msisdn, state: exportLine(line) });
    }
    for (const imei of s.dirtyImeis) {
      const st = s.imeis.get(imei);
      if (st) out.imeis.push({ imei, state: exportImei(st) });
    }
    s.dirtyLines.clear();
    s.dirtyImeis.clear();
    s.removedLines.clear();
    s.removedImeis.clear();
    return out;
  }

  streamNames(): string[] {
    return [...this.streams.keys()];
  }

  /** Replaces a stream's state with what was persisted (on partition assignment or start). */
  importStream(streamName: string, data: StreamImport, kind: 'line' | 'imei' = 'line'): void {
    const clock = new EventTimeClock(this.latenessFor(kind));
    clock.import(data.clock);
    const s = new StreamState(clock);
    for (const { msisdn, state } of data.lines) {
      const line = importLine(msisdn, state);
      if (evictBefore(line.buckets, clock.firstOpenHour) > 0) s.lines.set(msisdn, line);
      else s.removedLines.add(msisdn);
    }
    for (const { imei, state } of data.imeis) {
      const st = importImei(imei, state);
      if (evictBefore(st.buckets, clock.firstOpenHour) > 0) s.imeis.set(imei, st);
      else s.removedImeis.add(imei);
    }
    this.streams.set(streamName, s);
  }
}

function activeIn(line: LineState, hour: number): boolean {
  for (let i = line.buckets.length - 1; i >= 0; i--) {
    const h = (line.buckets[i] as LineBucket).hour;
    if (h === hour) return true;
    if (h < hour) return false;
  }
  return false;
}

/**
 * Every line rule needs some count to reach its threshold; a line below half of each of them
 * (most lines) is skipped without building its distinct sets, and gets no risk row.
 */
function nearAnyThreshold(line: LineState, windowEnd: number, t: Thresholds): boolean {
  const endHour = windowEnd / HOUR_MS;
  let out24 = 0;
  let out1 = 0;
  let wangiri1 = 0;
  let url1 = 0;
  for (const b of line.buckets) {
    if (b.hour >= endHour) break;
    if (b.hour < endHour - WINDOW_HOURS) continue;
    out24 += b.outgoingCalls;
    if (b.hour === endHour - 1) {
      out1 = b.outgoingCalls + b.smsSent;
      wangiri1 = b.wangiriCalls;
      url1 = b.urlSms;
    }
  }
  const min24 = Math.min(
    t.high_volume_calling.outgoingCallsAbove,
    t.short_call_burst.outgoingCallsAtLeast,
    t.simbox.outgoingCallsAtLeast,
  );
  return (
    out24 * 2 >= min24 ||
    wangiri1 * 2 >= t.wangiri.callsAtLeast ||
    url1 * 2 >= t.sms_blast_urls.urlSmsAtLeast ||
    out1 * 2 >= t.new_line_burst.outgoingAtLeast
  );
}

/** Features of the 24-hour and 1-hour windows ending at `windowEnd`; undefined if both are empty. */
function lineFeatures(line: LineState, windowEnd: number): WindowFeatures | undefined {
  const endHour = windowEnd / HOUR_MS;
  const f = emptyFeatures();
  const callees = new Set<string>();
  const cells = new Set<string>();
  let any = false;
  for (const b of line.buckets) {
    if (b.hour >= endHour) break;
    if (b.hour < endHour - WINDOW_HOURS) continue;
    any = true;
    f.outgoing_calls_24h += b.outgoingCalls;
    f.answered_calls_24h += b.answeredCalls;
    f.short_or_unanswered_calls_24h += b.shortOrUnanswered;
    f.incoming_calls_24h += b.incomingCalls;
    f.sms_sent_24h += b.smsSent;
    f.url_sms_sent_24h += b.urlSms;
    for (const c of b.callees) callees.add(c);
    for (const c of b.cells) cells.add(c);
    if (b.hour === endHour - 1) {
      f.outgoing_calls_1h = b.outgoingCalls;
      f.sms_sent_1h = b.smsSent;
      f.outgoing_1h = b.outgoingCalls + b.smsSent;
      f.wangiri_calls_1h = b.wangiriCalls;
      f.wangiri_international_calls_1h = b.wangiriInternational;
      f.wangiri_international_share_1h =
        b.wangiriCalls > 0 ? b.wangiriInternational / b.wangiriCalls : 0;
      f.wangiri_distinct_numbers_1h = b.wangiriNumbers.length;
      f.url_sms_sent_1h = b.urlSms;
      f.url_sms_recipients_1h = b.urlRecipients.length;
    }
  }
  if (!any) return undefined;
  f.distinct_callees_24h = callees.size;
  f.distinct_cells_24h = cells.size;
  f.short_or_unanswered_share_24h =
    f.outgoing_calls_24h > 0 ? f.short_or_unanswered_calls_24h / f.outgoing_calls_24h : 0;
  f.outgoing_incoming_ratio_24h = f.outgoing_calls_24h / Math.max(1, f.incoming_calls_24h);
  const reg = line.registration?.registeredAt;
  f.line_age_hours =
    reg === undefined || reg === null
      ? null
      : Math.max(0, Math.floor((windowEnd - HOUR_MS - reg) / HOUR_MS));
  return f;
}

type BucketTuple = [
  number,
  number[],
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  string[],
  string[],
  string[],
  string[],
];

function exportLine(line: LineState) {
  return {
    v: 1,
    op: line.operatorId,
    reg: line.registration ?? null,
    raised: line.raised,
    sg: line.sighting,
    b: line.buckets.map(
      (b): BucketTuple => [
        b.hour,
        b.ids.set === null ? b.ids.list : Array.from(b.ids.set),
        b.outgoingCalls,
        b.answeredCalls,
        b.shortOrUnanswered,
        b.incomingCalls,
        b.smsSent,
        b.urlSms,
        b.wangiriCalls,
        b.wangiriInternational,
        b.callees,
        b.cells,
        b.wangiriNumbers,
        b.urlRecipients,
      ],
    ),
  };
}

function importLine(msisdn: string, state: unknown): LineState {
  const s = state as ReturnType<typeof exportLine>;
  if (typeof s !== 'object' || s === null || s.v !== 1 || !Array.isArray(s.b))
    throw new Error(`line state ${msisdn}: unsupported`);
  const line = new LineState(msisdn);
  line.operatorId = typeof s.op === 'string' ? s.op : null;
  line.registration = s.reg ?? undefined;
  line.raised = s.raised ?? {};
  line.sighting = typeof s.sg === 'string' ? s.sg : null;
  for (const t of s.b) {
    const b = new LineBucket(count(t[0], 'hour'));
    b.ids = RecordIds.from(t[1]);
    b.outgoingCalls = count(t[2], 'outgoingCalls');
    b.answeredCalls = count(t[3], 'answeredCalls');
    b.shortOrUnanswered = count(t[4], 'shortOrUnanswered');
    b.incomingCalls = count(t[5], 'incomingCalls');
    b.smsSent = count(t[6], 'smsSent');
    b.urlSms = count(t[7], 'urlSms');
    b.wangiriCalls = count(t[8], 'wangiriCalls');
    b.wangiriInternational = count(t[9], 'wangiriInternational');
    b.callees = stringArray(t[10], 'callees');
    b.cells = stringArray(t[11], 'cells');
    b.wangiriNumbers = stringArray(t[12], 'wangiriNumbers');
    b.urlRecipients = stringArray(t[13], 'urlRecipients');
    line.buckets.push(b);
  }
  return line;
}

function exportImei(st: ImeiState) {
  return {
    v: 1,
    msisdn: st.msisdn,
    op: st.operatorId,
    raisedUntil: Number.isFinite(st.raisedUntil) ? st.raisedUntil : null,
    b: st.buckets.map((b) => [b.hour, b.imsis] as [number, string[]]),
  };
}

function importImei(imei: string, state: unknown): ImeiState {
  const s = state as ReturnType<typeof exportImei>;
  if (typeof s !== 'object' || s === null || s.v !== 1 || !Array.isArray(s.b))
    throw new Error(`imei state ${imei}: unsupported`);
  const st = new ImeiState(imei);
  st.msisdn = s.msisdn;
  st.operatorId = s.op;
  st.raisedUntil = s.raisedUntil ?? Number.NEGATIVE_INFINITY;
  for (const [hour, imsis] of s.b) {
    const b = new ImeiBucket(count(hour, 'hour'));
    b.imsis = stringArray(imsis, 'imsis');
    st.buckets.push(b);
  }
  return st;
}

/**
 * A line's current risk from its stored state: the features of the windows ending after its
 * newest hour, the rules they meet and the combined score. Used by the risk endpoint, so the
 * scorer writes no per-line risk rows on its hot path.
 */
export function riskFromState(
  msisdn: string,
  state: unknown,
  settings: RuleSettings,
): Omit<LineRisk, 'msisdn'> | undefined {
  const line = importLine(msisdn, state);
  const newest = line.buckets[line.buckets.length - 1];
  if (newest === undefined) return undefined;
  const windowEnd = (newest.hour + 1) * HOUR_MS;
  const f = lineFeatures(line, windowEnd);
  if (f === undefined) return undefined;
  const hits: RuleHit[] = [];
  evaluateLineRules(f, settings.thresholds, hits);
  if (settings.allowlist.has(msisdn)) dropVolumeRules(hits);
  const cells = new Set<string>();
  for (const b of line.buckets)
    if (b.hour >= newest.hour + 1 - WINDOW_HOURS) for (const c of b.cells) cells.add(c);
  return {
    operatorId: line.operatorId,
    score: combineScores(hits),
    features: f,
    windowEnd,
    rules: hits.map((h) => h.rule),
    cells: [...cells].sort(),
  };
}
