import { describe, expect, it } from 'vitest';
import type { Cdr } from '../../src/scoring/cdr.js';
import { ScoringEngine } from '../../src/scoring/engine.js';
import { generateTraffic } from '../../src/scoring/generator.js';
import { type GroupAlert, GroupEngine } from '../../src/scoring/group/engine.js';
import { type GroupSighting, groupSightings } from '../../src/scoring/group/sighting.js';
import {
  DEFAULT_THRESHOLDS,
  GROUP_RULE_CODES,
  GROUP_RULES,
  type GroupRuleCode,
  validateThresholds,
} from '../../src/scoring/rules/index.js';
import { HOUR_MS } from '../../src/scoring/windows.js';

const T0 = Date.parse('2026-11-25T02:00:00Z');
let seq = 0;

function cdr(msisdn: string, over: Partial<Cdr> = {}): Cdr {
  seq++;
  return {
    recordId: `g${seq}`,
    type: 'voice',
    direction: 'mo',
    msisdn,
    otherParty: `+6689${String(seq * 7919)
      .padStart(7, '0')
      .slice(-7)}`,
    imsi: `5200100${msisdn.slice(-8)}`,
    imei: `35${msisdn.slice(-13).padStart(13, '0')}`,
    cellId: '520-01-1-1',
    startedAt: T0 + (seq % 600) * 60_000,
    durationSec: 0,
    answered: false,
    containsUrl: false,
    operator: '520-01',
    ...over,
  };
}

const line = (group: number, i: number) => `+66${String(810_000_000 + group * 1000 + i)}`;

/** Feeds records through the group path as the scorer does; returns the alerts raised. */
function run(records: Cdr[], thresholds = DEFAULT_THRESHOLDS): GroupAlert[] {
  const g = new GroupEngine(thresholds);
  const out: GroupSighting[] = [];
  for (const r of records) {
    out.length = 0;
    groupSightings(r, 'op', null, thresholds, out);
    for (const s of out) g.ingest('s', s);
  }
  return g.advance();
}

/** `members` lines each making `n` records shaped by `over`. */
function group(
  id: number,
  members: number,
  n: number,
  over: (m: number, k: number) => Partial<Cdr>,
): Cdr[] {
  const out: Cdr[] = [];
  for (let m = 0; m < members; m++)
    for (let k = 0; k < n; k++) out.push(cdr(line(id, m), over(m, k)));
  return out;
}

/** For each group rule, a group shaped the way it looks for. */
const SHAPED: Record<GroupRuleCode, () => Cdr[]> = {
  coordinated_calling: () => group(1, 6, 30, () => ({ cellId: 'compound' })),
  coordinated_sms_blast: () =>
    group(2, 6, 20, (m, k) => ({
      type: 'sms',
      containsUrl: true,
      otherParty: `+668123${String(m * 20 + k).padStart(3, '0')}`,
    })),
  coordinated_wangiri: () =>
    group(3, 5, 20, () => ({ durationSec: 1, otherParty: `+2348${String(seq).padStart(8, '0')}` })),
  simbox_cluster: () =>
    group(4, 6, 30, (m) => ({
      answered: true,
      durationSec: 120,
      imei: `3500000000000${Math.floor(m / 2)}`,
      cellId: 'farm',
    })),
  target_sweep: () =>
    group(5, 6, 10, (m, k) => ({
      otherParty: `+855121${String(m * 10 + k).padStart(3, '0')}`,
      cellId: `c${m}-${k}`,
    })),
};

/** Legitimate groups sharing cells, handsets or targets: no group rule may raise them. */
const HARD_NEGATIVES: Record<string, () => Cdr[]> = {
  // Two SIMs of one person in one phone, used as people use phones, in a busy cell.
  dual_sim: () =>
    group(10, 40, 8, (m, k) => ({
      imei: `3511111111111${Math.floor(m / 2)}`,
      cellId: 'mall',
      answered: true,
      durationSec: 90,
      direction: k % 2 === 0 ? 'mo' : 'mt',
    })),
  // A mall cell: many lines, a few calls each, some unanswered.
  mall: () => group(11, 200, 3, (_, k) => ({ cellId: 'mall', answered: k > 0, durationSec: 40 })),
  // A call centre: long answered calls, and customers call back.
  call_centre: () =>
    group(12, 30, 40, (_, k) => ({
      cellId: 'centre',
      answered: k % 4 !== 0,
      durationSec: k % 4 !== 0 ? 240 : 15,
      direction: k % 3 === 0 ? 'mt' : 'mo',
    })),
  // Delivery riders: many short answered calls, called back, moving across cells.
  delivery_rider: () =>
    group(13, 30, 30, (m, k) => ({
      cellId: `route-${(m + k) % 15}`,
      answered: k % 5 !== 0,
      durationSec: 25,
      direction: k % 4 === 0 ? 'mt' : 'mo',
    })),
  // IoT meters: periodic SMS without a URL to one collector.
  iot_meter: () =>
    group(14, 40, 24, () => ({ type: 'sms', otherParty: '+6621234567', cellId: 'meters' })),
  // Tour guides: international calls, answered.
  tour_guide: () =>
    group(15, 20, 20, (_, k) => ({
      cellId: `sight-${k % 4}`,
      answered: true,
      durationSec: 300,
      otherParty: `+8613${String(seq).padStart(9, '0')}`,
    })),
};

