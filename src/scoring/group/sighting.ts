/**
 * What the group stage reads of a record: a compact sighting keyed by something other than the
 * line (its cell, or the block of numbers it reached), re-keyed from the line stage through the
 * group repartition topic (`KAFKA_GROUP_TOPIC`) or handed over in process behind `POST /v1/cdrs`.
 */
import { callingCode, isInternational } from '../calling-codes.js';
import type { Cdr } from '../cdr.js';
import type { Thresholds } from '../rules/index.js';
import { hash53 } from '../windows.js';

export const OUT = 1;
export const VOICE = 2;
export const ANSWERED = 4;
/** Unanswered, or answered and shorter than `short_call_burst.shortCallSec`. */
export const SHORT = 8;
export const URL = 16;
/** Unanswered and at most `wangiri.maxDurationSec` long. */
export const ONE_RING = 32;
export const INTERNATIONAL = 64;
/** Answered and at least a minute long. */
export const LONG_ANSWERED = 128;

export interface GroupSighting {
  /** `cell:<id>`, `sms-block:<number less its last three digits>`, `call-block:<same>`. */
  key: string;
  msisdn: string;
  operatorId: string | null;
  personKey: string | null;
  /** `hash53` of the record id: a record re-delivered counts once. */
  record: number;
  at: number;
  flags: number;
  /** `hash53` of the other party, -1 when there is none. */
  target: number;
  /** `hash53` of the other party's block of numbers (`targetBlock`), -1 when there is none. */
  block: number;
  imei: string;
}

/**
 * The block of consecutive numbers a number belongs to: the number less its last three digits
 * (a thousand numbers, which also holds hit lists of a hundred).
 */
export function targetBlock(number: string): string | undefined {
  return number.length >= 9 ? number.slice(0, -3) : undefined;
}

/**
 * The sightings of one accepted voice or SMS record: its cell always, and for an outgoing URL SMS
 * or an outgoing short or unanswered call the block of numbers it reached.
 */
export function groupSightings(
  cdr: Cdr,
  operatorId: string | null,
  personKey: string | null,
  t: Thresholds,
  out: GroupSighting[],
): void {
  if (cdr.type === 'data') return;
  let flags = cdr.direction === 'mo' ? OUT : 0;
  if (cdr.type === 'voice') {
    flags |= VOICE;
    if (cdr.answered) flags |= ANSWERED;
    if (!cdr.answered || cdr.durationSec < t.short_call_burst.shortCallSec) flags |= SHORT;
    if (cdr.answered && cdr.durationSec >= 60) flags |= LONG_ANSWERED;
    if (!cdr.answered && cdr.durationSec <= t.wangiri.maxDurationSec) {
      flags |= ONE_RING;
      if (isInternational(callingCode(cdr.msisdn), cdr.otherParty)) flags |= INTERNATIONAL;
    }
  } else if (cdr.containsUrl) flags |= URL;
  const block = targetBlock(cdr.otherParty);
  const base = {
    msisdn: cdr.msisdn,
    operatorId,
    personKey,
    record: hash53(cdr.recordId),
    at: cdr.startedAt,
    flags,
    target: cdr.otherParty === '' ? -1 : hash53(cdr.otherParty),
    block: block === undefined ? -1 : hash53(block),
    imei: cdr.imei,
  };
  if (cdr.cellId !== '') out.push({ key: `cell:${cdr.cellId}`, ...base });
  if ((flags & OUT) === 0 || block === undefined) return;
  if (flags & URL) out.push({ key: `sms-block:${block}`, ...base });
  else if (flags & VOICE && flags & SHORT) out.push({ key: `call-block:${block}`, ...base });
}

/**
 * Sightings on the repartition topic (the group key is the message key): a version byte, the
 * flags, the four hashes and times as float64, then the four strings as a uint16 byte length
 * and their UTF-8 (`NULL_STRING` for a null). About 110 bytes, written and read without JSON.
 * Version 0 was a JSON array; `decodeSighting` still reads it and `encodeSightingJson` still
 * writes it, so instances of both versions can share the topic during a rolling deploy.
 */
const BINARY_V1 = 1;
const NULL_STRING = 0xffff;
/** Version, flags, then record, at, target and block. */
const FIXED_BYTES = 2 + 4 * 8;

