import { describe, expect, it } from 'vitest';
import { callingCode, isInternational } from '../../src/scoring/calling-codes.js';
import { decodeCdr, encodeCdr, parseTimestamp } from '../../src/scoring/cdr.js';
import {
  combineScores,
  DEFAULT_THRESHOLDS,
  evaluateImeiRule,
  validateThresholds,
} from '../../src/scoring/rules/index.js';
import { StateReader, StateWriter, splitStates } from '../../src/scoring/state-codec.js';
import {
  DistinctCounter,
  EventTimeClock,
  HOUR_MS,
  hash53,
  RecordIds,
} from '../../src/scoring/windows.js';

const valid = {
  recordId: 'a1',
  type: 'voice',
  direction: 'mo',
  msisdn: '+66812345678',
  otherParty: '+85512345678',
  imsi: '520011234567890',
  imei: '356938035643809',
  cellId: '520-01-1234-5678',
  startedAt: '2026-11-25T10:00:00Z',
  durationSec: 12,
  answered: true,
  containsUrl: false,
  operator: '520-01',
};

describe('decodeCdr', () => {
  it('decodes the contract example and round-trips through encodeCdr', () => {
    const r = decodeCdr(JSON.stringify(valid));
    if (!r.ok) throw new Error(r.error);
    expect(r.cdr.startedAt).toBe(Date.parse('2026-11-25T10:00:00Z'));
    const again = decodeCdr(Buffer.from(encodeCdr(r.cdr)));
    expect(again).toEqual(r);
  });

  it('accepts epoch milliseconds and offsets', () => {
    const r = decodeCdr(JSON.stringify({ ...valid, startedAt: 1_764_064_800_000 }));
    expect(r.ok && r.cdr.startedAt).toBe(1_764_064_800_000);
    expect(parseTimestamp('2026-11-25T17:00:00.5+07:00')).toBe(
      Date.parse('2026-11-25T10:00:00.5Z'),
    );
  });

  it.each([
    ['not json', '{', 'value: not valid JSON'],
    ['array', '[]', 'value: must be a JSON object'],
    ['bad type', JSON.stringify({ ...valid, type: 'mms' }), 'type:'],
    ['bad msisdn', JSON.stringify({ ...valid, msisdn: '0812345678' }), 'msisdn:'],
    ['no zone', JSON.stringify({ ...valid, startedAt: '2026-11-25T10:00:00' }), 'startedAt:'],
    ['epoch seconds', JSON.stringify({ ...valid, startedAt: 1_764_064_800 }), 'startedAt:'],
    ['Feb 30', JSON.stringify({ ...valid, startedAt: '2026-02-30T10:00:00Z' }), 'startedAt:'],
    ['answered text', JSON.stringify({ ...valid, answered: 'yes' }), 'answered:'],
    ['a lone surrogate', JSON.stringify({ ...valid, imei: '35\ud800' }), 'imei:'],
    ['a lone low surrogate', JSON.stringify({ ...valid, cellId: '\udc00' }), 'cellId:'],
    ['a NUL', JSON.stringify({ ...valid, imsi: '52\u0000' }), 'imsi: must not contain NUL'],
    ['no otherParty', JSON.stringify({ ...valid, otherParty: undefined }), 'otherParty: missing'],
    ['null imei', JSON.stringify({ ...valid, imei: null }), 'imei: missing'],
    ['over 64 KiB', JSON.stringify({ ...valid, note: 'x'.repeat(65_536) }), 'value: larger than'],
  ])('rejects %s naming the field, as text or as bytes', (_name, text, prefix) => {
    for (const r of [decodeCdr(text), decodeCdr(Buffer.from(text))]) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.startsWith(prefix)).toBe(true);
    }
  });

  it('takes escaped surrogate pairs and escaped backslashes', () => {
    const text = JSON.stringify({ ...valid, cellId: 'CELL', imei: 'IMEI' })
      .replace('CELL', 'c\\ud83d\\udcf1')
      .replace('IMEI', '\\\\ud800');
    const r = decodeCdr(text);
    expect(r.ok && [r.cdr.cellId, r.cdr.imei]).toEqual(['c\u{1f4f1}', '\\ud800']);
  });

  it('rejects invalid UTF-8', () => {
    expect(decodeCdr(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      error: 'value: not valid UTF-8',
    });
  });
});

describe('calling codes', () => {
  it('matches the longest code and classifies international numbers', () => {
    expect(callingCode('+66812345678')).toBe(66);
    expect(callingCode('+85512345678')).toBe(855);
    expect(callingCode('+12025550100')).toBe(1);
    expect(isInternational(66, '+85512345678')).toBe(true);
    expect(isInternational(66, '+66812345678')).toBe(false);
    expect(isInternational(66, '1234')).toBe(false);
  });
});

