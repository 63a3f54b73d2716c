import { evidence, type LineRule, margin, scoreOf } from './rule.js';

export interface ShortCallBurstThresholds {
  outgoingCallsAtLeast: number;
  /** Calls shorter than this, or unanswered, count as short. */
  shortCallSec: number;
  shortOrUnansweredShareAbove: number;
}

/** Many outgoing calls in a day, a large share of them short or unanswered. */
export const shortCallBurst: LineRule<'short_call_burst', ShortCallBurstThresholds> = {
  code: 'short_call_burst',
  subject: 'line',
  window: '24h',
  early: false,
  volume: true,
  defaults: { outgoingCallsAtLeast: 100, shortCallSec: 6, shortOrUnansweredShareAbove: 0.2 },
  fields: {
    outgoingCallsAtLeast: 'count',
    shortCallSec: 'seconds',
    shortOrUnansweredShareAbove: 'share',
  },
  gate: (c, t) => c.outgoingCalls24h >= t.outgoingCallsAtLeast,
  evaluate(f, t) {
    if (
      !(
        f.outgoing_calls_24h >= t.outgoingCallsAtLeast &&
        f.short_or_unanswered_share_24h > t.shortOrUnansweredShareAbove
      )
    )
      return undefined;
    return {
      rule: 'short_call_burst',
      score: scoreOf(
        margin(f.outgoing_calls_24h, t.outgoingCallsAtLeast),
        margin(f.short_or_unanswered_share_24h, t.shortOrUnansweredShareAbove),
      ),
      evidence: [
        evidence('outgoing_calls_24h', f.outgoing_calls_24h, t.outgoingCallsAtLeast, '>='),
        evidence(
          'short_or_unanswered_share_24h',
          f.short_or_unanswered_share_24h,
          t.shortOrUnansweredShareAbove,
          '>',
        ),
      ],
    };
  },
};
