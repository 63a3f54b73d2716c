import { afterAll, describe, expect, it } from 'vitest';
import { encodeCdr } from '../../src/scoring/cdr.js';
import { generateTraffic } from '../../src/scoring/generator.js';
import { listGroupAlertMembers } from '../../src/scoring/group-queries.js';
import { GROUP_RULE_CODES } from '../../src/scoring/rules/index.js';
import {
  consumedOffsets,
  produce,
  startSingleAndPair,
  topicSize,
  waitFor,
} from '../support/kafka.js';
import { createWorld, type World } from '../support/world.js';

const worlds: World[] = [];
afterAll(async () => {
  for (const w of worlds) await w.close();
});

describe('group detection on Kafka', () => {
  it('re-keys sightings through the group topic, and two instances (one threaded, the other writing JSON sightings as instances before the compact encoding did) raise the group alerts one does', async () => {
    const { records, labels } = generateTraffic({
      lines: 300,
      hours: 26,
      seed: 5,
      campaigns: { perShape: 1, members: [20, 40], hardNegatives: 40 },
    });
    const wOne = await createWorld();
    const wTwo = await createWorld();
    worlds.push(wOne, wTwo);
    const {
      one,
      two,
      pair,
      assignments: groupAssignments,
      stop,
    } = await startSingleAndPair(wOne, wTwo, 'group', { KAFKA_GROUP_ENCODING: 'json' });
    await produce(
      one.cdr,
      records.map((r) => ({ key: r.msisdn, value: encodeCdr(r) })),
    );
    try {
      for (const [ww, t] of [
        [wOne, one],
        [wTwo, two],
      ] as const) {
        await waitFor(
          'lines drained',
          async () => (await consumedOffsets(ww, t.cdr)) === records.length,
          150_000,
        );
        const sightings = await topicSize(t.groupSightings, t.partitions);
        expect(sightings).toBeGreaterThan(records.length);
        await waitFor(
          'group sightings drained',
          async () => (await consumedOffsets(ww, t.groupSightings)) === sightings,
          120_000,
        );
      }
    } finally {
      await stop();
    }
    for (const child of pair)
      expect(
        groupAssignments(child).some((l) => (l.partitions as unknown[]).length > 0),
        'each instance was given group partitions',
      ).toBe(true);
    const since = new Date(labels.start);
    const membersOf = async (ww: World) =>
      (await listGroupAlertMembers(ww.deps.db, { since }))
        .map((m) => `${m.rule}|${m.groupKey}|${m.windowEnd.toISOString()}|${m.msisdn}`)
        .sort();
    const m1 = await membersOf(wOne);
    expect(await membersOf(wTwo)).toEqual(m1);

    const caught = new Map<string, Set<string>>();
    for (const m of await listGroupAlertMembers(wOne.deps.db, { since })) {
      const set = caught.get(m.msisdn) ?? new Set();
      set.add(m.rule);
      caught.set(m.msisdn, set);
    }
    for (const shape of GROUP_RULE_CODES) {
      const lines = (labels.campaigns ?? [])
        .filter((c) => c.shape === shape)
        .flatMap((c) => c.lines);
      const hits = lines.filter((l) => caught.get(l)?.has(shape)).length;
      expect(hits / lines.length, shape).toBeGreaterThanOrEqual(0.9);
    }
    const negatives = Object.values(labels.groupHardNegatives ?? {}).flat();
    expect(negatives.filter((l) => caught.has(l))).toEqual([]);
    expect((labels.normalLines ?? []).filter((l) => caught.has(l))).toEqual([]);
    // One row per group and day, with its member lines.
    const groups = await wOne.deps.db.selectFrom('scoring_group_alerts').selectAll().execute();
    expect(
      new Set(groups.map((g) => `${g.rule}|${g.group_key}|${g.window_end.toISOString()}`)).size,
    ).toBe(groups.length);
  }, 300_000);
});
