import { describe, expect, it } from 'vitest';
import type { Cdr } from '../../src/scoring/cdr.js';
import { riskFromState, ScoringEngine } from '../../src/scoring/engine.js';
import { DEFAULT_THRESHOLDS, validateThresholds } from '../../src/scoring/rules/index.js';
import { StateWriter, splitStates } from '../../src/scoring/state-codec.js';
import {
  hourStateTotals,
  type StateRows,
  type StreamExport,
  type StreamImport,
  splitStreamByOperator,
} from '../../src/scoring/stored-state.js';
import { HOUR_MS, hash53 } from '../../src/scoring/windows.js';

const T0 = Date.parse('2026-11-25T00:00:00Z');
let seq = 0;

function cdr(over: Partial<Cdr> = {}): Cdr {
  seq++;
  return {
    recordId: `r${seq}`,
    type: 'voice',
    direction: 'mo',
    msisdn: '+66811111111',
    otherParty: `+6682${String(seq).padStart(7, '0')}`,
    imsi: '520010000000001',
    imei: '350000000000001',
    cellId: '520-01-1-1',
    startedAt: T0 + 10 * 60_000,
    durationSec: 60,
    answered: true,
    containsUrl: false,
    operator: '520-01',
    ...over,
  };
}

/** Rows of an export as the database hands them back. */
function rowsOf(rows: StateRows) {
  return splitStates(rows).map((state, i) => ({
    key: rows.keys[i] as string,
    hour: rows.hours[i] ?? 0,
    state,
  }));
}

/** An export as `loadStream` would read it back. */
function asStored(x: StreamExport): StreamImport {
  return {
    clock: x.clock,
    lines: rowsOf(x.lines).map((r) => ({ msisdn: r.key, state: r.state })),
    hours: rowsOf(x.hours).map((r) => ({ msisdn: r.key, hour: r.hour, state: r.state })),
    imeis: rowsOf(x.imeis).map((r) => ({ imei: r.key, state: r.state })),
  };
}

/** A record far enough ahead to close every window before it. */
function tick(engine: ScoringEngine, at: number, stream = 's') {
  engine.ingest(stream, cdr({ msisdn: '+66819999999', startedAt: at }), null);
}

