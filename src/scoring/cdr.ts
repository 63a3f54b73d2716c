/**
 * Call detail records as they arrive from operator mediation, decoded without a schema library:
 * this runs once per record on the hot path, so checks are hand-written and allocate nothing
 * beyond the record itself.
 */

import { isIP } from 'node:net';
import { MINUTE_MS, SECOND_MS } from '../platform/time.js';

export interface Cdr {
  recordId: string;
  /** `data`: an IP detail record (the line reached `remoteIp`), with no other party or duration. */
  type: 'voice' | 'sms' | 'data';
  direction: 'mo' | 'mt';
  msisdn: string;
  otherParty: string;
  /** Data records: the server's address, canonical; '' or absent for voice and SMS. */
  remoteIp?: string;
  /** Data records: the server's host name when known, lower case; else '' or absent. */
  host?: string;
  imsi: string;
  imei: string;
  cellId: string;
  /** Epoch milliseconds. */
  startedAt: number;
  durationSec: number;
  answered: boolean;
  containsUrl: boolean;
  operator: string;
}

export type DecodeResult = { ok: true; cdr: Cdr } | { ok: false; error: string };

/** 2000-01-01 and 2100-01-01: outside this, the producer almost surely sent epoch seconds. */
export const MIN_STARTED_AT = 946_684_800_000;
export const MAX_STARTED_AT = 4_102_444_800_000;

const MAX_ID_LENGTH = 128;
/**
 * A record's value is at most this many bytes: a CDR is a few hundred, and a larger value is no
 * CDR, so it is refused before it is parsed (and dead-lettered cut to this size).
 */
export const MAX_CDR_BYTES = 64 * 1024;
/**
 * String fields that are kept or stored. A JSON `\u` escape can put in one a NUL, which
 * PostgreSQL refuses in any text (an IMEI's state row), or a lone UTF-16 surrogate, which is no
 * Unicode text: PostgreSQL refuses it in JSON (an alert's evidence) and UTF-8 would turn it into
 * U+FFFD silently. Either would fail the whole batch's commit, again at every restart.
 */
const TEXT_FIELDS = [
  'recordId',
  'otherParty',
  'imsi',
  'imei',
  'cellId',
  'operator',
  'host',
] as const;
const MAX_FIELD_LENGTH = 64;
/** A DNS name is at most 253 characters. */
const MAX_HOST_LENGTH = 253;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(error: string): DecodeResult {
  return { ok: false, error };
}

/** `name: missing` when the field is absent or null, else `name: ` and what it must be. */
function bad(name: string, value: unknown, rule: string): DecodeResult {
  return fail(value === undefined || value === null ? `${name}: missing` : `${name}: ${rule}`);
}