describe('group rules', () => {
  it.each(GROUP_RULE_CODES)('raise %s on a group shaped for it, with its member lines', (rule) => {
    const alerts = run(SHAPED[rule]());
    expect(alerts.map((a) => a.rule)).toContain(rule);
    const a = alerts.find((x) => x.rule === rule) as GroupAlert;
    expect(a.members.length).toBeGreaterThanOrEqual(3);
    expect(a.added.sort()).toEqual(a.members.map((m) => m.msisdn).sort());
    expect(a.windowEnd - a.windowStart).toBe(24 * HOUR_MS);
    for (const c of a.checks)
      expect(c.op === '>=' ? c.value >= c.threshold : c.value <= c.threshold).toBe(true);
  });

  it.each(Object.keys(HARD_NEGATIVES))('stay quiet on %s', (kind) => {
    expect(run((HARD_NEGATIVES[kind] as () => Cdr[])())).toEqual([]);
  });

  it('tell a hit list dialled from one cell (target_sweep) from calls spread over the numbering plan', () => {
    const sweep = group(6, 6, 20, (m, k) => ({
      cellId: 'compound-2',
      otherParty: `+66812300${String(m * 20 + k).padStart(3, '0')}`,
    }));
    expect(run(sweep).map((a) => a.rule)).toEqual(['target_sweep']);
  });

  it('read their thresholds at run time', () => {
    const v = validateThresholds({ coordinated_calling: { membersAtLeast: 7 } });
    if (!v.ok) throw new Error('valid thresholds refused');
    expect(run(SHAPED.coordinated_calling(), v.thresholds)).toEqual([]);
    for (const r of GROUP_RULES) expect(DEFAULT_THRESHOLDS[r.code]).toEqual(r.defaults);
  });

  it('raise once per group key and day, adding lines that join later as members', () => {
    const g = new GroupEngine(DEFAULT_THRESHOLDS);
    const feed = (records: Cdr[]) => {
      const out: GroupSighting[] = [];
      for (const r of records) {
        out.length = 0;
        groupSightings(r, 'op', null, DEFAULT_THRESHOLDS, out);
        for (const s of out) g.ingest('s', s);
      }
      return g.advance();
    };
    const first = feed(group(20, 4, 30, () => ({ cellId: 'compound' })));
    expect(first.map((a) => [a.rule, a.added.length])).toEqual([['coordinated_calling', 4]]);
    const records = group(20, 4, 30, () => ({ cellId: 'compound' }));
    // Each record again (a redelivery) counts once and raises nothing new.
    expect(
      feed(records.map((r) => ({ ...r, recordId: `g${Number(r.recordId.slice(1)) - 120}` }))),
    ).toEqual([]);
    const joined = feed(group(21, 1, 30, () => ({ cellId: 'compound' })));
    expect(joined.map((a) => [a.rule, a.added, a.members.length])).toEqual([
      ['coordinated_calling', [line(21, 0)], 5],
    ]);
  });

  it('store and load their state: a restarted engine raises nothing twice', () => {
    const g = new GroupEngine(DEFAULT_THRESHOLDS);
    const out: GroupSighting[] = [];
    for (const r of group(30, 4, 30, () => ({ cellId: 'compound' }))) {
      out.length = 0;
      groupSightings(r, 'op', null, DEFAULT_THRESHOLDS, out);
      for (const s of out) g.ingest('s', s);
    }
    expect(g.advance()).toHaveLength(1);
    const stored = g.exportChanges('s');
    const again = new GroupEngine(DEFAULT_THRESHOLDS);
    again.importStream('s', { newestDay: stored.newestDay, states: stored.states });
    const feed = (records: Cdr[]) => {
      for (const r of records) {
        out.length = 0;
        groupSightings(r, 'op', null, DEFAULT_THRESHOLDS, out);
        for (const s of out) again.ingest('s', s);
      }
      return again.advance();
    };
    expect(feed(group(30, 1, 5, () => ({ cellId: 'compound' })))).toEqual([]);
    const joined = feed(group(31, 1, 30, () => ({ cellId: 'compound' })));
    expect(joined.map((a) => [a.added, a.members.length])).toEqual([[[line(31, 0)], 5]]);
  });
});

