import { evidence, type LineRule, margin, scoreOf } from './rule.js';

export interface HighVolumeCallingThresholds {
  outgoingCallsAbove: number;
  distinctCalleesAtLeast: number;
}

/** Many outgoing calls to many numbers in a day. */
export const highVolumeCalling: LineRule<'high_volume_calling', HighVolumeCallingThresholds> = {
  code: 'high_volume_calling',
  subject: 'line',
  window: '24h',
  early: true,
  volume: true,
  /** The Thai regulator's figure: more than 100 outgoing calls a day. */
  defaults: { outgoingCallsAbove: 100, distinctCalleesAtLeast: 50 },
  fields: { outgoingCallsAbove: 'count', distinctCalleesAtLeast: 'count' },
  gate: (c, t) => c.outgoingCalls24h > t.outgoingCallsAbove,
  evaluate(f, t) {
    if (
      !(
        f.outgoing_calls_24h > t.outgoingCallsAbove &&
        f.distinct_callees_24h >= t.distinctCalleesAtLeast
      )
    )
      return undefined;
    return {
      rule: 'high_volume_calling',
      score: scoreOf(margin(f.outgoing_calls_24h, t.outgoingCallsAbove)),
      evidence: [
        evidence('outgoing_calls_24h', f.outgoing_calls_24h, t.outgoingCallsAbove, '>'),
        evidence('distinct_callees_24h', f.distinct_callees_24h, t.distinctCalleesAtLeast, '>='),
      ],
    };
  },
};
