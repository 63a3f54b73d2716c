import { type GroupMember, type GroupRule, groupEvidence, margin, scoreOf } from './rule.js';

export interface TargetSweepThresholds {
  membersAtLeast: number;
  /** Per member: short or unanswered calls into the block of numbers in the day. */
  memberCallsAtLeast: number;
  /** Distinct numbers of the block (of 1,000) called short or unanswered by its lines. */
  distinctTargetsAtLeast: number;
}

function qualifies(m: GroupMember, t: TargetSweepThresholds): boolean {
  return m.shortOrUnanswered >= t.memberCallsAtLeast;
}

/** A hit list: a block of consecutive numbers dialled, short or unanswered, by many lines. */
export const targetSweep: GroupRule<'target_sweep', TargetSweepThresholds> = {
  code: 'target_sweep',
  subject: 'group',
  window: 'day',
  keyKind: 'call-block',
  reads: ['distinctTargets'],
  defaults: { membersAtLeast: 4, memberCallsAtLeast: 2, distinctTargetsAtLeast: 30 },
  fields: { membersAtLeast: 'count', memberCallsAtLeast: 'count', distinctTargetsAtLeast: 'count' },
  qualifies,
  evaluate(g, t) {
    const members = g.members.filter((m) => qualifies(m, t));
    if (
      members.length < t.membersAtLeast ||
      members.length === 0 ||
      g.distinctTargets < t.distinctTargetsAtLeast
    )
      return undefined;
    let calls = 0;
    for (const m of members) calls += m.shortOrUnanswered;
    return {
      rule: 'target_sweep',
      score: scoreOf(
        margin(members.length, t.membersAtLeast),
        margin(g.distinctTargets, t.distinctTargetsAtLeast),
      ),
      members,
      evidence: [
        groupEvidence('member_lines', members.length, t.membersAtLeast, '>='),
        groupEvidence('distinct_targets', g.distinctTargets, t.distinctTargetsAtLeast, '>='),
        groupEvidence(
          'short_or_unanswered_calls',
          calls,
          t.memberCallsAtLeast * t.membersAtLeast,
          '>=',
        ),
      ],
    };
  },
};
