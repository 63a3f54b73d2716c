import {
  type GroupMember,
  type GroupRule,
  groupEvidence,
  margin,
  outInRatio,
  scoreOf,
} from './rule.js';

export interface CoordinatedCallingThresholds {
  /** Member lines behaving alike in the cell. */
  membersAtLeast: number;
  /** Per member: outgoing calls from the cell in the day. */
  memberCallsAtLeast: number;
  memberShortShareAtLeast: number;
  memberDistinctCalleesAtLeast: number;
  memberOutgoingIncomingRatioAtLeast: number;
  /**
   * Per member: distinct blocks of a thousand numbers called over distinct numbers called, at
   * least this (numbers spread over the plan; a hit list of consecutive blocks is target_sweep's).
   */
  memberTargetBlockSpreadAtLeast: number;
  /** Per member: one-ring international calls at most this share (else it is wangiri's). */
  memberOneRingInternationalShareAtMost: number;
}

function qualifies(m: GroupMember, t: CoordinatedCallingThresholds): boolean {
  return (
    m.outgoingCalls >= t.memberCallsAtLeast &&
    m.shortOrUnanswered >= t.memberShortShareAtLeast * m.outgoingCalls &&
    m.targets >= t.memberDistinctCalleesAtLeast &&
    m.targetBlocks >= t.memberTargetBlockSpreadAtLeast * m.targets &&
    outInRatio(m) >= t.memberOutgoingIncomingRatioAtLeast &&
    m.oneRingInternational <= t.memberOneRingInternationalShareAtMost * m.outgoingCalls
  );
}

/**
 * Many SIMs in one cell, each calling many distinct numbers with short or unanswered calls and
 * hardly called back: the work of one line rule spread under its threshold. A call centre (long
 * answered calls, calls back) and a mall (few calls per line) do not behave so.
 */
export const coordinatedCalling: GroupRule<'coordinated_calling', CoordinatedCallingThresholds> = {
  code: 'coordinated_calling',
  subject: 'group',
  window: 'day',
  keyKind: 'cell',
  reads: [],
  defaults: {
    membersAtLeast: 3,
    memberCallsAtLeast: 15,
    memberShortShareAtLeast: 0.5,
    memberDistinctCalleesAtLeast: 10,
    memberOutgoingIncomingRatioAtLeast: 4,
    memberTargetBlockSpreadAtLeast: 0.5,
    memberOneRingInternationalShareAtMost: 0.3,
  },
  fields: {
    membersAtLeast: 'count',
    memberCallsAtLeast: 'count',
    memberShortShareAtLeast: 'share',
    memberDistinctCalleesAtLeast: 'count',
    memberOutgoingIncomingRatioAtLeast: 'ratio',
    memberTargetBlockSpreadAtLeast: 'share',
    memberOneRingInternationalShareAtMost: 'share',
  },
  qualifies,
  evaluate(g, t) {
    const members = g.members.filter((m) => qualifies(m, t));
    if (members.length < t.membersAtLeast || members.length === 0) return undefined;
    let calls = 0;
    let short = 0;
    for (const m of members) {
      calls += m.outgoingCalls;
      short += m.shortOrUnanswered;
    }
    return {
      rule: 'coordinated_calling',
      score: scoreOf(margin(members.length, t.membersAtLeast)),
      members,
      evidence: [
        groupEvidence('member_lines', members.length, t.membersAtLeast, '>='),
        groupEvidence('outgoing_calls', calls, t.memberCallsAtLeast * t.membersAtLeast, '>='),
        groupEvidence('short_or_unanswered_share', short / calls, t.memberShortShareAtLeast, '>='),
      ],
    };
  },
};