describe('windows', () => {
  it('dedups record ids past the small-list size', () => {
    const ids = new RecordIds();
    for (let i = 0; i < 100; i++) expect(ids.add(hash53(`id-${i}`))).toBe(true);
    for (let i = 0; i < 100; i++) expect(ids.add(hash53(`id-${i}`))).toBe(false);
    expect(ids.size).toBe(100);
    const seen = new Set<number>();
    ids.forEach((h) => {
      seen.add(h);
    });
    expect(seen.size).toBe(100);
  });

  it('keeps one and a few record ids without a list or a set', () => {
    const ids = new RecordIds();
    expect(ids.size).toBe(0);
    expect(ids.add(7)).toBe(true);
    expect(ids.add(7)).toBe(false);
    expect(ids.add(0)).toBe(true);
    expect(ids.add(0)).toBe(false);
    expect(ids.size).toBe(2);
    const all: number[] = [];
    ids.forEach((h) => {
      all.push(h);
    });
    expect(all).toEqual([7, 0]);
  });

  it('moves the watermark by max seen minus the lateness', () => {
    const c = new EventTimeClock(10 * 60_000);
    expect(c.observe(5 * HOUR_MS + 1)).toBe(false);
    expect(c.nextDue()).toBeUndefined();
    expect(c.observe(5 * HOUR_MS + 9 * 60_000)).toBe(false);
    expect(c.observe(5 * HOUR_MS + 10 * 60_000)).toBe(true);
    expect(c.nextDue()).toBe(5 * HOUR_MS);
    c.markEvaluated(5 * HOUR_MS);
    c.observe(6 * HOUR_MS + 10 * 60_000);
    c.markEvaluated(6 * HOUR_MS);
    expect(c.firstOpenHour).toBe(6 + 1 - 24);
    const copy = new EventTimeClock(10 * 60_000);
    copy.import(JSON.parse(JSON.stringify(c.export())));
    expect(copy.export()).toEqual(c.export());
  });
});

describe('rules', () => {
  it('validates partial threshold updates and names bad fields', () => {
    const ok = validateThresholds({ wangiri: { callsAtLeast: 10 } });
    expect(ok.ok && ok.thresholds.wangiri.callsAtLeast).toBe(10);
    expect(ok.ok && ok.thresholds.simbox).toEqual(DEFAULT_THRESHOLDS.simbox);
    const bad = validateThresholds({ wangiri: { callsAtLeast: -1, nope: 1 }, nosuch: {} });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.issues.map((i) => i.path).sort()).toEqual([
        'nosuch',
        'wangiri.callsAtLeast',
        'wangiri.nope',
      ]);
  });

  it('scores 0.5 at the threshold and combines as a noisy-or', () => {
    expect(evaluateImeiRule(4, DEFAULT_THRESHOLDS)).toBeUndefined();
    const hit = evaluateImeiRule(5, DEFAULT_THRESHOLDS);
    expect(hit?.score).toBeCloseTo(0.5);
    expect(evaluateImeiRule(50, DEFAULT_THRESHOLDS)?.score).toBeGreaterThan(0.8);
    expect(
      combineScores([
        { rule: 'wangiri', score: 0.5, evidence: [] },
        { rule: 'simbox', score: 0.5, evidence: [] },
      ]),
    ).toBeCloseTo(0.75);
  });
});

describe('state codec', () => {
  it('round-trips numbers and strings, ASCII or not, short or long, and null', () => {
    const w = new StateWriter(4);
    const texts = ['', '+66812345678', 'ผู้ให้บริการ', 'é'.repeat(40), 'x'.repeat(300)];
    w.u8(2);
    w.u32(4_000_000_000);
    w.f64(Number.NaN);
    w.str(null);
    w.strings(texts);
    w.end();
    w.str('next');
    w.end();
    const [first, second] = splitStates(w.take());
    const r = new StateReader(first as Buffer);
    expect([r.u8(), r.u32(), r.f64(), r.str(), r.strings()]).toEqual([
      2,
      4_000_000_000,
      Number.NaN,
      null,
      texts,
    ]);
    expect(r.done).toBe(true);
    expect(new StateReader(second as Buffer).str()).toBe('next');
    expect(splitStates(w.take())).toEqual([]);
  });

  it('refuses truncated state', () => {
    const w = new StateWriter();
    w.str('+66812345678');
    w.end();
    const [bytes] = splitStates(w.take());
    expect(() => new StateReader((bytes as Buffer).subarray(0, 5)).str()).toThrow('truncated');
  });
});

describe('DistinctCounter', () => {
  const hashes = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => hash53(`${prefix}${i}`));

  it('counts distinct values across lists, up to its cap, and starts over clean', () => {
    const c = new DistinctCounter();
    c.start(1000);
    c.addAll(hashes('a', 300));
    c.addAll(hashes('a', 300));
    c.addAll(hashes('b', 50));
    expect(c.size).toBe(350);
    c.start(10);
    c.addAll(hashes('a', 5));
    expect(c.size).toBe(5);
    c.addAll(hashes('c', 100));
    expect(c.size).toBe(10);
  });

  it('matches a Set on colliding low bits and on caps larger than its first table', () => {
    // Values equal modulo 2^32 land on the same slot: the probe must still tell them apart.
    const colliding = Array.from({ length: 40 }, (_, i) => i * 4_294_967_296 + 7);
    const c = new DistinctCounter();
    c.start(100_000);
    c.addAll(colliding);
    c.addAll(hashes('d', 5000));
    expect(c.size).toBe(new Set([...colliding, ...hashes('d', 5000)]).size);
  });
});
