import { type GroupMember, type GroupRule, groupEvidence, margin, scoreOf } from './rule.js';

export interface CoordinatedSmsBlastThresholds {
  membersAtLeast: number;
  /** Per member: SMS with a URL into the block of numbers in the day. */
  memberUrlSmsAtLeast: number;
  /** Distinct numbers of the block (of 1,000) texted with a URL by its lines. */
  distinctRecipientsAtLeast: number;
}

function qualifies(m: GroupMember, t: CoordinatedSmsBlastThresholds): boolean {
  return m.urlSms >= t.memberUrlSmsAtLeast;
}

/**
 * Many lines texting URLs into the same block of consecutive numbers (a hit list), each under
 * `sms_blast_urls`. An IoT meter texts one number, without a URL.
 */
export const coordinatedSmsBlast: GroupRule<
  'coordinated_sms_blast',
  CoordinatedSmsBlastThresholds
> = {
  code: 'coordinated_sms_blast',
  subject: 'group',
  window: 'day',
  keyKind: 'sms-block',
  reads: ['distinctTargets'],
  defaults: { membersAtLeast: 4, memberUrlSmsAtLeast: 2, distinctRecipientsAtLeast: 30 },
  fields: {
    membersAtLeast: 'count',
    memberUrlSmsAtLeast: 'count',
    distinctRecipientsAtLeast: 'count',
  },
  qualifies,
  evaluate(g, t) {
    const members = g.members.filter((m) => qualifies(m, t));
    if (
      members.length < t.membersAtLeast ||
      members.length === 0 ||
      g.distinctTargets < t.distinctRecipientsAtLeast
    )
      return undefined;
    let sms = 0;
    for (const m of members) sms += m.urlSms;
    return {
      rule: 'coordinated_sms_blast',
      score: scoreOf(margin(members.length, t.membersAtLeast)),
      members,
      evidence: [
        groupEvidence('member_lines', members.length, t.membersAtLeast, '>='),
        groupEvidence('distinct_recipients', g.distinctTargets, t.distinctRecipientsAtLeast, '>='),
        groupEvidence('url_sms', sms, t.memberUrlSmsAtLeast * t.membersAtLeast, '>='),
      ],
    };
  },
};
