import { type GroupMember, type GroupRule, groupEvidence, margin, scoreOf } from './rule.js';

export interface CoordinatedWangiriThresholds {
  membersAtLeast: number;
  /** Per member: one-ring calls (unanswered, at most `wangiri.maxDurationSec`) from the cell. */
  memberOneRingCallsAtLeast: number;
  memberInternationalShareAtLeast: number;
  /** Per member: one-ring calls at least this share of its outgoing calls from the cell. */
  memberOneRingShareAtLeast: number;
  memberDistinctNumbersAtLeast: number;
}

function qualifies(m: GroupMember, t: CoordinatedWangiriThresholds): boolean {
  return (
    m.oneRingCalls >= t.memberOneRingCallsAtLeast &&
    m.oneRingCalls >= t.memberOneRingShareAtLeast * m.outgoingCalls &&
    m.oneRingInternational >= t.memberInternationalShareAtLeast * m.oneRingCalls &&
    m.targets >= t.memberDistinctNumbersAtLeast
  );
}

/**
 * Many lines in one cell making one-ring international calls, each under `wangiri`. Tour guides
 * call abroad too, but their calls are answered.
 */
export const coordinatedWangiri: GroupRule<'coordinated_wangiri', CoordinatedWangiriThresholds> = {
  code: 'coordinated_wangiri',
  subject: 'group',
  window: 'day',
  keyKind: 'cell',
  reads: [],
  defaults: {
    membersAtLeast: 3,
    memberOneRingCallsAtLeast: 8,
    memberInternationalShareAtLeast: 0.6,
    memberOneRingShareAtLeast: 0.6,
    memberDistinctNumbersAtLeast: 6,
  },
  fields: {
    membersAtLeast: 'count',
    memberOneRingCallsAtLeast: 'count',
    memberInternationalShareAtLeast: 'share',
    memberOneRingShareAtLeast: 'share',
    memberDistinctNumbersAtLeast: 'count',
  },
  qualifies,
  evaluate(g, t) {
    const members = g.members.filter((m) => qualifies(m, t));
    if (members.length < t.membersAtLeast || members.length === 0) return undefined;
    let calls = 0;
    let intl = 0;
    for (const m of members) {
      calls += m.oneRingCalls;
      intl += m.oneRingInternational;
    }
    return {
      rule: 'coordinated_wangiri',
      score: scoreOf(margin(members.length, t.membersAtLeast)),
      members,
      evidence: [
        groupEvidence('member_lines', members.length, t.membersAtLeast, '>='),
        groupEvidence(
          'one_ring_calls',
          calls,
          t.memberOneRingCallsAtLeast * t.membersAtLeast,
          '>=',
        ),
        groupEvidence('international_share', intl / calls, t.memberInternationalShareAtLeast, '>='),
      ],
    };
  },
};