let scratch = Buffer.allocUnsafeSlow(1024);

export function encodeSighting(s: GroupSighting): Buffer {
  const op = s.operatorId;
  const person = s.personKey;
  // UTF-8 takes at most three bytes per UTF-16 unit; each string has a two-byte length.
  const most =
    FIXED_BYTES +
    8 +
    3 * (s.msisdn.length + (op?.length ?? 0) + (person?.length ?? 0) + s.imei.length);
  if (most > scratch.length) scratch = Buffer.allocUnsafeSlow(most * 2);
  const b = scratch;
  b[0] = BINARY_V1;
  b[1] = s.flags;
  b.writeDoubleLE(s.record, 2);
  b.writeDoubleLE(s.at, 10);
  b.writeDoubleLE(s.target, 18);
  b.writeDoubleLE(s.block, 26);
  let n = writeString(b, FIXED_BYTES, s.msisdn);
  n = writeString(b, n, op);
  n = writeString(b, n, person);
  n = writeString(b, n, s.imei);
  const out = Buffer.allocUnsafe(n);
  b.copy(out, 0, 0, n);
  return out;
}

function writeString(b: Buffer, at: number, v: string | null): number {
  if (v === null) {
    b.writeUInt16LE(NULL_STRING, at);
    return at + 2;
  }
  const n = b.write(v, at + 2, 'utf8');
  b.writeUInt16LE(n, at);
  return at + 2 + n;
}

export function decodeSighting(
  key: string | undefined,
  value: Buffer | null,
): GroupSighting | string {
  if (key === undefined || key === '') return 'key: missing group key';
  if (value !== null && value[0] === BINARY_V1) return decodeBinary(key, value);
  return decodeJson(key, value);
}

function decodeBinary(key: string, b: Buffer): GroupSighting | string {
  if (b.length < FIXED_BYTES + 8) return 'value: not a group sighting';
  const strings: (string | null)[] = [];
  let at = FIXED_BYTES;
  for (let i = 0; i < 4; i++) {
    if (at + 2 > b.length) return 'value: not a group sighting';
    const n = b.readUInt16LE(at);
    at += 2;
    if (n === NULL_STRING) strings.push(null);
    else {
      if (at + n > b.length) return 'value: not a group sighting';
      strings.push(b.toString('utf8', at, at + n));
      at += n;
    }
  }
  const [msisdn, operatorId, personKey, imei] = strings;
  if (at !== b.length || msisdn == null || imei == null) return 'value: not a group sighting';
  return {
    key,
    msisdn,
    operatorId: operatorId ?? null,
    personKey: personKey ?? null,
    record: b.readDoubleLE(2),
    at: b.readDoubleLE(10),
    flags: b[1] as number,
    target: b.readDoubleLE(18),
    block: b.readDoubleLE(26),
    imei,
  };
}

/** Version 0: a JSON array (`KAFKA_GROUP_ENCODING=json`, for instances that read only it). */
export function encodeSightingJson(s: GroupSighting): string {
  return JSON.stringify([
    s.msisdn,
    s.operatorId,
    s.personKey,
    s.record,
    s.at,
    s.flags,
    s.target,
    s.block,
    s.imei,
  ]);
}

function decodeJson(key: string, value: Buffer | null): GroupSighting | string {
  try {
    const v = JSON.parse(value?.toString('utf8') ?? '') as unknown;
    if (!Array.isArray(v) || v.length !== 9) return 'value: not a group sighting';
    const [msisdn, operatorId, personKey, record, at, flags, target, block, imei] = v;
    if (
      typeof msisdn === 'string' &&
      (typeof operatorId === 'string' || operatorId === null) &&
      (typeof personKey === 'string' || personKey === null) &&
      typeof record === 'number' &&
      typeof at === 'number' &&
      typeof flags === 'number' &&
      typeof target === 'number' &&
      typeof block === 'number' &&
      typeof imei === 'string'
    )
      return { key, msisdn, operatorId, personKey, record, at, flags, target, block, imei };
    return 'value: not a group sighting';
  } catch {
    return 'value: not valid JSON';
  }
}
