/**
 * How well the rules do on generated campaign traffic (`cdr generate --campaigns`): per group rule,
 * precision and recall over the member lines of campaigns of its shape (a line is caught when it
 * is a member of an alert of that rule); per line, the share of campaign lines, of each kind of
 * hard negative and of ordinary lines flagged by any rule; and whether each goal of issue 15 holds.
 */
import type { Labels, RuleQuality } from './generator.js';
import {
  CAMPAIGN_SHAPES,
  type CampaignShape,
  GROUP_HARD_NEGATIVE_KINDS,
  type GroupHardNegativeKind,
} from './generator-campaigns.js';

/** Issue 15's goals: recall per shape, and the most hard-negative and ordinary lines flagged. */
export const CAMPAIGN_GOALS = {
  recallAtLeast: 0.9,
  hardNegativeShareAtMost: 0.01,
  normalShareAtMost: 0.0005,
} as const;

export interface GroupRuleQuality {
  rule: CampaignShape;
  campaigns: number;
  campaignLines: number;
  /** Lines that are members of an alert of this rule. */
  flagged: number;
  /** Of those, members of a campaign of this rule's shape. */
  truePositives: number;
  precision: number | null;
  /** Of the lines this rule flagged, the share that are members of any campaign. */
  campaignPrecision: number | null;
  recall: number | null;
  /** Campaign lines of this shape flagged by any rule. */
  flaggedByAnyRule: number;
  recallGoalMet: boolean;
}

export interface LineShare {
  lines: number;
  flagged: number;
  share: number | null;
}

/** Per rule code seen in the alerts: whose lines it flagged. */
export interface RuleBreakdown {
  rule: string;
  flagged: number;
  sameShapeCampaign: number;
  otherCampaign: number;
  hardNegative: number;
  normal: number;
  unlabelled: number;
}

export interface CampaignEvaluation {
  groupRules: GroupRuleQuality[];
  lines: {
    campaign: LineShare;
    hardNegatives: LineShare;
    hardNegativeKinds: Record<GroupHardNegativeKind, LineShare>;
    normal: LineShare;
  };
  byRule: RuleBreakdown[];
  goals: {
    recallPerShape: boolean;
    hardNegativeShare: boolean;
    normalShare: boolean;
    all: boolean;
  };
  /** Lines flagged that should not be, for a look at why (hard negatives and ordinary lines). */
  falsePositives: { msisdn: string; label: string; rules: string[] }[];
}

function share(lines: number, flagged: number): LineShare {
  return { lines, flagged, share: lines === 0 ? null : flagged / lines };
}

/**
 * `alerts` are `{ msisdn, rule }` of line alerts and of group alerts' member lines (one row per
 * member line); a line is flagged when it appears with any rule.
 */
export function evaluateCampaigns(
  labels: Labels,
  alerts: readonly { msisdn: string; rule: string }[],
): CampaignEvaluation {
  const campaigns = labels.campaigns ?? [];
  const shapeOf = new Map<string, CampaignShape>();
  for (const c of campaigns) for (const l of c.lines) shapeOf.set(l, c.shape);
  const kindOf = new Map<string, GroupHardNegativeKind>();
  for (const k of GROUP_HARD_NEGATIVE_KINDS)
    for (const l of labels.groupHardNegatives?.[k] ?? []) kindOf.set(l, k);
  const normal = new Set(labels.normalLines ?? []);

  const rulesOf = new Map<string, Set<string>>();
  const linesOf = new Map<string, Set<string>>();
  for (const a of alerts) {
    const rules = rulesOf.get(a.msisdn) ?? new Set<string>();
    rulesOf.set(a.msisdn, rules.add(a.rule));
    const lines = linesOf.get(a.rule) ?? new Set<string>();
    linesOf.set(a.rule, lines.add(a.msisdn));
  }
  const flagged = (l: string) => rulesOf.has(l);

  const groupRules = CAMPAIGN_SHAPES.map((rule): GroupRuleQuality => {
    const members = campaigns.filter((c) => c.shape === rule).flatMap((c) => c.lines);
    const byRule = linesOf.get(rule) ?? new Set<string>();
    const tp = [...byRule].filter((l) => shapeOf.get(l) === rule).length;
    const recall = members.length === 0 ? null : tp / members.length;
    return {
      rule,
      campaigns: campaigns.filter((c) => c.shape === rule).length,
      campaignLines: members.length,
      flagged: byRule.size,
      truePositives: tp,
      precision: byRule.size === 0 ? null : tp / byRule.size,
      campaignPrecision:
        byRule.size === 0 ? null : [...byRule].filter((l) => shapeOf.has(l)).length / byRule.size,
      recall,
      flaggedByAnyRule: members.filter(flagged).length,
      recallGoalMet: recall !== null && recall >= CAMPAIGN_GOALS.recallAtLeast,
    };
  });

  const byRule = [...linesOf.entries()]
    .map(([rule, lines]): RuleBreakdown => {
      const row = {
        rule,
        flagged: lines.size,
        sameShapeCampaign: 0,
        otherCampaign: 0,
        hardNegative: 0,
        normal: 0,
        unlabelled: 0,
      };
      for (const l of lines) {
        const shape = shapeOf.get(l);
        if (shape === rule) row.sameShapeCampaign++;
        else if (shape !== undefined) row.otherCampaign++;
        else if (kindOf.has(l)) row.hardNegative++;
        else if (normal.has(l)) row.normal++;
        else row.unlabelled++;
      }
      return row;
    })
    .sort((a, b) => a.rule.localeCompare(b.rule));

  const campaignLines = [...shapeOf.keys()];
  const negativeLines = [...kindOf.keys()];
  const hardNegativeKinds = Object.fromEntries(
    GROUP_HARD_NEGATIVE_KINDS.map((k) => {
      const lines = labels.groupHardNegatives?.[k] ?? [];
      return [k, share(lines.length, lines.filter(flagged).length)];
    }),
  ) as Record<GroupHardNegativeKind, LineShare>;
  const lines = {
    campaign: share(campaignLines.length, campaignLines.filter(flagged).length),
    hardNegatives: share(negativeLines.length, negativeLines.filter(flagged).length),
    hardNegativeKinds,
    normal: share(normal.size, [...normal].filter(flagged).length),
  };
  const recallPerShape = groupRules.every((r) => r.campaignLines === 0 || r.recallGoalMet);
  const hardNegativeShare =
    (lines.hardNegatives.share ?? 0) <= CAMPAIGN_GOALS.hardNegativeShareAtMost;
  const normalShare = (lines.normal.share ?? 0) <= CAMPAIGN_GOALS.normalShareAtMost;
  const falsePositives = [...rulesOf.entries()]
    .filter(([l]) => kindOf.has(l) || normal.has(l))
    .map(([msisdn, rules]) => ({
      msisdn,
      label: kindOf.get(msisdn) ?? 'normal',
      rules: [...rules].sort(),
    }))
    .sort((a, b) => a.label.localeCompare(b.label) || a.msisdn.localeCompare(b.msisdn));
  return {
    groupRules,
    lines,
    byRule,
    goals: {
      recallPerShape,
      hardNegativeShare,
      normalShare,
      all: recallPerShape && hardNegativeShare && normalShare,
    },
    falsePositives,
  };
}