describe('ScoringEngine', () => {
  it('raises high_volume_calling once per window, early, with evidence', () => {
    const e = new ScoringEngine();
    const alerts = [];
    for (let i = 0; i < 101; i++) e.ingest('s', cdr({ startedAt: T0 + i * 20_000 }), 'op_a');
    alerts.push(...e.advance().alerts);
    expect(alerts.map((a) => a.rule)).toEqual(['high_volume_calling']);
    const a = alerts[0];
    expect(a?.operatorId).toBe('op_a');
    expect(a?.windowEnd).toBe(T0 + HOUR_MS);
    expect(a?.windowStart).toBe(T0 + HOUR_MS - 24 * HOUR_MS);
    expect(a?.evidence.checks).toContainEqual({
      feature: 'outgoing_calls_24h',
      value: 101,
      threshold: 100,
      op: '>',
    });
    for (let i = 0; i < 50; i++) e.ingest('s', cdr({ startedAt: T0 + 2 * HOUR_MS + i }), 'op_a');
    tick(e, T0 + 5 * HOUR_MS);
    expect(e.advance().alerts.filter((x) => x.rule === 'high_volume_calling')).toEqual([]);
  });

  it('counts a duplicated record once and drops records later than the lateness', () => {
    const e = new ScoringEngine();
    const r = cdr();
    expect(e.ingest('s', r, null)).toBe('accepted');
    expect(e.ingest('s', { ...r }, null)).toBe('duplicate');
    tick(e, T0 + 30 * HOUR_MS);
    e.advance();
    expect(e.ingest('s', cdr({ startedAt: T0 + 2 * HOUR_MS }), null)).toBe('late');
    expect(e.stats).toMatchObject({ accepted: 2, duplicates: 1, late: 1 });
  });

  it('accepts out-of-order records within the lateness into their own window', () => {
    const e = new ScoringEngine();
    const th = validateThresholds({ short_call_burst: { outgoingCallsAtLeast: 10 } });
    if (!th.ok) throw new Error('thresholds');
    e.setSettings({ thresholds: th.thresholds, allowlist: new Set() });
    for (let i = 0; i < 9; i++)
      e.ingest('s', cdr({ startedAt: T0 + i * 1000, answered: false, durationSec: 0 }), null);
    // The watermark passes the hour boundary only after 10 minutes of lateness.
    tick(e, T0 + HOUR_MS + 5 * 60_000);
    expect(e.advance().alerts).toEqual([]);
    e.ingest('s', cdr({ startedAt: T0 + 50 * 60_000, answered: false, durationSec: 0 }), null);
    tick(e, T0 + HOUR_MS + 11 * 60_000);
    const alerts = e.advance().alerts;
    expect(alerts.map((a) => [a.rule, a.windowEnd])).toEqual([['short_call_burst', T0 + HOUR_MS]]);
  });

  it('evaluates again the windows records came late for, within the 24 hours kept', () => {
    const e = new ScoringEngine();
    const th = validateThresholds({ short_call_burst: { outgoingCallsAtLeast: 10 } });
    if (!th.ok) throw new Error('thresholds');
    e.setSettings({ thresholds: th.thresholds, allowlist: new Set() });
    tick(e, T0 + 3 * HOUR_MS + 11 * 60_000);
    expect(e.advance().alerts).toEqual([]);
    // Hour 0's window closed three hours ago; its wangiri calls come now, on another line.
    for (let i = 0; i < 35; i++) {
      const late = cdr({
        msisdn: '+66812222222',
        startedAt: T0 + i * 60_000,
        answered: false,
        durationSec: 1,
        otherParty: `+8551${1000000 + i}`,
      });
      expect(e.ingest('s', late, null)).toBe('accepted');
    }
    // Ten short calls in hour 1 of a third line: a 24-hour rule, on the last window evaluated.
    for (let i = 0; i < 10; i++)
      e.ingest(
        's',
        cdr({ msisdn: '+66813333333', startedAt: T0 + HOUR_MS + i * 1000, durationSec: 2 }),
        null,
      );
    const alerts = e.advance().alerts;
    expect(alerts.map((a) => [a.msisdn, a.rule, a.windowEnd])).toEqual(
      expect.arrayContaining([
        ['+66812222222', 'wangiri', T0 + HOUR_MS],
        ['+66813333333', 'short_call_burst', T0 + 3 * HOUR_MS],
      ]),
    );
    expect(alerts.filter((a) => a.rule === 'wangiri')).toHaveLength(1);
    // Reviewed once: the next batch raises nothing again.
    tick(e, T0 + 4 * HOUR_MS + 11 * 60_000);
    expect(e.advance().alerts).toEqual([]);
  });

  it('fires wangiri on short unanswered international calls and not on domestic ones', () => {
    const run = (prefix: string) => {
      const e = new ScoringEngine();
      for (let i = 0; i < 35; i++)
        e.ingest(
          's',
          cdr({
            startedAt: T0 + i * 60_000,
            answered: false,
            durationSec: 1,
            otherParty: `${prefix}${1000000 + i}`,
          }),
          null,
        );
      tick(e, T0 + 2 * HOUR_MS);
      return e.advance().alerts.map((a) => a.rule);
    };
    expect(run('+8551')).toContain('wangiri');
    expect(run('+6681')).not.toContain('wangiri');
  });

  it('fires simbox on a voice-only one-cell line and not when it receives calls', () => {
    const run = (incoming: number) => {
      const e = new ScoringEngine();
      for (let i = 0; i < 70; i++) e.ingest('s', cdr({ startedAt: T0 + i * 30_000 }), null);
      for (let i = 0; i < incoming; i++)
        e.ingest('s', cdr({ startedAt: T0 + i * 30_000, direction: 'mt' }), null);
      tick(e, T0 + 2 * HOUR_MS);
      return e.advance().alerts.map((a) => a.rule);
    };
    expect(run(0)).toContain('simbox');
    expect(run(30)).not.toContain('simbox');
  });

  it('fires sms_blast_urls and new_line_burst, joined with the registration', () => {
    const e = new ScoringEngine();
    const missing = e.missingRegistrations('s', ['+66811111111', '+66811111111']);
    expect(missing).toEqual(['+66811111111']);
    e.provideRegistrations(
      's',
      missing,
      new Map([['+66811111111', { registeredAt: T0 - 5 * HOUR_MS, personKey: 'pk1' }]]),
    );
    expect(e.missingRegistrations('s', ['+66811111111'])).toEqual([]);
    for (let i = 0; i < 60; i++)
      e.ingest('s', cdr({ type: 'sms', containsUrl: true, startedAt: T0 + i * 1000 }), null);
    const alerts = e.advance().alerts;
    expect(alerts.map((a) => a.rule).sort()).toEqual(['new_line_burst', 'sms_blast_urls']);
    expect(alerts[0]?.personKey).toBe('pk1');
    const nl = alerts.find((a) => a.rule === 'new_line_burst');
    expect(nl?.evidence.checks).toContainEqual({
      feature: 'line_age_hours',
      value: 5,
      threshold: 48,
      op: '<=',
    });
  });

  it('never flags an allowlisted bulk caller for volume rules', () => {
    const e = new ScoringEngine({
      thresholds: DEFAULT_THRESHOLDS,
      allowlist: new Set(['+66811111111']),
    });
    for (let i = 0; i < 150; i++) e.ingest('s', cdr({ startedAt: T0 + i * 10_000 }), null);
    tick(e, T0 + 2 * HOUR_MS);
    expect(e.advance().alerts).toEqual([]);
  });

  it('counts distinct IMSIs per IMEI', () => {
    const e = new ScoringEngine();
    for (let i = 0; i < 6; i++)
      e.ingestImei('s', {
        imei: '351',
        imsi: `52001000000000${i}`,
        msisdn: `+6681000000${i}`,
        operatorId: 'op',
        startedAt: T0 + i * 1000,
      });
    const alerts = e.advance().alerts;
    expect(alerts.map((a) => [a.rule, a.evidence.imei])).toEqual([['imei_multi_sim', '351']]);
    expect(alerts[0]?.evidence.imsis).toHaveLength(5);
  });

  it('attributes imei_multi_sim to the UTC day whatever order sightings arrive in', () => {
    const sightings = Array.from({ length: 8 }, (_, i) => ({
      imei: '352',
      imsi: `52001000000001${i}`,
      msisdn: `+6681000001${i}`,
      operatorId: null,
      startedAt: T0 + 20 * HOUR_MS + i * 40 * 60_000,
    }));
    const run = (order: typeof sightings) => {
      const e = new ScoringEngine();
      for (const x of order) e.ingestImei('s', x);
      return e.advance().alerts.map((a) => [a.windowStart, a.windowEnd, a.evidence.imsis?.length]);
    };
    const forward = run(sightings);
    expect(forward).toEqual([[T0, T0 + 24 * HOUR_MS, 5]]);
    expect(run([...sightings].reverse())).toEqual(forward);
  });

  it('restores exported state: a replay after import counts nothing twice', () => {
    const a = new ScoringEngine();
    const records = Array.from({ length: 80 }, (_, i) => cdr({ startedAt: T0 + i * 1000 }));
    for (const r of records.slice(0, 50)) a.ingest('s', r, null);
    a.advance();
    const saved = a.exportChanges('s');
    const b = new ScoringEngine();
    b.importStream('s', asStored(saved));
    for (const r of records) b.ingest('s', r, null);
    expect(b.stats).toMatchObject({ accepted: 30, duplicates: 50 });
    const changed = b.exportChanges('s');
    // Only the hour the new records touched is written; the line's own fields did not change.
    expect(changed.lines.keys).toEqual([]);
    expect(rowsOf(changed.hours).map((h) => [h.key, hourStateTotals(h.state)])).toEqual([
      ['+66811111111', { records: 80, outgoingCalls: 80 }],
    ]);
    expect(b.exportChanges('s').hours.keys).toEqual([]);
  });

  it('raises a rule evaluated at the window close with its counts exactly at the thresholds', () => {
    const run = (calls: number) => {
      const e = new ScoringEngine();
      for (let i = 0; i < calls; i++)
        e.ingest(
          's',
          cdr({
            startedAt: T0 + i * 60_000,
            answered: false,
            durationSec: 2,
            otherParty: `+8551234${String(i).padStart(4, '0')}`,
          }),
          null,
        );
      tick(e, T0 + 2 * HOUR_MS);
      return e.advance().alerts.map((a) => a.rule);
    };
    const { callsAtLeast, distinctNumbersAtLeast } = DEFAULT_THRESHOLDS.wangiri;
    expect(callsAtLeast).toBeGreaterThanOrEqual(distinctNumbersAtLeast);
    expect(run(callsAtLeast)).toContain('wangiri');
    expect(run(callsAtLeast - 1)).not.toContain('wangiri');
  });

  it('reads hour buckets stored with party numbers as strings (version 2) as their hashes', () => {
    const calls = ['+66820000000', '+66820000001', '+66820000002'].map((otherParty) =>
      cdr({ otherParty, startedAt: T0 }),
    );
    const a = new ScoringEngine();
    for (const c of calls) a.ingest('s', c, null);
    const saved = asStored(a.exportChanges('s'));
    const w = new StateWriter();
    w.u8(2);
    for (const n of [3, 3, 0, 0, 0, 0, 0, 0]) w.u32(n);
    w.u32(calls.length);
    for (const c of calls) w.f64(hash53(c.recordId));
    w.strings(calls.map((c) => c.otherParty));
    w.strings(['520-01-1-1']);
    w.strings([]);
    w.strings([]);
    w.end();
    const [v2] = splitStates(w.take());
    const hour = T0 / HOUR_MS;
    const settings = { thresholds: DEFAULT_THRESHOLDS, allowlist: new Set<string>() };
    const meta = (saved.lines[0] as { state: Uint8Array }).state;
    const asV3 = riskFromState('+66811111111', { state: meta, hours: saved.hours }, settings);
    const asV2 = riskFromState(
      '+66811111111',
      { state: meta, hours: [{ hour, state: v2 as Buffer }] },
      settings,
    );
    expect(asV2).toEqual(asV3);
    expect(asV2?.features.distinct_callees_24h).toBe(3);
    // A call to a known callee after the import is not a new distinct callee.
    const b = new ScoringEngine();
    b.importStream('s', {
      ...saved,
      hours: [{ msisdn: '+66811111111', hour, state: v2 as Buffer }],
    });
    b.ingest('s', cdr({ otherParty: '+66820000001', startedAt: T0 + 60_000 }), null);
    const after = rowsOf(b.exportChanges('s').hours);
    const risk = riskFromState('+66811111111', { state: meta, hours: after }, settings);
    expect(risk?.features).toMatchObject({ outgoing_calls_24h: 4, distinct_callees_24h: 3 });
  });

  it('writes only the hours a record touched, and removes lines that left every window', () => {
    const e = new ScoringEngine();
    e.ingest('s', cdr({ recordId: 'a', startedAt: T0 }), null);
    e.ingest('s', cdr({ recordId: 'b', startedAt: T0 + 2 * HOUR_MS }), null);
    const first = e.exportChanges('s');
    expect(first.lines.keys).toEqual(['+66811111111']);
    expect(first.hours.hours).toEqual([T0 / HOUR_MS, T0 / HOUR_MS + 2]);
    e.ingest('s', cdr({ recordId: 'c', startedAt: T0 + 2 * HOUR_MS + 60_000 }), null);
    expect(e.exportChanges('s').hours.hours).toEqual([T0 / HOUR_MS + 2]);
    tick(e, T0 + 30 * HOUR_MS);
    const later = e.exportChanges('s');
    expect(later.removedLines).toEqual(['+66811111111']);
  });

  it('gives the same alerts whatever the batching', () => {
    const records = Array.from({ length: 400 }, (_, i) =>
      cdr({
        msisdn: `+6681000000${i % 4}`,
        startedAt: T0 + i * 30_000,
        answered: i % 3 !== 0,
        durationSec: i % 5,
      }),
    );
    const key = (x: { msisdn: string; rule: string; windowEnd: number }) =>
      `${x.msisdn}|${x.rule}|${x.windowEnd}`;
    const once = new ScoringEngine();
    for (const r of records) once.ingest('s', r, null);
    tick(once, T0 + 40 * HOUR_MS);
    const all = once.advance().alerts.map(key).sort();
    const batched = new ScoringEngine();
    const got: string[] = [];
    for (let i = 0; i < records.length; i += 7) {
      for (const r of records.slice(i, i + 7)) batched.ingest('s', r, null);
      got.push(...batched.advance().alerts.map(key));
    }
    tick(batched, T0 + 40 * HOUR_MS);
    got.push(...batched.advance().alerts.map(key));
    expect(all.length).toBeGreaterThan(0);
    expect(got.sort()).toEqual(all);
  });

  describe('records dated ahead of the clock', () => {
    const SKEW = 15 * 60_000;
    const now = T0 + 10 * HOUR_MS;

    it('refuses them without moving the watermark, from the skew on', () => {
      const e = new ScoringEngine(undefined, 600_000, SKEW);
      e.setNow(now);
      expect(e.ingest('s', cdr({ startedAt: now }), 'op')).toBe('accepted');
      expect(e.ingest('s', cdr({ startedAt: now + SKEW }), 'op')).toBe('accepted');
      expect(e.ingest('s', cdr({ startedAt: now + SKEW + 1 }), 'op')).toBe('future');
      expect(e.ingest('s', cdr({ startedAt: now + 2 * 24 * HOUR_MS }), 'op')).toBe('future');
      expect(e.exportChanges('s').clock.maxSeen).toBe(now + SKEW);
      expect(e.ingest('s', cdr({ startedAt: now - HOUR_MS }), 'op')).toBe('accepted');
      expect(e.stats).toMatchObject({ accepted: 3, future: 2, late: 0 });
    });

    it('at import, drops hours past the skew and pulls the clock back to the newest hour left', () => {
      // As stored by engines without the check: a line with a current hour and one two hours
      // ahead, and another line's record two days ahead, whose clock was written last.
      const first = new ScoringEngine();
      first.ingest('s', cdr({ msisdn: '+66811111111', startedAt: now - 30 * 60_000 }), 'a');
      first.ingest('s', cdr({ msisdn: '+66811111111', startedAt: now + 2 * HOUR_MS }), 'a');
      const second = new ScoringEngine();
      second.ingest('s', cdr({ msisdn: '+66822222222', startedAt: now + 2 * 24 * HOUR_MS }), 'b');
      const [x, y] = [asStored(first.exportChanges('s')), asStored(second.exportChanges('s'))];
      const stored = {
        clock: y.clock,
        lines: [...x.lines, ...y.lines],
        hours: [...x.hours, ...y.hours],
        imeis: [],
      };
      const e = new ScoringEngine(undefined, 600_000, SKEW);
      const repair = e.importStream('s', stored, 'line', { now });
      expect(repair).toEqual({
        stream: 's',
        from: now + 2 * 24 * HOUR_MS - 600_000,
        to: now - HOUR_MS - 600_000,
        droppedHours: 2,
      });
      const changes = e.exportChanges('s');
      expect(changes.clock.maxSeen).toBe(now - HOUR_MS);
      expect(changes.removedLines).toEqual(['+66822222222']);
      expect(changes.removedHours).toEqual({
        keys: ['+66811111111'],
        hours: [(now + 2 * HOUR_MS) / HOUR_MS],
      });
      e.setNow(now);
      expect(e.ingest('s', cdr({ startedAt: now - 5 * 60_000 }), 'a')).toBe('accepted');
      // Nothing to repair the second time.
      expect(
        new ScoringEngine(undefined, 600_000, SKEW).importStream('s', asStored(changes), 'line', {
          now,
        }),
      ).toBeUndefined();
    });

    it('restarts a clock whose stored state holds nothing plausible', () => {
      const old = new ScoringEngine();
      old.ingest('s', cdr({ startedAt: Date.parse('2099-01-01T00:00:00Z') }), 'a');
      const e = new ScoringEngine(undefined, 600_000, SKEW);
      const repair = e.importStream('s', asStored(old.exportChanges('s')), 'line', { now });
      expect(repair?.to).toBeNull();
      expect(e.exportChanges('s').clock).toEqual({ v: 1, maxSeen: null, evaluatedUntil: null });
    });
  });

  it("splits a stored stream by each line's operator", () => {
    const e = new ScoringEngine();
    e.ingest('http', cdr({ msisdn: '+66811111111' }), 'a');
    e.ingest('http', cdr({ msisdn: '+66822222222' }), 'b');
    e.ingest('http', cdr({ msisdn: '+66833333333' }), 'a');
    const parts = splitStreamByOperator(asStored(e.exportChanges('http')));
    expect([...parts.keys()].sort()).toEqual(['a', 'b']);
    expect(parts.get('a')?.lines.map((l) => l.msisdn)).toEqual(['+66811111111', '+66833333333']);
    expect(parts.get('a')?.hours.map((h) => h.msisdn)).toEqual(['+66811111111', '+66833333333']);
    expect(parts.get('b')?.lines.map((l) => l.msisdn)).toEqual(['+66822222222']);
  });
});
