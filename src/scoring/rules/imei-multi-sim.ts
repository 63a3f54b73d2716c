import { evidence, type ImeiRule, margin, scoreOf } from './rule.js';

export interface ImeiMultiSimThresholds {
  distinctImsisAtLeast: number;
}

/** One handset (IMEI) seen with many SIMs (IMSIs) in a UTC day. */
export const imeiMultiSim: ImeiRule<'imei_multi_sim', ImeiMultiSimThresholds> = {
  code: 'imei_multi_sim',
  subject: 'imei',
  window: 'day',
  defaults: { distinctImsisAtLeast: 5 },
  fields: { distinctImsisAtLeast: 'count' },
  gate: (imsisBound, t) => imsisBound >= t.distinctImsisAtLeast,
  evaluate(distinctImsis, t) {
    if (distinctImsis < t.distinctImsisAtLeast) return undefined;
    return {
      rule: 'imei_multi_sim',
      score: scoreOf(margin(distinctImsis, t.distinctImsisAtLeast)),
      evidence: [evidence('distinct_imsis_24h', distinctImsis, t.distinctImsisAtLeast, '>=')],
    };
  },
};
