/**
 * The engine's stored format: a line's own fields, each hour bucket and each IMEI as binary rows
 * (`state-codec.ts`), what an export hands the runner and what an import takes back.
 */
import { ImeiBucket, ImeiState, LineBucket, LineState } from './line-state.js';
import { RULE_CODES, type RuleCode } from './rules/index.js';
import { StateReader, type StateWriter } from './state-codec.js';
import { type ClockState, hash53, noValues } from './windows.js';

const RULE_CODE_SET: ReadonlySet<string> = new Set(RULE_CODES);

/**
 * Rows of binary state of one kind: the states back to back in `bytes`, row i's ending at
 * `ends[i]`, keyed by `keys[i]` (a line, or an IMEI) and, for hour buckets, `hours[i]`.
 */
export interface StateRows {
  keys: string[];
  hours: number[];
  bytes: Buffer;
  ends: number[];
}

export interface StreamExport {
  clock: ClockState;
  /** Lines whose own fields changed. */
  lines: StateRows;
  /** Hour buckets that changed. */
  hours: StateRows;
  /** Changed IMEI states. */
  imeis: StateRows;
  removedLines: string[];
  removedImeis: string[];
  /** Hour buckets of lines that remain, to delete: line `keys[i]`, hour `hours[i]`. */
  removedHours: { keys: string[]; hours: number[] };
}

export interface StreamImport {
  clock: unknown;
  lines: { msisdn: string; state: Uint8Array }[];
  hours: { msisdn: string; hour: number; state: Uint8Array }[];
  imeis: { imei: string; state: Uint8Array }[];
}

/**
 * A stored stream's rows split by the operator each line belongs to (its own row says which);
 * rows of a line without one are left out. IMEI rows are not split.
 */
export function splitStreamByOperator(data: StreamImport): Map<string, StreamImport> {
  const out = new Map<string, StreamImport>();
  const owner = new Map<string, StreamImport>();
  for (const row of data.lines) {
    const operatorId = readLineMeta(row.msisdn, row.state).operatorId;
    if (operatorId === null) continue;
    let part = out.get(operatorId);
    if (part === undefined) {
      part = { clock: data.clock, lines: [], hours: [], imeis: [] };
      out.set(operatorId, part);
    }
    part.lines.push(row);
    owner.set(row.msisdn, part);
  }
  for (const row of data.hours) owner.get(row.msisdn)?.hours.push(row);
  return out;
}

/** Version tag of the binary line and IMEI states, and of hour buckets with string lists. */
const STATE_V2 = 2;
/** Version tag of hour buckets whose party lists hold `hash53` values. */
const BUCKET_V3 = 3;

/**
 * A line's own fields in the binary form of `state-codec.ts`: version, operator, registration,
 * the window end each rule was last raised for, and the last forwarded sighting. Each hour
 * bucket is stored on its own (`writeBucket`), so a commit writes only the hours that changed.
 */
export function writeLineMeta(w: StateWriter, line: LineState): void {
  w.u8(STATE_V2);
  w.str(line.operatorId);
  const reg = line.registration;
  w.u8(reg === undefined ? 0 : 1);
  if (reg !== undefined) {
    w.f64(reg.registeredAt ?? Number.NaN);
    w.str(reg.personKey);
  }
  const raised = Object.entries(line.raised) as [RuleCode, number][];
  w.u8(raised.length);
  for (const [rule, end] of raised) {
    w.str(rule);
    w.f64(end);
  }
  w.str(line.sightingImei);
  w.str(line.sightingImsi);
  w.f64(line.sightingDay);
}