const ratio = (x: number | null, digits = 3) => (x === null ? '-' : x.toFixed(digits));
const percent = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);

/** Rows as aligned columns, the first row a header. */
export function table(rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = (cells[0] ?? []).map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return `${cells
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** The evaluation as tables for a terminal. */
export function renderCampaignEvaluation(e: CampaignEvaluation): string {
  const g = CAMPAIGN_GOALS;
  const groups = table([
    [
      'group rule',
      'campaigns',
      'lines',
      'flagged',
      'caught',
      'precision',
      'any campaign',
      'recall',
      'any rule',
      `recall >= ${g.recallAtLeast}`,
    ],
    ...e.groupRules.map((r) => [
      r.rule,
      r.campaigns,
      r.campaignLines,
      r.flagged,
      r.truePositives,
      ratio(r.precision),
      ratio(r.campaignPrecision),
      ratio(r.recall),
      r.flaggedByAnyRule,
      met(r.recallGoalMet),
    ]),
  ]);
  const l = e.lines;
  const lines = table([
    ['lines', 'count', 'flagged', 'share', 'goal'],
    ['campaign', l.campaign.lines, l.campaign.flagged, percent(l.campaign.share), ''],
    [
      'hard negatives',
      l.hardNegatives.lines,
      l.hardNegatives.flagged,
      percent(l.hardNegatives.share),
      `<= ${percent(g.hardNegativeShareAtMost)} ${met(e.goals.hardNegativeShare)}`,
    ],
    ...GROUP_HARD_NEGATIVE_KINDS.map((k) => [
      `  ${k}`,
      l.hardNegativeKinds[k].lines,
      l.hardNegativeKinds[k].flagged,
      percent(l.hardNegativeKinds[k].share),
      '',
    ]),
    [
      'normal',
      l.normal.lines,
      l.normal.flagged,
      percent(l.normal.share),
      `<= ${percent(g.normalShareAtMost)} ${met(e.goals.normalShare)}`,
    ],
  ]);
  const rules =
    e.byRule.length === 0
      ? 'no alerts\n'
      : table([
          [
            'rule',
            'flagged',
            'same shape',
            'other campaign',
            'hard negative',
            'normal',
            'unlabelled',
          ],
          ...e.byRule.map((r) => [
            r.rule,
            r.flagged,
            r.sameShapeCampaign,
            r.otherCampaign,
            r.hardNegative,
            r.normal,
            r.unlabelled,
          ]),
        ]);
  return `${groups}\n${lines}\n${rules}\nall goals: ${met(e.goals.all)}\n`;
}

/** The per-line-rule report of `evaluateAlerts` as a table. */
export function renderLineRuleQuality(
  rules: readonly RuleQuality[],
  hardNegativesFlagged: readonly string[],
): string {
  return `${table([
    ['line rule', 'planted', 'flagged', 'caught', 'precision', 'recall'],
    ...rules.map((r) => [
      r.rule,
      r.planted,
      r.flagged,
      r.truePositives,
      ratio(r.precision),
      ratio(r.recall),
    ]),
  ])}hard negatives flagged: ${hardNegativesFlagged.length}\n`;
}
