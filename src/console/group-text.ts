import type { GroupRuleCode } from '../scoring/rules/index.js';

/**
 * What each group rule means, in plain words, with what to do about it: the dashboard explains a
 * member line's group alert with it, and the campaign pages explain the whole group.
 */
export const GROUP_ALERT_TEXT: Record<GroupRuleCode, { label: string; explain: string }> = {
  coordinated_calling: {
    label: 'Coordinated calling from one place',
    explain:
      'Many lines in the same cell each call many different numbers with short or unanswered calls and are hardly called back: one operation spreading its calls over many SIMs so that no single line crosses a limit. The operators should review every member line together and suspend those used for scams.',
  },
  coordinated_wangiri: {
    label: 'One-ring calls abroad from one place',
    explain:
      'Many lines in the same cell make very short international calls that ring once, so that victims call back expensive numbers. The operators should block the member lines and warn customers not to call back unknown foreign numbers.',
  },
  simbox_cluster: {
    label: 'Handsets cycling SIMs in one place (SIM farm)',
    explain:
      'A few handsets in the same cell carry many lines in turn, each of them calling out and hardly called back: a SIM farm that swaps cards to stay under the per-handset limit. The operators should review the shared handsets and every line used in them.',
  },
  coordinated_sms_blast: {
    label: 'Coordinated text messages with links',
    explain:
      'Many lines text messages with links to the same block of consecutive numbers: a hit list of victims shared by one operation. The operators should stop the member lines and warn the recipients not to open the links.',
  },
  target_sweep: {
    label: 'Many lines working through one block of numbers',
    explain:
      'Many lines call the same block of consecutive numbers with short or unanswered calls: a hit list swept by one operation. The operators should review the member lines together and warn the people called.',
  },
};

/** A group key as words: the cell, or the block of a thousand numbers texted or called. */
export function groupKeyText(groupKey: string): string {
  const at = groupKey.indexOf(':');
  const kind = groupKey.slice(0, at);
  const value = groupKey.slice(at + 1);
  if (kind === 'cell') return `Cell ${value}`;
  const block = `${value}000–${value}999`;
  return kind === 'sms-block' ? `Numbers texted ${block}` : `Numbers called ${block}`;
}

/** The group's totals, named as the rules name them. */
export const CHECK_TEXT: Record<string, string> = {
  member_lines: 'Member lines behaving alike',
  outgoing_calls: 'Outgoing calls',
  one_ring_calls: 'One-ring international calls',
  short_or_unanswered_calls: 'Short or unanswered calls',
  short_or_unanswered_share: 'Share of short or unanswered calls',
  distinct_recipients: 'Distinct recipients',
  url_sms: 'Text messages with links',
  international_share: 'Share of international calls',
  shared_handsets: 'Handsets shared by member lines',
  distinct_targets: 'Distinct numbers reached',
};