export function readLineMeta(msisdn: string, state: Uint8Array): LineState {
  const r = new StateReader(state);
  if (r.u8() !== STATE_V2) throw new Error(`line state ${msisdn}: unsupported version`);
  const line = new LineState(msisdn);
  line.metaDirty = false;
  line.operatorId = r.str();
  if (r.u8() === 1) {
    const registeredAt = r.f64();
    line.registration = {
      registeredAt: Number.isNaN(registeredAt) ? null : registeredAt,
      personKey: r.str(),
    };
  }
  for (let n = r.u8(); n > 0; n--) {
    const rule = r.str();
    const end = r.f64();
    if (rule === null || !RULE_CODE_SET.has(rule)) throw new Error(`line state ${msisdn}: rule`);
    line.raised[rule as RuleCode] = end;
  }
  line.sightingImei = r.str();
  line.sightingImsi = r.str();
  line.sightingDay = r.f64();
  if (!r.done) throw new Error(`line state ${msisdn}: trailing bytes`);
  return line;
}

/**
 * One hour bucket (its hour is the row's key): eight counters, record-id hashes, the party
 * hashes of three distinct lists and the cells.
 */
export function writeBucket(w: StateWriter, b: LineBucket): void {
  w.u8(BUCKET_V3);
  w.u32(b.outgoingCalls);
  w.u32(b.answeredCalls);
  w.u32(b.shortOrUnanswered);
  w.u32(b.incomingCalls);
  w.u32(b.smsSent);
  w.u32(b.urlSms);
  w.u32(b.wangiriCalls);
  w.u32(b.wangiriInternational);
  w.u32(b.size);
  b.forEach((id) => {
    w.f64(id);
  });
  w.f64s(b.callees);
  w.strings(b.cells);
  w.f64s(b.wangiriNumbers);
  w.f64s(b.urlRecipients);
}

/** Reads a bucket; one stored with party numbers as strings (version 2) gets their hashes. */
export function readBucket(hour: number, state: Uint8Array): LineBucket {
  const r = new StateReader(state);
  const version = r.u8();
  if (version !== BUCKET_V3 && version !== STATE_V2)
    throw new Error(`hour state ${hour}: unsupported version`);
  const parties = version === BUCKET_V3 ? () => r.f64s() : () => r.strings().map(hash53);
  const b = new LineBucket(hour);
  b.dirty = false;
  b.outgoingCalls = r.u32();
  b.answeredCalls = r.u32();
  b.shortOrUnanswered = r.u32();
  b.incomingCalls = r.u32();
  b.smsSent = r.u32();
  b.urlSms = r.u32();
  b.wangiriCalls = r.u32();
  b.wangiriInternational = r.u32();
  for (let i = r.u32(); i > 0; i--) b.add(r.f64());
  b.callees = nonEmpty(parties());
  b.cells = nonEmpty(r.strings());
  b.wangiriNumbers = nonEmpty(parties());
  b.urlRecipients = nonEmpty(parties());
  if (!r.done) throw new Error(`hour state ${hour}: trailing bytes`);
  return b;
}

const nonEmpty = <T>(xs: T[]): T[] => (xs.length === 0 ? noValues<T>() : xs);

/** Records and outgoing calls held in a stored hour bucket (for checks and the fault run). */
export function hourStateTotals(state: Uint8Array): { records: number; outgoingCalls: number } {
  const b = readBucket(0, state);
  return { records: b.size, outgoingCalls: b.outgoingCalls };
}

/** An IMEI's state in binary: version, last line and operator, raised-until, hour buckets. */
export function writeImei(w: StateWriter, st: ImeiState): void {
  w.u8(STATE_V2);
  w.str(st.msisdn);
  w.str(st.operatorId);
  w.f64(st.raisedUntil);
  w.u8(st.buckets.length);
  for (const b of st.buckets) {
    w.u32(b.hour);
    w.strings(b.imsis);
  }
}

export function importImei(imei: string, state: Uint8Array): ImeiState {
  const r = new StateReader(state);
  if (r.u8() !== STATE_V2) throw new Error(`imei state ${imei}: unsupported version`);
  const st = new ImeiState(imei);
  st.msisdn = r.str() ?? '';
  st.operatorId = r.str();
  st.raisedUntil = r.f64();
  for (let n = r.u8(); n > 0; n--) {
    const b = new ImeiBucket(r.u32());
    b.imsis = nonEmpty(r.strings());
    st.buckets.push(b);
  }
  if (!r.done) throw new Error(`imei state ${imei}: trailing bytes`);
  return st;
}
