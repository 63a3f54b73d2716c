/**
 * The scoring engine: per-line hour buckets in event time, deduplicated by record id, evaluated
 * against the rules when the watermark closes a window (all rules) and, for rules whose
 * conditions only grow with more records, early on each batch so alerts come out within seconds.
 *
 * State is kept per stream (a Kafka partition, or `http:<operator>` for the records an operator
 * feeds over HTTP): a line's records all arrive on one stream, so each stream's watermark decides
 * its own windows and the result does not depend on which process holds which partitions.
 * Nothing here reads a clock or the database; the runner feeds records, registration data, rule
 * settings and the server's time (`setNow`, against records dated ahead), and persists what
 * `export*` hands back.
 */
import { MINUTE_MS } from '../platform/time.js';
import type { ListedEntry, WatchlistMatcher } from '../watchlist/matching/matcher.js';
import { imeiKey } from '../watchlist/matching/matcher.js';
import { callingCode, isInternational } from './calling-codes.js';
import type { Cdr } from './cdr.js';
import {
  CAPPED_FEATURES,
  type CappedFeature,
  capOf,
  type DistinctCaps,
  distinctCaps,
  gateCounts,
  lineFeatures,
} from './features.js';
import {
  activeIn,
  ImeiBucket,
  ImeiState,
  LineBucket,
  type LineState,
  lineBucketsFrom,
  lineOf,
  metaChanged,
  type RaisedAlert,
  type Registration,
  StreamState,
  windowOpen,
} from './line-state.js';
import {
  combineScores,
  DEFAULT_THRESHOLDS,
  dropVolumeRules,
  EARLY_RULES,
  evaluateImeiRule,
  evaluateLineRules,
  type GateCounts,
  HOURLY_RULES,
  imeiMayRaise,
  mayRaiseAny,
  RULE_WINDOW,
  type RuleCode,
  type RuleHit,
  type Thresholds,
  type WindowFeatures,
} from './rules/index.js';
import { WATCHLIST_SCORE, type WatchlistRuleCode } from './rules/watchlist.js';
import { StateWriter } from './state-codec.js';
import {
  importImei,
  readBucket,
  readLineMeta,
  type StreamExport,
  type StreamImport,
  writeBucket,
  writeImei,
  writeLineMeta,
} from './stored-state.js';
import {
  addDistinct,
  bucketAt,
  DEFAULT_ALLOWED_LATENESS_MS,
  EventTimeClock,
  evictBefore,
  HOUR_MS,
  hash53,
  hourOf,
  WINDOW_HOURS,
} from './windows.js';

/** Cell ids kept shared; past this the table starts over (a country has fewer cells). */
const MAX_SHARED_CELLS = 1_000_000;

/** IMEI streams merge many upstream partitions, so they wait for stragglers this long. */
export const IMEI_LATENESS_MS = 24 * HOUR_MS;

export interface RuleSettings {
  thresholds: Thresholds;
  /** Operator-approved bulk callers: never flagged by the volume rules. */
  allowlist: ReadonlySet<string>;
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
  /** Features whose value is a lower bound: the distinct counts that reached their cap. */
  lowerBounds: CappedFeature[];
}

/** `future`: dated more than the allowed skew ahead of the clock the runner set (`setNow`). */
export type IngestOutcome = 'accepted' | 'duplicate' | 'late' | 'future';

/** How far ahead of the server's clock a record's startedAt may be (SCORING_MAX_FUTURE_SKEW_MS). */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 15 * MINUTE_MS;

/** A stored clock found ahead of the server's clock at import, and where it was pulled back to. */
export interface ClockRepair {
  stream: string;
  /**
   * The watermark (max event time seen minus the allowed lateness), before and after; null after
   * when nothing plausible was left: the clock starts again with the next record, as a new
   * stream's does.
   */
  from: number;
  to: number | null;
  /** Hour buckets dropped because they began after the allowed skew. */
  droppedHours: number;
}

export interface ImeiSighting {
  imei: string;
  imsi: string;
  msisdn: string;
  operatorId: string | null;
  startedAt: number;
}

export interface EngineStats {
  accepted: number;
  duplicates: number;
  late: number;
  future: number;
}