describe('group stage cost', () => {
  const feed = (g: GroupEngine, records: Cdr[]) => {
    const out: GroupSighting[] = [];
    for (const r of records) {
      out.length = 0;
      groupSightings(r, 'op', null, DEFAULT_THRESHOLDS, out);
      for (const s of out) g.ingest('s', s);
    }
  };

  it('evaluates a key again only when a line newly qualifies', () => {
    const g = new GroupEngine(DEFAULT_THRESHOLDS);
    feed(
      g,
      group(40, 4, 30, () => ({ cellId: 'busy' })),
    );
    expect(g.advance().map((a) => a.added.length)).toEqual([4]);
    const before = g.size().evaluations;
    // Raised lines calling on and a line doing too little: nothing can be added.
    for (let batch = 0; batch < 5; batch++) {
      feed(
        g,
        group(40, 4, 2, () => ({ cellId: 'busy' })),
      );
      feed(g, [cdr(line(41, batch), { cellId: 'busy', answered: true, durationSec: 200 })]);
      expect(g.advance()).toEqual([]);
    }
    expect(g.size().evaluations).toBe(before);
    feed(
      g,
      group(42, 1, 30, () => ({ cellId: 'busy' })),
    );
    expect(g.advance().map((a) => [a.rule, a.added])).toEqual([
      ['coordinated_calling', [line(42, 0)]],
    ]);
    expect(g.size().evaluations).toBe(before + 1);
  });

  it('raises what an engine evaluating every changed key in full raises, however batched', () => {
    const { records } = generateTraffic({ lines: 1500, hours: 26, seed: 11, campaigns: {} });
    records.sort((a, b) => a.startedAt - b.startedAt);
    // New thresholds make an engine evaluate every changed key in full: the reference.
    const other = { ...DEFAULT_THRESHOLDS, target_sweep: { ...DEFAULT_THRESHOLDS.target_sweep } };
    for (const every of [1_000, 7_000]) {
      const gated = new GroupEngine(DEFAULT_THRESHOLDS);
      const full = new GroupEngine(DEFAULT_THRESHOLDS);
      const got: unknown[] = [];
      const want: unknown[] = [];
      const out: GroupSighting[] = [];
      const take = () => {
        full.setThresholds({
          ...other,
          target_sweep: { ...other.target_sweep, membersAtLeast: 99 },
        });
        full.setThresholds(DEFAULT_THRESHOLDS);
        got.push(...gated.advance());
        want.push(...full.advance());
      };
      records.forEach((r, i) => {
        out.length = 0;
        groupSightings(r, 'op', null, DEFAULT_THRESHOLDS, out);
        for (const s of out) {
          gated.ingest('s', s);
          full.ingest('s', s);
        }
        if (i % every === every - 1) take();
      });
      take();
      expect(want.length).toBeGreaterThan(0);
      expect(got).toEqual(want);
      expect(gated.size().evaluations).toBeLessThan(full.size().evaluations / 2);
    }
  });

  it('a commit stores only the lines that changed, and a restart loads them', () => {
    const g = new GroupEngine(DEFAULT_THRESHOLDS);
    const records = group(50, 5, 100, () => ({ cellId: 'store' }));
    feed(g, records);
    expect(g.advance()).toHaveLength(1);
    const first = g.exportChanges('s');
    const cellRows = (e: typeof first) =>
      e.states
        .filter((x) => x.key.endsWith('|cell:store') && x.member !== '' && !x.member.includes('#'))
        .map((x) => x.member);
    expect(cellRows(first)).toEqual([0, 1, 2, 3, 4].map((i) => line(50, i)));
    feed(g, [cdr(line(50, 2), { cellId: 'store', otherParty: '+66891234567' })]);
    g.advance();
    const second = g.exportChanges('s');
    expect(cellRows(second)).toEqual([line(50, 2)]);
    // Of its record hashes, only the chunk still filling (records 64 to 100); not the key's own
    // facts (its distinct targets are at their cap, nothing was raised).
    const storeRows = second.states.filter((x) => x.key.endsWith('|cell:store'));
    expect(storeRows.map((x) => x.member)).toEqual([line(50, 2), `${line(50, 2)}#1`]);
    // The stored rows, latest per key and member, load as the engine held them.
    const rows = new Map<string, (typeof first.states)[number]>();
    for (const x of [...first.states, ...second.states]) rows.set(`${x.key}/${x.member}`, x);
    const again = new GroupEngine(DEFAULT_THRESHOLDS);
    again.importStream('s', { newestDay: second.newestDay, states: [...rows.values()] });
    expect(again.size()).toMatchObject({ keys: g.size().keys, members: g.size().members });
    // Records seen before the restart count once.
    const seen: GroupSighting[] = [];
    for (const r of [records[0], records[99], records[250]] as Cdr[])
      groupSightings(r, 'op', null, DEFAULT_THRESHOLDS, seen);
    expect(seen.map((x) => again.ingest('s', x))).toEqual(seen.map(() => 'duplicate'));
    feed(
      again,
      group(50, 5, 3, () => ({ cellId: 'store' })),
    );
    expect(again.advance()).toEqual([]);
    feed(
      again,
      group(51, 1, 30, () => ({ cellId: 'store' })),
    );
    expect(again.advance().map((a) => [a.added, a.members.length])).toEqual([[[line(51, 0)], 6]]);
  });

  it('loads a key stored whole (before member rows) and stores it again as rows', () => {
    const day = Math.floor(T0 / (24 * HOUR_MS));
    const member = (i: number) => [
      line(60, i),
      'op',
      null,
      [30, 0, 30, 0, 0, 0, 0, 0, 0, T0, T0 + HOUR_MS],
      [i * 100 + 1, i * 100 + 2],
      Array.from({ length: 30 }, (_, t) => i * 1000 + t),
      Array.from({ length: 30 }, (_, t) => i * 1000 + t),
      [`35000000000060${i}`],
    ];
    const whole = {
      k: 'cell:legacy',
      d: day,
      t: [1, 2, 3],
      r: [['coordinated_calling', [0, 1, 2].map((i) => line(60, i))]],
      m: [0, 1, 2, 3].map(member),
    };
    const key = `${day}|cell:legacy`;
    const g = new GroupEngine(DEFAULT_THRESHOLDS);
    g.importStream('s', {
      newestDay: day,
      states: [{ key, member: '', state: JSON.stringify(whole) }],
    });
    expect(g.size()).toMatchObject({ keys: 1, members: 4 });
    const stored = g.exportChanges('s');
    expect(stored.states.map((x) => x.member)).toEqual([
      '',
      ...[0, 1, 2, 3].flatMap((i) => [line(60, i), `${line(60, i)}#0`]),
    ]);
    const again = new GroupEngine(DEFAULT_THRESHOLDS);
    again.importStream('s', { newestDay: day, states: stored.states });
    // Line 3 qualified but was not raised: the first evaluation adds it, and only it.
    feed(again, [cdr(line(60, 0), { cellId: 'legacy', startedAt: T0 + 2 * HOUR_MS })]);
    expect(again.advance().map((a) => [a.rule, a.added, a.members.length])).toEqual([
      ['coordinated_calling', [line(60, 3)], 4],
    ]);
  });
});

