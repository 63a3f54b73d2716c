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
  const base = {
    msisdn: cdr.msisdn,
    operatorId,
    personKey,
    record: hash53(cdr.recordId),
    at: cdr.startedAt,
    flags,
    target: cdr.otherParty === '' ? -1 : hash53(cdr.otherParty),
    imei: cdr.imei,
  };
  if (cdr.cellId !== '') out.push({ key: `cell:${cdr.cellId}`, ...base });
  if ((flags & OUT) === 0) return;
  const block = targetBlock(cdr.otherParty);
  if (block === undefined) return;
  if (flags & URL) out.push({ key: `sms-block:${block}`, ...base });
  else if (flags & VOICE && flags & SHORT) out.push({ key: `call-block:${block}`, ...base });
}

/** A sighting as the repartition topic carries it (an array, the key in the message key). */
export function encodeSighting(s: GroupSighting): string {
  return JSON.stringify([
    s.msisdn,
    s.operatorId,
    s.personKey,
    s.record,
    s.at,
    s.flags,
    s.target,
    s.imei,
  ]);
}

export function decodeSighting(
  key: string | undefined,
  value: Buffer | null,
): GroupSighting | string {
  if (key === undefined || key === '') return 'key: missing group key';
  try {
    const v = JSON.parse(value?.toString('utf8') ?? '') as unknown;
    if (!Array.isArray(v) || v.length !== 8) return 'value: not a group sighting';
    const [msisdn, operatorId, personKey, record, at, flags, target, imei] = v;
    if (
      typeof msisdn === 'string' &&
      (typeof operatorId === 'string' || operatorId === null) &&
      (typeof personKey === 'string' || personKey === null) &&
      typeof record === 'number' &&
      typeof at === 'number' &&
      typeof flags === 'number' &&
      typeof target === 'number' &&
      typeof imei === 'string'
    )
      return { key, msisdn, operatorId, personKey, record, at, flags, target, imei };
    return 'value: not a group sighting';
  } catch {
    return 'value: not valid JSON';
  }
}