/** `+` followed by 8 to 15 digits. */
export function isE164(s: string): boolean {
  const n = s.length;
  if (n < 9 || n > 16 || s.charCodeAt(0) !== 43) return false;
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isBoundedString(v: unknown, allowEmpty: boolean): v is string {
  return typeof v === 'string' && v.length <= MAX_FIELD_LENGTH && (allowEmpty || v.length > 0);
}

function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses an RFC 3339 timestamp, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`, to epoch
 * milliseconds, or NaN. A zone is required: a local time in a CDR would be ambiguous. This is
 * several times faster than `Date.parse` and rejects the free-form strings `Date.parse` accepts.
 */
export function parseTimestamp(s: string): number {
  const n = s.length;
  if (n < 20) return Number.NaN;
  const century = twoDigits(s, 0);
  const yearOfCentury = twoDigits(s, 2);
  if (century < 0 || yearOfCentury < 0) return Number.NaN;
  const year = century * 100 + yearOfCentury;
  const sep = s.charCodeAt(10);
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return Number.NaN;
  if (sep !== 84 && sep !== 116 && sep !== 32) return Number.NaN;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return Number.NaN;
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  if (month < 1 || month > 12 || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    return Number.NaN;
  }
  if (second < 0 || second > 59 || day < 1 || day > (DAYS_IN_MONTH[month - 1] ?? 0)) {
    return Number.NaN;
  }
  if (month === 2 && day === 29 && (year % 4 !== 0 || (year % 100 === 0 && year % 400 !== 0))) {
    return Number.NaN;
  }
  let i = 19;
  let millis = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    let scale = 100;
    const fractionStart = i;
    while (i < n) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      millis += d * scale;
      scale /= 10;
      i++;
    }
    if (i === fractionStart) return Number.NaN;
    millis = Math.floor(millis);
  }
  let offsetMinutes = 0;
  const zone = s.charCodeAt(i);
  if (zone === 90 || zone === 122) {
    i++;
  } else if (zone === 43 || zone === 45) {
    const offsetHours = twoDigits(s, i + 1);
    const colon = s.charCodeAt(i + 3) === 58 ? 1 : 0;
    const offsetMins = twoDigits(s, i + 3 + colon);
    if (offsetHours < 0 || offsetHours > 23 || offsetMins < 0 || offsetMins > 59) {
      return Number.NaN;
    }
    offsetMinutes = (offsetHours * 60 + offsetMins) * (zone === 43 ? 1 : -1);
    i += 5 + colon;
  } else {
    return Number.NaN;
  }
  if (i !== n) return Number.NaN;
  const days = daysFromCivil(year, month, day);
  return (
    ((days * 24 + hour) * 60 + minute - offsetMinutes) * MINUTE_MS + second * SECOND_MS + millis
  );
}

function isValidStartedAt(t: number): boolean {
  return t >= MIN_STARTED_AT && t < MAX_STARTED_AT;
}

/**
 * Decodes one JSON CDR. `error` starts with the offending field's name. Optional fields
 * (`durationSec`, `answered`, `containsUrl`) default to 0, false and false; `null` counts as
 * absent. `otherParty` and `cellId` may be empty (withheld caller, unknown cell). `operator`
 * defaults to `defaultOperator` when one is given (the sole network of the operator feeding
 * records over HTTP).
 */
export function decodeCdr(value: string | Uint8Array, defaultOperator?: string): DecodeResult {
  if (value.length > MAX_CDR_BYTES) return fail(`value: larger than ${MAX_CDR_BYTES} bytes`);
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else {
    try {
      text = utf8.decode(value);
    } catch {
      return fail('value: not valid UTF-8');
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('value: not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('value: must be a JSON object');
  }
  const r = parsed as Record<string, unknown>;

  const recordId = r.recordId;
  if (typeof recordId !== 'string' || recordId.length === 0 || recordId.length > MAX_ID_LENGTH) {
    return bad(
      'recordId',
      recordId,
      `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`,
    );
  }
  const type = r.type;
  if (type !== 'voice' && type !== 'sms' && type !== 'data')
    return bad('type', type, 'must be "voice", "sms" or "data"');
  const direction = r.direction ?? (type === 'data' ? 'mo' : undefined);
  if (direction !== 'mo' && direction !== 'mt')
    return bad('direction', direction, 'must be "mo" or "mt"');
  const msisdn = r.msisdn;
  if (typeof msisdn !== 'string' || !isE164(msisdn)) {
    return bad('msisdn', msisdn, 'must be E.164, + followed by 8 to 15 digits');
  }
  const otherParty = r.otherParty ?? (type === 'data' ? '' : undefined);
  if (!isBoundedString(otherParty, true)) {
    return bad(
      'otherParty',
      otherParty,
      `must be a string of at most ${MAX_FIELD_LENGTH} characters`,
    );
  }
  const imsi = r.imsi;
  if (!isBoundedString(imsi, false)) {
    return bad(
      'imsi',
      imsi,
      `must be a non-empty string of at most ${MAX_FIELD_LENGTH} characters`,
    );
  }
  const imei = r.imei;
  if (!isBoundedString(imei, false)) {
    return bad(
      'imei',
      imei,
      `must be a non-empty string of at most ${MAX_FIELD_LENGTH} characters`,
    );
  }
  const cellId = r.cellId;
  if (!isBoundedString(cellId, true)) {
    return bad('cellId', cellId, `must be a string of at most ${MAX_FIELD_LENGTH} characters`);
  }
  const operator = r.operator ?? defaultOperator;
  if (!isBoundedString(operator, false)) {
    return bad(
      'operator',
      operator,
      `must be a non-empty string of at most ${MAX_FIELD_LENGTH} characters`,
    );
  }

  const rawStartedAt = r.startedAt;
  let startedAt: number;
  if (typeof rawStartedAt === 'number') {
    startedAt = Math.floor(rawStartedAt);
  } else if (typeof rawStartedAt === 'string') {
    startedAt = parseTimestamp(rawStartedAt);
  } else {
    return bad('startedAt', rawStartedAt, 'must be an RFC 3339 timestamp or epoch milliseconds');
  }
  if (!isValidStartedAt(startedAt)) {
    return fail('startedAt: must be an RFC 3339 timestamp or epoch milliseconds in 2000..2099');
  }

  let durationSec = 0;
  const rawDuration = r.durationSec;
  if (rawDuration !== undefined && rawDuration !== null) {
    if (typeof rawDuration !== 'number' || !(rawDuration >= 0) || rawDuration > 86_400) {
      return fail('durationSec: must be a number between 0 and 86400');
    }
    durationSec = rawDuration;
  }
  let answered = false;
  const rawAnswered = r.answered;
  if (rawAnswered !== undefined && rawAnswered !== null) {
    if (typeof rawAnswered !== 'boolean') return fail('answered: must be a boolean');
    answered = rawAnswered;
  }
  let containsUrl = false;
  const rawContainsUrl = r.containsUrl;
  if (rawContainsUrl !== undefined && rawContainsUrl !== null) {
    if (typeof rawContainsUrl !== 'boolean') return fail('containsUrl: must be a boolean');
    containsUrl = rawContainsUrl;
  }

  let remoteIp = '';
  let host = '';
  if (type === 'data') {
    const rawIp = r.remoteIp;
    if (typeof rawIp !== 'string' || isIP(rawIp) === 0)
      return bad('remoteIp', rawIp, 'must be an IPv4 or IPv6 address');
    remoteIp = canonicalIp(rawIp);
    const rawHost = r.host;
    if (rawHost !== undefined && rawHost !== null) {
      if (typeof rawHost !== 'string' || rawHost.length > MAX_HOST_LENGTH)
        return fail(`host: must be a string of at most ${MAX_HOST_LENGTH} characters`);
      host = rawHost.toLowerCase().replace(/\.$/, '');
    }
  }

  if (text.includes('\\u'))
    for (const f of TEXT_FIELDS) {
      const v = (r[f] ?? '') as string;
      if (!v.isWellFormed()) return fail(`${f}: must be Unicode text, not a lone UTF-16 surrogate`);
      if (v.includes('\0')) return fail(`${f}: must not contain NUL characters`);
    }

  return {
    ok: true,
    cdr: {
      recordId,
      type,
      direction,
      msisdn,
      otherParty,
      imsi,
      imei,
      cellId,
      startedAt,
      durationSec,
      answered,
      containsUrl,
      operator,
      remoteIp,
      host,
    },
  };
}

/** An address as `node:net` and PostgreSQL print it (IPv6 lower case and shortened). */
function canonicalIp(ip: string): string {
  if (isIP(ip) === 4) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** Why a record dated more than `maxFutureSkewMs` ahead of the server's clock is refused. */
export function futureRecordError(startedAt: number, maxFutureSkewMs: number): string {
  return `startedAt: ${new Date(startedAt).toISOString()} is more than ${maxFutureSkewMs / MINUTE_MS} minutes ahead of the server's clock`;
}

/** The wire form `decodeCdr` reads, with `startedAt` as epoch milliseconds. */
export function encodeCdr(c: Cdr): string {
  return JSON.stringify({
    recordId: c.recordId,
    type: c.type,
    direction: c.direction,
    msisdn: c.msisdn,
    otherParty: c.otherParty,
    imsi: c.imsi,
    imei: c.imei,
    cellId: c.cellId,
    startedAt: c.startedAt,
    durationSec: c.durationSec,
    answered: c.answered,
    containsUrl: c.containsUrl,
    operator: c.operator,
    ...(c.type === 'data' ? { remoteIp: c.remoteIp, host: c.host || undefined } : {}),
  });
}