describe('group detection on generated campaigns (issue 15)', () => {
  it('catches at least 90% of each shape, flags at most 1% of hard negatives and 0.05% of normal lines', () => {
    const { records, labels } = generateTraffic({ lines: 4000, hours: 26, seed: 7, campaigns: {} });
    records.sort((a, b) => a.startedAt - b.startedAt);
    const e = new ScoringEngine();
    const g = new GroupEngine(e.thresholds);
    const flagged = new Map<string, Set<string>>();
    const note = (msisdn: string, rule: string) => {
      const set = flagged.get(msisdn) ?? new Set();
      set.add(rule);
      flagged.set(msisdn, set);
    };
    const take = () => {
      for (const a of g.advance()) for (const m of a.added) note(m, a.rule);
      for (const a of e.advance().alerts) note(a.msisdn, a.rule);
    };
    const out: GroupSighting[] = [];
    records.forEach((r, i) => {
      if (e.ingest('s', r, 'op') !== 'accepted') return;
      out.length = 0;
      groupSightings(r, 'op', null, e.thresholds, out);
      for (const s of out) g.ingest('g', s);
      if (i % 5000 === 4999) take();
    });
    const last = records[records.length - 1] as Cdr;
    e.ingest('s', { ...last, recordId: 'close', startedAt: last.startedAt + 30 * HOUR_MS }, 'op');
    take();
    const campaigns = labels.campaigns ?? [];
    expect(new Set(campaigns.map((c) => c.shape))).toEqual(new Set(GROUP_RULE_CODES));
    for (const shape of GROUP_RULE_CODES) {
      const lines = campaigns.filter((c) => c.shape === shape).flatMap((c) => c.lines);
      const caught = lines.filter((l) => flagged.get(l)?.has(shape)).length;
      expect(caught / lines.length, shape).toBeGreaterThanOrEqual(0.9);
    }
    const negatives = Object.values(labels.groupHardNegatives ?? {}).flat();
    expect(negatives.filter((l) => flagged.has(l)).length).toBeLessThanOrEqual(
      negatives.length * 0.01,
    );
    const normal = labels.normalLines ?? [];
    expect(normal).toHaveLength(4000);
    expect(normal.filter((l) => flagged.has(l)).length).toBeLessThanOrEqual(normal.length * 0.0005);
  });
});