export class ScoringEngine {
  private readonly streams = new Map<string, StreamState>();
  private settings: RuleSettings;
  private caps: DistinctCaps;
  /** The gates' counts, filled again for each line evaluated. */
  private readonly gate: GateCounts = {
    outgoingCalls24h: 0,
    outgoing1h: 0,
    wangiriCalls1h: 0,
    urlSms1h: 0,
  };
  private readonly lineWriter = new StateWriter();
  private readonly hourWriter = new StateWriter();
  private readonly imeiWriter = new StateWriter();
  /** One string per cell id: buckets of many lines hold the same few cells. */
  private readonly cells = new Map<string, string>();
  /** The line the last `ingest` took a record of, and its stream (for `newSighting`). */
  private lastLine: LineState | undefined;
  private lastStream: StreamState | undefined;
  readonly stats: EngineStats = { accepted: 0, duplicates: 0, late: 0, future: 0 };
  /** Records dated after this (epoch ms) are `future`; no limit until `setNow` is called. */
  private latestAllowed = Number.POSITIVE_INFINITY;
  /** The server's time (`setNow`), against which listings expire; NaN until it is set. */
  private nowMs = Number.NaN;
  /** Listed indicators every record is matched against; none until `setWatchlist`. */
  private watchlist: WatchlistMatcher | undefined;
  /**
   * Watchlist alerts raised, by UTC day, as `rule|msisdn|indicator`: each once a day (the
   * alerts' unique key also holds across restarts). Days before the newest's previous are dropped.
   */
  private readonly watchlistRaised = new Map<number, Set<string>>();

  constructor(
    settings: RuleSettings = { thresholds: DEFAULT_THRESHOLDS, allowlist: new Set() },
    readonly allowedLatenessMs = DEFAULT_ALLOWED_LATENESS_MS,
    readonly maxFutureSkewMs = DEFAULT_MAX_FUTURE_SKEW_MS,
  ) {
    this.settings = settings;
    this.caps = distinctCaps(settings.thresholds);
  }

  /**
   * The server's clock, before each batch: a record more than `maxFutureSkewMs` ahead of it is
   * refused (`future`) and moves no watermark, so one mis-dated record cannot make every
   * current record of its stream late.
   */
  setNow(nowMs: number): void {
    this.nowMs = nowMs;
    this.latestAllowed = nowMs + this.maxFutureSkewMs;
  }

