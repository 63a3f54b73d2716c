import { describe, expect, it } from 'vitest';
import type { Cdr } from '../../src/scoring/cdr.js';
import { type RuleSettings, ScoringEngine } from '../../src/scoring/engine.js';
import { generateTraffic } from '../../src/scoring/generator.js';
import {
  CAMPAIGN_SHAPES,
  GROUP_HARD_NEGATIVE_KINDS,
} from '../../src/scoring/generator-campaigns.js';
import type { RaisedAlert } from '../../src/scoring/line-state.js';
import { DEFAULT_THRESHOLDS } from '../../src/scoring/rules/index.js';
import { HOUR_MS } from '../../src/scoring/windows.js';

/** Every line rule over the records as the scorer runs them, IMEI sightings included. */
function score(records: readonly Cdr[], end: number, settings?: RuleSettings): RaisedAlert[] {
  const e = new ScoringEngine(settings);
  const sight = (r: Cdr) =>
    e.ingestImei('imeis', {
      imei: r.imei,
      imsi: r.imsi,
      msisdn: r.msisdn,
      operatorId: 'op_a',
      startedAt: r.startedAt,
    });
  for (const r of records)
    if (e.ingest('lines', r, 'op_a') === 'accepted' && e.newSighting('lines', r)) sight(r);
  const tick: Cdr = {
    ...(records[0] as Cdr),
    recordId: 'tick',
    msisdn: '+66800000001',
    imei: '359999999999999',
    startedAt: end,
  };
  e.ingest('lines', tick, 'op_a');
  sight(tick);
  return e.advance().alerts;
}

const OPTS = {
  lines: 600,
  hours: 26,
  seed: 3,
  campaigns: { perShape: 2, members: [20, 40], hardNegatives: 40 },
} as const;

describe('generated campaigns', () => {
  const { records, labels } = generateTraffic({
    ...OPTS,
    campaigns: { ...OPTS.campaigns, members: [20, 40] },
  });
  const end = Date.parse(labels.start) + (labels.hours + 26) * HOUR_MS;
  const campaigns = labels.campaigns ?? [];
  const negatives = labels.groupHardNegatives;

  it('labels campaigns of every shape, hard negatives of every kind and the ordinary lines', () => {
    expect(campaigns.map((c) => c.shape).sort()).toEqual(
      CAMPAIGN_SHAPES.flatMap((s) => [s, s]).sort(),
    );
    const lineCount = new Map<string, number>();
    for (const r of records) lineCount.set(r.msisdn, (lineCount.get(r.msisdn) ?? 0) + 1);
    for (const c of campaigns) {
      expect(c.lines.length).toBeGreaterThanOrEqual(20);
      expect(c.lines.length).toBeLessThanOrEqual(40);
      expect(c.cells.length).toBeGreaterThanOrEqual(1);
      expect(c.cells.length).toBeLessThanOrEqual(6);
      for (const l of c.lines) expect(lineCount.get(l), l).toBeGreaterThan(0);
      // Handsets cycle two or three SIMs each: fewer handsets than lines, none with five SIMs.
      expect(c.imeis.length).toBeLessThan(c.lines.length);
      const members = new Set(c.lines);
      const simsOf = new Map<string, Set<string>>();
      for (const r of records)
        if (members.has(r.msisdn)) {
          expect(c.imeis).toContain(r.imei);
          expect(c.cells).toContain(r.cellId);
          const sims = simsOf.get(r.imei) ?? new Set();
          simsOf.set(r.imei, sims.add(r.imsi));
        }
      for (const sims of simsOf.values()) expect(sims.size).toBeLessThanOrEqual(3);
      // A handset stays in one place: the SIMs it cycles are mostly seen in the same cell.
      const cellsOf = new Map<string, Map<string, number>>();
      for (const r of records)
        if (members.has(r.msisdn)) {
          const counts = cellsOf.get(r.msisdn) ?? new Map<string, number>();
          cellsOf.set(r.msisdn, counts.set(r.cellId, (counts.get(r.cellId) ?? 0) + 1));
        }
      const mainCell = (l: string) =>
        [...(cellsOf.get(l) ?? new Map<string, number>()).entries()].sort(
          (a, b) => b[1] - a[1],
        )[0]?.[0];
      const handsetCells = new Map<string, Set<string | undefined>>();
      for (const r of records)
        if (members.has(r.msisdn)) {
          const set = handsetCells.get(r.imei) ?? new Set();
          handsetCells.set(r.imei, set.add(mainCell(r.msisdn)));
        }
      for (const [imei, set] of handsetCells) expect(set.size, imei).toBe(1);
    }
    for (const k of GROUP_HARD_NEGATIVE_KINDS) expect(negatives?.[k]).toHaveLength(40);
    expect(labels.normalLines).toHaveLength(600);
    const all = [
      ...campaigns.flatMap((c) => c.lines),
      ...GROUP_HARD_NEGATIVE_KINDS.flatMap((k) => negatives?.[k] ?? []),
      ...(labels.normalLines ?? []),
    ];
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(lineCount.keys())).toEqual(new Set(all));
  });

  it('is the same traffic for the same seed, and other traffic for another', () => {
    const again = generateTraffic({ ...OPTS, campaigns: { ...OPTS.campaigns, members: [20, 40] } });
    expect(again.records).toEqual(records);
    expect(again.labels).toEqual(labels);
    const other = generateTraffic({
      ...OPTS,
      seed: 4,
      campaigns: { ...OPTS.campaigns, members: [20, 40] },
    });
    expect(other.labels.campaigns?.[0]?.lines).not.toEqual(campaigns[0]?.lines);
  });

  it('raises no line rule for campaign members, hard negatives or ordinary lines', () => {
    const alerts = score(records, end);
    expect(alerts.map((a) => `${a.rule} ${a.msisdn}`)).toEqual([]);
  });

  it('keeps members close under the thresholds: at half the thresholds, every shape raises', () => {
    const t = DEFAULT_THRESHOLDS;
    const half = {
      ...t,
      simbox: { ...t.simbox, outgoingCallsAtLeast: 25, distinctCalleesAtLeast: 20 },
      wangiri: { ...t.wangiri, callsAtLeast: 10, distinctNumbersAtLeast: 8 },
      sms_blast_urls: { urlSmsAtLeast: 15, distinctRecipientsAtLeast: 12 },
    };
    const alerts = score(records, end, { thresholds: half, allowlist: new Set() });
    const flagged = new Set(alerts.map((a) => a.msisdn));
    for (const c of campaigns)
      expect(
        c.lines.some((l) => flagged.has(l)),
        c.groupId,
      ).toBe(true);
  });
});
