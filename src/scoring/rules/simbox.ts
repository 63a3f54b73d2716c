import { evidence, type LineRule, margin, scoreOf } from './rule.js';

export interface SimboxThresholds {
  outgoingCallsAtLeast: number;
  distinctCalleesAtLeast: number;
  outgoingIncomingRatioAtLeast: number;
  smsSentAtMost: number;
  distinctCellsAtMost: number;
}

/** A SIM box: a voice-only line in one or two cells calling many numbers, hardly called back. */
export const simbox: LineRule<'simbox', SimboxThresholds> = {
  code: 'simbox',
  subject: 'line',
  window: '24h',
  early: false,
  volume: true,
  defaults: {
    outgoingCallsAtLeast: 60,
    distinctCalleesAtLeast: 40,
    outgoingIncomingRatioAtLeast: 10,
    smsSentAtMost: 2,
    distinctCellsAtMost: 2,
  },
  fields: {
    outgoingCallsAtLeast: 'count',
    distinctCalleesAtLeast: 'count',
    outgoingIncomingRatioAtLeast: 'ratio',
    smsSentAtMost: 'count',
    distinctCellsAtMost: 'count',
  },
  gate: (c, t) => c.outgoingCalls24h >= t.outgoingCallsAtLeast,
  evaluate(f, t) {
    if (
      !(
        f.outgoing_calls_24h >= t.outgoingCallsAtLeast &&
        f.distinct_callees_24h >= t.distinctCalleesAtLeast &&
        f.outgoing_incoming_ratio_24h >= t.outgoingIncomingRatioAtLeast &&
        f.sms_sent_24h <= t.smsSentAtMost &&
        f.distinct_cells_24h <= t.distinctCellsAtMost
      )
    )
      return undefined;
    return {
      rule: 'simbox',
      score: scoreOf(
        margin(f.outgoing_calls_24h, t.outgoingCallsAtLeast),
        margin(f.outgoing_incoming_ratio_24h, t.outgoingIncomingRatioAtLeast),
      ),
      evidence: [
        evidence('outgoing_calls_24h', f.outgoing_calls_24h, t.outgoingCallsAtLeast, '>='),
        evidence('distinct_callees_24h', f.distinct_callees_24h, t.distinctCalleesAtLeast, '>='),
        evidence(
          'outgoing_incoming_ratio_24h',
          f.outgoing_incoming_ratio_24h,
          t.outgoingIncomingRatioAtLeast,
          '>=',
        ),
        evidence('sms_sent_24h', f.sms_sent_24h, t.smsSentAtMost, '<='),
        evidence('distinct_cells_24h', f.distinct_cells_24h, t.distinctCellsAtMost, '<='),
      ],
    };
  },
};
