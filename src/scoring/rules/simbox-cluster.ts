import {
  type GroupMember,
  type GroupRule,
  groupEvidence,
  margin,
  outInRatio,
  scoreOf,
} from './rule.js';

export interface SimboxClusterThresholds {
  membersAtLeast: number;
  /** Handsets carrying member lines, each seen in the cell with two or more lines. */
  sharedHandsetsAtLeast: number;
  memberCallsAtLeast: number;
  memberDistinctCalleesAtLeast: number;
  memberOutgoingIncomingRatioAtLeast: number;
  memberSmsAtMost: number;
  /** SIM-box calls are answered conversations, unlike a calling campaign's one-ring calls. */
  memberShortShareAtMost: number;
}

function qualifies(m: GroupMember, t: SimboxClusterThresholds): boolean {
  return (
    m.outgoingCalls >= t.memberCallsAtLeast &&
    m.targets >= t.memberDistinctCalleesAtLeast &&
    outInRatio(m) >= t.memberOutgoingIncomingRatioAtLeast &&
    m.smsSent <= t.memberSmsAtMost &&
    m.shortOrUnanswered <= t.memberShortShareAtMost * m.outgoingCalls
  );
}

/**
 * Handsets in one cell cycling SIMs two or three at a time (so no IMEI reaches
 * `imei_multi_sim`), their lines calling out like a SIM box. A dual-SIM phone carries two lines
 * but they are not voice-only callers hardly called back.
 */
export const simboxCluster: GroupRule<'simbox_cluster', SimboxClusterThresholds> = {
  code: 'simbox_cluster',
  subject: 'group',
  window: 'day',
  keyKind: 'cell',
  reads: ['handsets'],
  defaults: {
    membersAtLeast: 4,
    sharedHandsetsAtLeast: 2,
    memberCallsAtLeast: 15,
    memberDistinctCalleesAtLeast: 10,
    memberOutgoingIncomingRatioAtLeast: 4,
    memberSmsAtMost: 2,
    memberShortShareAtMost: 0.2,
  },
  fields: {
    membersAtLeast: 'count',
    sharedHandsetsAtLeast: 'count',
    memberCallsAtLeast: 'count',
    memberDistinctCalleesAtLeast: 'count',
    memberOutgoingIncomingRatioAtLeast: 'ratio',
    memberSmsAtMost: 'count',
    memberShortShareAtMost: 'share',
  },
  qualifies,
  evaluate(g, t) {
    // A handset is shared when it carried two or more of the key's lines, whatever they did;
    // the members are the lines behaving like a SIM box on a shared handset.
    const linesOf = new Map<string, number>();
    for (const m of g.members)
      for (const imei of m.imeis) linesOf.set(imei, (linesOf.get(imei) ?? 0) + 1);
    const onShared = (i: string) => (linesOf.get(i) ?? 0) >= 2;
    const members = g.members.filter((m) => qualifies(m, t) && m.imeis.some(onShared));
    const shared = new Set(members.flatMap((m) => m.imeis.filter(onShared)));
    if (
      members.length < t.membersAtLeast ||
      members.length === 0 ||
      shared.size < t.sharedHandsetsAtLeast
    )
      return undefined;
    return {
      rule: 'simbox_cluster',
      score: scoreOf(
        margin(members.length, t.membersAtLeast),
        margin(shared.size, t.sharedHandsetsAtLeast),
      ),
      members,
      evidence: [
        groupEvidence('member_lines', members.length, t.membersAtLeast, '>='),
        groupEvidence('shared_handsets', shared.size, t.sharedHandsetsAtLeast, '>='),
      ],
    };
  },
};