  /** The listed indicators to match every record against (the matcher is updated in place). */
  setWatchlist(matcher: WatchlistMatcher | undefined): void {
    this.watchlist = matcher;
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
      const line = lineOf(s, m);
      line.registration = found.get(m) ?? { registeredAt: null, personKey: null };
      metaChanged(s, line);
    }
  }

  /** The person registered to `msisdn`, as the stream was told; null when none or not yet. */
  personKeyOf(streamName: string, msisdn: string): string | null {
    return this.streams.get(streamName)?.lines.get(msisdn)?.registration?.personKey ?? null;
  }

  /** The operator whose line `msisdn` is in the stream, as its records said; null if none yet. */
  lineOperator(streamName: string, msisdn: string): string | null {
    return this.streams.get(streamName)?.lines.get(msisdn)?.operatorId ?? null;
  }

  hasStream(name: string): boolean {
    return this.streams.has(name);
  }

  dropStream(name: string): void {
    this.streams.delete(name);
    this.lastLine = undefined;
    this.lastStream = undefined;
  }

  activeLines(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.lines.size;
    return n;
  }

  /** The shared copy of a cell id (each record's parse makes a new string). */
  private cell(id: string): string {
    const known = this.cells.get(id);
    if (known !== undefined) return known;
    if (this.cells.size >= MAX_SHARED_CELLS) this.cells.clear();
    this.cells.set(id, id);
    return id;
  }

  /** Adds one record of the line `cdr.msisdn`; `operatorId` is whose line it is, if known. */
  ingest(streamName: string, cdr: Cdr, operatorId: string | null): IngestOutcome {
    const t = cdr.startedAt;
    if (t > this.latestAllowed) {
      this.stats.future++;
      return 'future';
    }
    const s = this.stream(streamName);
    const w = this.watchlist;
    // A data record is only matched: it counts in no window and moves no watermark.
    if (cdr.type === 'data') {
      if (w !== undefined)
        this.matchWatchlist(w, streamName, s, cdr, operatorId, s.lines.get(cdr.msisdn));
      this.stats.accepted++;
      return 'accepted';
    }
    const hour = hourOf(t);
    if (s.clock.observe(t)) this.closeDue(streamName, s);
    if (hour < s.clock.firstOpenHour) {
      // Too late for the windows, not for the watchlist.
      if (w !== undefined)
        this.matchWatchlist(w, streamName, s, cdr, operatorId, s.lines.get(cdr.msisdn));
      this.stats.late++;
      return 'late';
    }
    const line = lineOf(s, cdr.msisdn);
    // The other party's hash serves the windows and the watchlist's filter alike.
    const other = cdr.otherParty === '' ? -1 : hash53(cdr.otherParty);
    if (w !== undefined) this.matchWatchlist(w, streamName, s, cdr, operatorId, line, other);
    this.lastLine = line;
    this.lastStream = s;
    const b = bucketAt(line.buckets, hour, LineBucket);
    if (!b.add(hash53(cdr.recordId))) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    this.stats.accepted++;
    if (!b.dirty) {
      b.dirty = true;
      s.dirtyBuckets.push(b);
      s.dirtyBucketLines.push(line.msisdn);
    }
    if (operatorId !== null && line.operatorId !== operatorId) {
      line.operatorId = operatorId;
      metaChanged(s, line);
    }
    const caps = this.caps;
    const th = this.settings.thresholds;
    if (cdr.type === 'voice') {
      if (cdr.direction === 'mo') {
        b.outgoingCalls++;
        if (cdr.answered) b.answeredCalls++;
        if (!cdr.answered || cdr.durationSec < th.short_call_burst.shortCallSec)
          b.shortOrUnanswered++;
        if (other >= 0) b.callees = addDistinct(b.callees, other, caps.callees);
        if (!cdr.answered && cdr.durationSec <= th.wangiri.maxDurationSec) {
          b.wangiriCalls++;
          if (isInternational(callingCode(cdr.msisdn), cdr.otherParty)) b.wangiriInternational++;
          if (other >= 0)
            b.wangiriNumbers = addDistinct(b.wangiriNumbers, other, caps.wangiriCallees);
        }
      } else {
        b.incomingCalls++;
      }
    } else if (cdr.direction === 'mo') {
      b.smsSent++;
      if (cdr.containsUrl) {
        b.urlSms++;
        if (other >= 0) b.urlRecipients = addDistinct(b.urlRecipients, other, caps.urlRecipients);
      }
    }
    if (cdr.cellId !== '') {
      // A line stays in a few cells: its last one spares most lookups in the shared table.
      let cell = line.lastCell;
      if (cell !== cdr.cellId) {
        cell = this.cell(cdr.cellId);
        line.lastCell = cell;
      }
      b.cells = addDistinct(b.cells, cell, caps.cells);
    }
    if ((hour + 1) * HOUR_MS <= s.clock.evaluatedUntil) {
      const hours = s.lateLines.get(line);
      if (hours === undefined) s.lateLines.set(line, [hour]);
      else if (!hours.includes(hour)) hours.push(hour);
    }
    if (cdr.direction === 'mo' && this.earlyCandidate(line, cdr, b, hour))
      this.evaluateLine(streamName, s, line, (hour + 1) * HOUR_MS, EARLY_RULES);
    return 'accepted';
  }

  /**
   * Matches one record against the watchlist: the other party (`watchlist_contact`), the line
   * itself (`watchlist_line_active`), the device (`watchlist_device`), and for a data record the
   * server's address and host (`watchlist_server`). Expiry is checked against the server's time.
   */
  private matchWatchlist(
    w: WatchlistMatcher,
    streamName: string,
    s: StreamState,
    cdr: Cdr,
    operatorId: string | null,
    state: LineState | undefined,
    /** `hash53(cdr.otherParty)` when the caller has it. */
    otherHash?: number,
  ): void {
    const now = Number.isNaN(this.nowMs) ? cdr.startedAt : this.nowMs;
    if (cdr.type === 'data') {
      const hit =
        (cdr.remoteIp ? w.ip(cdr.remoteIp, now) : undefined) ??
        (cdr.host ? w.domain(cdr.host, now) : undefined);
      if (hit !== undefined)
        this.raiseWatchlist(streamName, s, cdr, operatorId, 'watchlist_server', hit);
    } else if (cdr.otherParty !== '') {
      const hit = w.msisdn(cdr.otherParty, now, otherHash);
      if (hit !== undefined)
        this.raiseWatchlist(streamName, s, cdr, operatorId, 'watchlist_contact', hit);
    }
    // The line's own number and device: remembered on the line until the index changes.
    let self: ListedEntry | undefined;
    let device: ListedEntry | undefined;
    if (state === undefined) {
      self = w.msisdn(cdr.msisdn, now);
      const imei = imeiKey(cdr.imei);
      device = imei === undefined ? undefined : w.imei(imei, now);
    } else {
      if (state.watchGeneration !== w.generation) {
        state.watchGeneration = w.generation;
        state.watchSelf = w.msisdn(cdr.msisdn, Number.NEGATIVE_INFINITY);
        state.watchImei = null;
      }
      if (state.watchImei !== cdr.imei) {
        const imei = imeiKey(cdr.imei);
        state.watchImei = cdr.imei;
        state.watchDevice = imei === undefined ? undefined : w.imei(imei, Number.NEGATIVE_INFINITY);
      }
      self =
        state.watchSelf !== undefined && state.watchSelf.validUntil > now
          ? state.watchSelf
          : undefined;
      device =
        state.watchDevice !== undefined && state.watchDevice.validUntil > now
          ? state.watchDevice
          : undefined;
    }
    if (self !== undefined)
      this.raiseWatchlist(streamName, s, cdr, operatorId, 'watchlist_line_active', self);
    if (device !== undefined)
      this.raiseWatchlist(streamName, s, cdr, operatorId, 'watchlist_device', device);
  }

  private raiseWatchlist(
    streamName: string,
    s: StreamState,
    cdr: Cdr,
    operatorId: string | null,
    rule: WatchlistRuleCode,
    hit: ListedEntry,
  ): void {
    const day = Math.floor(cdr.startedAt / (WINDOW_HOURS * HOUR_MS));
    let raised = this.watchlistRaised.get(day);
    if (raised === undefined) {
      raised = new Set();
      this.watchlistRaised.set(day, raised);
      for (const d of this.watchlistRaised.keys()) if (d < day - 1) this.watchlistRaised.delete(d);
    }
    const key = `${rule}|${cdr.msisdn}|${hit.id}`;
    if (raised.has(key)) return;
    raised.add(key);
    const line = s.lines.get(cdr.msisdn);
    // The contacted line and the line reaching a server are the scam's targets, not its means:
    // their alerts do not count towards flagging the identity that registered them.
    const scamSide = rule === 'watchlist_line_active' || rule === 'watchlist_device';
    s.alerts.push({
      stream: streamName,
      msisdn: cdr.msisdn,
      operatorId: operatorId ?? line?.operatorId ?? null,
      rule,
      score: WATCHLIST_SCORE[rule],
      windowStart: day * WINDOW_HOURS * HOUR_MS,
      windowEnd: (day + 1) * WINDOW_HOURS * HOUR_MS,
      evidence: {
        checks: [],
        lineScore: WATCHLIST_SCORE[rule],
        indicator: { id: hit.id, type: hit.type, category: hit.category },
        recordId: cdr.recordId,
      },
      personKey: scamSide ? (line?.registration?.personKey ?? null) : null,
    });
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
    const reg = line.registration?.registeredAt;
    if (
      reg !== undefined &&
      reg !== null &&
      b.outgoingCalls + b.smsSent >= t.new_line_burst.outgoingAtLeast &&
      windowEnd - HOUR_MS - reg <= (t.new_line_burst.lineAgeHoursAtMost + 1) * HOUR_MS &&
      windowOpen(line, 'new_line_burst', windowEnd)
    )
      return true;
    if (cdr.type === 'sms')
      return (
        cdr.containsUrl &&
        b.urlSms >= t.sms_blast_urls.urlSmsAtLeast &&
        b.urlRecipients.length >= t.sms_blast_urls.distinctRecipientsAtLeast &&
        windowOpen(line, 'sms_blast_urls', windowEnd)
      );
    const hv = t.high_volume_calling;
    if (!windowOpen(line, 'high_volume_calling', windowEnd)) return false;
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
    const s = this.streams.get(streamName);
    if (s === undefined) return true;
    const line =
      s === this.lastStream && this.lastLine?.msisdn === cdr.msisdn
        ? this.lastLine
        : s.lines.get(cdr.msisdn);
    if (line === undefined) return true;
    const day = Math.floor(cdr.startedAt / (WINDOW_HOURS * HOUR_MS));
    if (
      line.sightingDay === day &&
      line.sightingImei === cdr.imei &&
      line.sightingImsi === cdr.imsi
    )
      return false;
    line.sightingImei = cdr.imei;
    line.sightingImsi = cdr.imsi;
    line.sightingDay = day;
    metaChanged(s, line);
    return true;
  }

  /** Adds an IMEI sighting (from the repartition topic, or directly without Kafka). */
  ingestImei(streamName: string, sighting: ImeiSighting): IngestOutcome {
    if (sighting.startedAt > this.latestAllowed) return 'future';
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
    this.reviewLate(name, s);
    for (let due = s.clock.nextDue(); due !== undefined; due = s.clock.nextDue()) {
      const lastHour = due / HOUR_MS - 1;
      for (const line of s.lines.values())
        if (activeIn(line, lastHour)) this.evaluateLine(name, s, line, due, null);
      s.clock.markEvaluated(due);
      this.evict(s);
    }
  }

  /**
   * Evaluates again the windows that records came late for: after the watermark had passed
   * their hour, but within the 24 hours a line's buckets are kept. Each such hour's own window
   * for the one-hour rules, and for every rule the last 24-hour window evaluated, which holds all
   * those hours (buckets are kept an hour longer than the open windows need, so it is whole).
   * Runs before a batch's alerts are taken and before the watermark moves on, so nothing of it
   * waits in memory past a commit. As everywhere, a rule is raised at most once per line and
   * window, and not for a window older than the last it was raised for.
   */
  private reviewLate(name: string, s: StreamState): void {
    if (s.lateLines.size === 0) return;
    const last = s.clock.evaluatedUntil;
    for (const [line, hours] of s.lateLines) {
      for (const h of hours)
        if ((h + 1) * HOUR_MS < last)
          this.evaluateLine(name, s, line, (h + 1) * HOUR_MS, HOURLY_RULES);
      this.evaluateLine(name, s, line, last, null);
    }
    s.lateLines.clear();
  }

  /** Whether alerts were raised since the last `advance`. */
  hasAlerts(): boolean {
    for (const s of this.streams.values()) if (s.alerts.length > 0) return true;
    return false;
  }

  /** The alerts raised since the last call, late records' windows evaluated first. */
  advance(): { alerts: RaisedAlert[] } {
    const alerts: RaisedAlert[] = [];
    for (const [name, s] of this.streams) {
      this.reviewLate(name, s);
      alerts.push(...s.alerts);
      s.alerts = [];
    }
    return { alerts };
  }

  private evict(s: StreamState): void {
    const first = s.clock.firstOpenHour;
    const kept = lineBucketsFrom(s.clock);
    for (const [msisdn, line] of s.lines) {
      // An evicted bucket is not written any more, even if it changed since the last export.
      for (const b of line.buckets) {
        if (b.hour >= kept) break;
        b.dirty = false;
      }
      if (evictBefore(line.buckets, kept) === 0) {
        s.lines.delete(msisdn);
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
    only: ReadonlySet<RuleCode> | null,
  ): void {
    const t = this.settings.thresholds;
    if (!mayRaiseAny(gateCounts(line, windowEnd, this.gate), t)) return;
    const f = lineFeatures(line, windowEnd, this.caps);
    if (f === undefined) return;
    const hits: RuleHit[] = [];
    evaluateLineRules(f, t, hits);
    if (this.settings.allowlist.has(line.msisdn)) dropVolumeRules(hits);
    const lineScore = combineScores(hits);
    for (const hit of hits) {
      if (only !== null && !only.has(hit.rule)) continue;
      const windowStart =
        windowEnd - (RULE_WINDOW[hit.rule] === '1h' ? HOUR_MS : WINDOW_HOURS * HOUR_MS);
      const last = line.raised[hit.rule];
      if (last !== undefined && last > windowStart) continue;
      line.raised[hit.rule] = windowEnd;
      metaChanged(s, line);
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
    let seen = 0;
    for (const b of st.buckets)
      if (b.hour >= dayStartHour && b.hour < dayStartHour + WINDOW_HOURS) seen += b.imsis.length;
    if (!imeiMayRaise(seen, this.settings.thresholds)) return;
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
   * States are encoded here, in copies the engine does not touch again.
   */
  exportChanges(streamName: string): StreamExport {
    const s = this.stream(streamName);
    const { lineWriter, hourWriter, imeiWriter } = this;
    const lineKeys: string[] = [];
    for (const line of s.dirtyLines) {
      line.metaDirty = false;
      if (s.lines.get(line.msisdn) !== line) continue;
      writeLineMeta(lineWriter, line);
      lineWriter.end();
      lineKeys.push(line.msisdn);
    }
    const hourKeys: string[] = [];
    const hours: number[] = [];
    const { dirtyBuckets, dirtyBucketLines } = s;
    for (let i = 0; i < dirtyBuckets.length; i++) {
      const b = dirtyBuckets[i] as LineBucket;
      if (!b.dirty) continue;
      b.dirty = false;
      writeBucket(hourWriter, b);
      hourWriter.end();
      hourKeys.push(dirtyBucketLines[i] as string);
      hours.push(b.hour);
    }
    const imeiKeys: string[] = [];
    for (const imei of s.dirtyImeis) {
      const st = s.imeis.get(imei);
      if (st === undefined) continue;
      writeImei(imeiWriter, st);
      imeiWriter.end();
      imeiKeys.push(imei);
    }
    const out: StreamExport = {
      clock: s.clock.export(),
      lines: { keys: lineKeys, hours: [], ...lineWriter.take() },
      hours: { keys: hourKeys, hours, ...hourWriter.take() },
      imeis: { keys: imeiKeys, hours: [], ...imeiWriter.take() },
      removedLines: [...s.removedLines],
      removedImeis: [...s.removedImeis],
      removedHours: { keys: s.removedHourKeys, hours: s.removedHours },
    };
    s.removedHourKeys = [];
    s.removedHours = [];
    s.dirtyLines = [];
    s.dirtyBuckets = [];
    s.dirtyBucketLines = [];
    s.dirtyImeis.clear();
    s.removedLines.clear();
    s.removedImeis.clear();
    return out;
  }

  streamNames(): string[] {
    return [...this.streams.keys()];
  }

  /**
   * Replaces a stream's state with what was persisted (on partition assignment or start). With
   * `now` (the server's clock), state a record dated too far ahead left behind is repaired: hour
   * buckets beginning after the allowed skew are dropped, and a clock ahead of it is pulled back
   * to the newest hour the remaining state holds (or to `now` when it holds none); the repair is
   * returned for the caller to log. With `rewrite`, every line is exported at the next export
   * (the stream is stored under a new name).
   */
  importStream(
    streamName: string,
    data: StreamImport,
    kind: 'line' | 'imei' = 'line',
    opts: { now?: number; rewrite?: boolean } = {},
  ): ClockRepair | undefined {
    const clock = new EventTimeClock(this.latenessFor(kind));
    clock.import(data.clock);
    const s = new StreamState(clock);
    for (const { msisdn, state } of data.lines) s.lines.set(msisdn, readLineMeta(msisdn, state));
    // A line found only through its hour rows gets its own row written at the next export.
    for (const { msisdn, hour, state } of data.hours)
      lineOf(s, msisdn).buckets.push(readBucket(hour, state));
    const imeis = data.imeis.map(({ imei, state }) => importImei(imei, state));
    for (const line of s.lines.values()) line.buckets.sort((x, y) => x.hour - y.hour);
    const repair =
      opts.now === undefined
        ? undefined
        : repairClock(streamName, s, imeis, opts.now, this.maxFutureSkewMs);
    for (const [msisdn, line] of s.lines) {
      if (evictBefore(line.buckets, lineBucketsFrom(clock)) > 0) {
        if (opts.rewrite) {
          metaChanged(s, line);
          for (const b of line.buckets) {
            b.dirty = true;
            s.dirtyBuckets.push(b);
            s.dirtyBucketLines.push(msisdn);
          }
        }
        continue;
      }
      s.lines.delete(msisdn);
      s.removedLines.add(msisdn);
    }
    for (const st of imeis) {
      if (evictBefore(st.buckets, clock.firstOpenHour) > 0) {
        s.imeis.set(st.imei, st);
        if (opts.rewrite) s.dirtyImeis.add(st.imei);
      } else s.removedImeis.add(st.imei);
    }
    this.streams.set(streamName, s);
    this.lastLine = undefined;
    this.lastStream = undefined;
    return repair;
  }
}

/**
 * Drops the hour buckets of an imported stream that begin after `now` plus the allowed skew (no
 * record in them can be genuine), and pulls a clock that is ahead of that limit back to the
 * start of the newest hour left, at most `now`, or restarts it when no bucket is left (the next
 * record starts it, as in a new stream). Windows past
 * it count as not evaluated: evaluating one again raises nothing twice (alerts are unique per
 * line, rule and window).
 */
function repairClock(
  streamName: string,
  s: StreamState,
  imeis: ImeiState[],
  now: number,
  maxFutureSkewMs: number,
): ClockRepair | undefined {
  const limit = now + maxFutureSkewMs;
  const firstFutureHour = Math.floor(limit / HOUR_MS) + 1;
  let dropped = 0;
  let newestHour = Number.NEGATIVE_INFINITY;
  for (const line of s.lines.values()) {
    const buckets = line.buckets;
    let keep = buckets.length;
    while (keep > 0 && (buckets[keep - 1] as LineBucket).hour >= firstFutureHour) keep--;
    // A line left with no bucket is removed whole at import (its rows deleted with it).
    for (const b of buckets.splice(keep)) {
      dropped++;
      if (keep === 0) continue;
      s.removedHourKeys.push(line.msisdn);
      s.removedHours.push(b.hour);
    }
    const last = buckets[keep - 1];
    if (last !== undefined && last.hour > newestHour) newestHour = last.hour;
  }
  for (const st of imeis) {
    const before = st.buckets.length;
    st.buckets = st.buckets.filter((b) => b.hour < firstFutureHour);
    if (st.buckets.length < before) {
      dropped += before - st.buckets.length;
      s.dirtyImeis.add(st.imei);
    }
    for (const b of st.buckets) if (b.hour > newestHour) newestHour = b.hour;
  }
  const clock = s.clock;
  // A bucket past the limit means a record past it moved the clock: nothing else to repair.
  if (!(clock.maxSeen > limit)) return undefined;
  const from = clock.maxSeen - clock.allowedLatenessMs;
  if (!Number.isFinite(newestHour)) {
    clock.reset();
    return { stream: streamName, from, to: null, droppedHours: dropped };
  }
  clock.maxSeen = Math.min(now, newestHour * HOUR_MS);
  clock.markEvaluated(clock.watermarkBoundary());
  return {
    stream: streamName,
    from,
    to: clock.maxSeen - clock.allowedLatenessMs,
    droppedHours: dropped,
  };
}

/**
 * A line's current risk from its stored state: the features of the windows ending after its
 * newest hour, the rules they meet and the combined score. Used by the risk endpoint, so the
 * scorer writes no per-line risk rows on its hot path.
 */
export function riskFromState(
  msisdn: string,
  stored: { state: Uint8Array; hours: { hour: number; state: Uint8Array }[] },
  settings: RuleSettings,
): Omit<LineRisk, 'msisdn'> | undefined {
  const line = readLineMeta(msisdn, stored.state);
  for (const h of stored.hours) line.buckets.push(readBucket(h.hour, h.state));
  line.buckets.sort((x, y) => x.hour - y.hour);
  const newest = line.buckets[line.buckets.length - 1];
  if (newest === undefined) return undefined;
  const windowEnd = (newest.hour + 1) * HOUR_MS;
  const caps = distinctCaps(settings.thresholds);
  const f = lineFeatures(line, windowEnd, caps);
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
    // Below its cap a count is exact (no list it unites was full); at the cap it may be more.
    lowerBounds: CAPPED_FEATURES.filter((k) => f[k] >= capOf(k, caps)),
  };
}
