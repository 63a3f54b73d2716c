import { describe, expect, it } from 'vitest';
import {
  evaluateCampaigns,
  renderCampaignEvaluation,
  table,
} from '../../src/scoring/evaluation.js';
import type { Labels } from '../../src/scoring/generator.js';

const lines = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `+66${prefix}${String(i).padStart(6, '0')}`);

const labels: Labels = {
  seed: 1,
  lines: 2000,
  hours: 26,
  start: '2026-11-24T00:00:00.000Z',
  positives: {},
  hardNegatives: [],
  records: 0,
  campaigns: [
    { shape: 'coordinated_calling', groupId: 'a', lines: lines('810', 10), imeis: [], cells: [] },
    { shape: 'coordinated_calling', groupId: 'b', lines: lines('811', 10), imeis: [], cells: [] },
    { shape: 'target_sweep', groupId: 'c', lines: lines('812', 10), imeis: [], cells: [] },
  ],
  groupHardNegatives: {
    dual_sim: lines('820', 50),
    call_centre: lines('821', 50),
    delivery_rider: [],
    iot_meter: [],
    tour_guide: [],
  },
  normalLines: lines('830', 2000),
};

describe('evaluateCampaigns', () => {
  it('counts precision and recall by member lines of each shape, and shares of lines flagged', () => {
    const calling = [...lines('810', 10), ...lines('811', 8)];
    const alerts = [
      ...calling.map((msisdn) => ({ msisdn, rule: 'coordinated_calling' })),
      // A call-centre line and a sweep line in a calling group: false positives of that rule.
      { msisdn: '+66821000000', rule: 'coordinated_calling' },
      { msisdn: '+66812000000', rule: 'coordinated_calling' },
      // Counted once per line however many alerts it has.
      { msisdn: '+66810000000', rule: 'coordinated_calling' },
      { msisdn: '+66830000007', rule: 'high_volume_calling' },
    ];
    const e = evaluateCampaigns(labels, alerts);
    const calls = e.groupRules.find((r) => r.rule === 'coordinated_calling');
    expect(calls).toMatchObject({
      campaigns: 2,
      campaignLines: 20,
      flagged: 20,
      truePositives: 18,
      precision: 0.9,
      campaignPrecision: 0.95,
      recall: 0.9,
      flaggedByAnyRule: 18,
      recallGoalMet: true,
    });
    const sweep = e.groupRules.find((r) => r.rule === 'target_sweep');
    expect(sweep).toMatchObject({ campaignLines: 10, flagged: 0, precision: null, recall: 0 });
    expect(sweep?.flaggedByAnyRule).toBe(1);
    expect(e.groupRules.find((r) => r.rule === 'simbox_cluster')).toMatchObject({
      campaignLines: 0,
      recall: null,
      recallGoalMet: false,
    });
    expect(e.lines.campaign).toEqual({ lines: 30, flagged: 19, share: 19 / 30 });
    expect(e.lines.hardNegatives).toEqual({ lines: 100, flagged: 1, share: 0.01 });
    expect(e.lines.hardNegativeKinds.call_centre).toEqual({ lines: 50, flagged: 1, share: 0.02 });
    expect(e.lines.hardNegativeKinds.tour_guide).toEqual({ lines: 0, flagged: 0, share: null });
    expect(e.lines.normal).toEqual({ lines: 2000, flagged: 1, share: 0.0005 });
    expect(e.byRule).toEqual([
      {
        rule: 'coordinated_calling',
        flagged: 20,
        sameShapeCampaign: 18,
        otherCampaign: 1,
        hardNegative: 1,
        normal: 0,
        unlabelled: 0,
      },
      {
        rule: 'high_volume_calling',
        flagged: 1,
        sameShapeCampaign: 0,
        otherCampaign: 0,
        hardNegative: 0,
        normal: 1,
        unlabelled: 0,
      },
    ]);
    // Target sweep's recall is 0: the goals are not met, though both shares are at their limits.
    expect(e.goals).toEqual({
      recallPerShape: false,
      hardNegativeShare: true,
      normalShare: true,
      all: false,
    });
    expect(e.falsePositives).toEqual([
      { msisdn: '+66821000000', label: 'call_centre', rules: ['coordinated_calling'] },
      { msisdn: '+66830000007', label: 'normal', rules: ['high_volume_calling'] },
    ]);
    const text = renderCampaignEvaluation(e);
    expect(text).toMatch(/^coordinated_calling +2 +20 +20 +18 +0\.900 +0\.950 +0\.900 +18 +met$/m);
    expect(text).toMatch(/^target_sweep +1 +10 +0 +0 +- +- +0\.000 +1 +NOT met$/m);
    expect(text).toMatch(/^normal +2000 +1 +0\.05% +<= 0\.05% met$/m);
    expect(text).toMatch(/^all goals: NOT met$/m);
  });

  it('meets every goal when each shape is caught and nothing else is flagged', () => {
    const alerts = (labels.campaigns ?? []).flatMap((c) =>
      c.lines.map((msisdn) => ({ msisdn, rule: c.shape })),
    );
    const e = evaluateCampaigns(labels, alerts);
    expect(e.goals.all).toBe(true);
    expect(e.falsePositives).toEqual([]);
  });

  it('aligns a table: first column left, the others right', () => {
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 1],
      ]),
    ).toBe('a    bb\nccc   1\n');
  });
});
