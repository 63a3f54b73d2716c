import { evidence, type LineRule, margin, scoreOf } from './rule.js';

export interface WangiriThresholds {
  /** Outgoing calls that were unanswered and lasted at most `maxDurationSec`. */
  callsAtLeast: number;
  maxDurationSec: number;
  distinctNumbersAtLeast: number;
  internationalShareAtLeast: number;
}

/** One-ring calls in an hour to many numbers, mostly abroad, so that they call back. */
export const wangiri: LineRule<'wangiri', WangiriThresholds> = {
  code: 'wangiri',
  subject: 'line',
  window: '1h',
  early: false,
  volume: false,
  defaults: {
    callsAtLeast: 30,
    maxDurationSec: 3,
    distinctNumbersAtLeast: 25,
    internationalShareAtLeast: 0.6,
  },
  fields: {
    callsAtLeast: 'count',
    maxDurationSec: 'seconds',
    distinctNumbersAtLeast: 'count',
    internationalShareAtLeast: 'share',
  },
  gate: (c, t) => c.wangiriCalls1h >= t.callsAtLeast,
  evaluate(f, t) {
    if (
      !(
        f.wangiri_calls_1h >= t.callsAtLeast &&
        f.wangiri_distinct_numbers_1h >= t.distinctNumbersAtLeast &&
        f.wangiri_international_share_1h >= t.internationalShareAtLeast
      )
    )
      return undefined;
    return {
      rule: 'wangiri',
      score: scoreOf(
        margin(f.wangiri_calls_1h, t.callsAtLeast),
        margin(f.wangiri_international_share_1h, t.internationalShareAtLeast),
      ),
      evidence: [
        evidence('wangiri_calls_1h', f.wangiri_calls_1h, t.callsAtLeast, '>='),
        evidence(
          'wangiri_distinct_numbers_1h',
          f.wangiri_distinct_numbers_1h,
          t.distinctNumbersAtLeast,
          '>=',
        ),
        evidence(
          'wangiri_international_share_1h',
          f.wangiri_international_share_1h,
          t.internationalShareAtLeast,
          '>=',
        ),
      ],
    };
  },
};
