import { evidence, type LineRule, margin, scoreOf } from './rule.js';

export interface NewLineBurstThresholds {
  lineAgeHoursAtMost: number;
  outgoingAtLeast: number;
}

/** A line registered hours ago that already calls or texts in bulk. */
export const newLineBurst: LineRule<'new_line_burst', NewLineBurstThresholds> = {
  code: 'new_line_burst',
  subject: 'line',
  window: '1h',
  early: true,
  volume: true,
  defaults: { lineAgeHoursAtMost: 48, outgoingAtLeast: 40 },
  fields: { lineAgeHoursAtMost: 'hours', outgoingAtLeast: 'count' },
  gate: (c, t) => c.outgoing1h >= t.outgoingAtLeast,
  evaluate(f, t) {
    if (
      !(
        f.line_age_hours !== null &&
        f.line_age_hours <= t.lineAgeHoursAtMost &&
        f.outgoing_1h >= t.outgoingAtLeast
      )
    )
      return undefined;
    return {
      rule: 'new_line_burst',
      score: scoreOf(margin(f.outgoing_1h, t.outgoingAtLeast)),
      evidence: [
        evidence('line_age_hours', f.line_age_hours, t.lineAgeHoursAtMost, '<='),
        evidence('outgoing_1h', f.outgoing_1h, t.outgoingAtLeast, '>='),
      ],
    };
  },
};
