import { describe, expect, it } from 'vitest';
import type { Cdr } from '../../src/scoring/cdr.js';
import { ScoringEngine } from '../../src/scoring/engine.js';
import {
  DEFAULT_THRESHOLDS,
  mayRaiseAny,
  RULE_CODES,
  RULE_WINDOW,
  RULES,
  type RuleCode,
  VOLUME_RULES,
  validateThresholds,
} from '../../src/scoring/rules/index.js';
import { HOUR_MS } from '../../src/scoring/windows.js';

const T0 = Date.parse('2026-11-25T00:00:00Z');
const LINE = '+66811111111';
let seq = 0;

function cdr(over: Partial<Cdr> = {}): Cdr {
  seq++;
  return {
    recordId: `r${seq}`,
    type: 'voice',
    direction: 'mo',
    msisdn: LINE,
    otherParty: `+6682${String(seq).padStart(7, '0')}`,
    imsi: '520010000000001',
    imei: '350000000000001',
    cellId: '520-01-1-1',
    startedAt: T0 + 10 * 60_000,
    durationSec: 60,
    answered: true,
    containsUrl: false,
    operator: '520-01',
    ...over,
  };
}

/** `n` records of the line spread evenly over `hours` hours from T0. */
function spread(e: ScoringEngine, n: number, hours: number, over: (i: number) => Partial<Cdr>) {
  const step = Math.floor((hours * HOUR_MS) / n);
  for (let i = 0; i < n; i++) e.ingest('s', cdr({ startedAt: T0 + i * step, ...over(i) }), null);
}

/**
 * For each rule, traffic that only it flags. Typed by RuleCode, so a rule added to the list
 * without traffic here fails to compile.
 */
const FEEDS: Record<RuleCode, (e: ScoringEngine) => void> = {
  high_volume_calling: (e) => spread(e, 101, 6, (i) => ({ cellId: `520-01-1-${i % 3}` })),
  short_call_burst: (e) =>
    spread(e, 100, 5, (i) => ({ answered: false, durationSec: 0, cellId: `520-01-1-${i % 3}` })),
  wangiri: (e) =>
    spread(e, 35, 1, (i) => ({ answered: false, durationSec: 1, otherParty: `+8551${1e6 + i}` })),
  simbox: (e) => spread(e, 70, 4, () => ({})),
  imei_multi_sim: (e) => {
    for (let i = 0; i < 5; i++)
      e.ingestImei('s', {
        imei: '350000000000009',
        imsi: `52001000000010${i}`,
        msisdn: LINE,
        operatorId: null,
        startedAt: T0 + i * 60_000,
      });
  },
  sms_blast_urls: (e) => spread(e, 60, 1, () => ({ type: 'sms', containsUrl: true })),
  new_line_burst: (e) => {
    e.provideRegistrations(
      's',
      [LINE],
      new Map([[LINE, { registeredAt: T0 - 5 * HOUR_MS, personKey: 'pk' }]]),
    );
    spread(e, 45, 1, () => ({}));
  },
};

describe('the rule list', () => {
  it.each(RULE_CODES)('evaluates %s: traffic that opens its gate raises it', (rule) => {
    const e = new ScoringEngine();
    FEEDS[rule](e);
    e.ingest('s', cdr({ msisdn: '+66819999999', startedAt: T0 + 30 * HOUR_MS }), null);
    expect(e.advance().alerts.map((a) => a.rule)).toEqual([rule]);
  });

  it('derives the codes, windows, defaults and threshold checks from the rule files', () => {
    expect(RULE_CODES).toEqual(RULES.map((r) => r.code));
    for (const r of RULES) {
      expect(RULE_WINDOW[r.code]).toBe(r.window);
      expect(DEFAULT_THRESHOLDS[r.code]).toEqual(r.defaults);
      expect(Object.keys(r.fields).sort()).toEqual(Object.keys(r.defaults).sort());
      for (const [field, kind] of Object.entries(r.fields)) {
        const bad = kind === 'share' ? 2 : -1;
        const v = validateThresholds({ [r.code]: { [field]: bad } });
        expect(v.ok ? [] : v.issues.map((x) => x.path)).toEqual([`${r.code}.${field}`]);
      }
      if (r.subject === 'line') expect(VOLUME_RULES.has(r.code)).toBe(r.volume);
    }
  });

  it('skips a line only when every line rule gate is shut', () => {
    const shut = { outgoingCalls24h: 0, outgoing1h: 0, wangiriCalls1h: 0, urlSms1h: 0 };
    expect(mayRaiseAny(shut, DEFAULT_THRESHOLDS)).toBe(false);
    const t = DEFAULT_THRESHOLDS;
    expect(mayRaiseAny({ ...shut, outgoingCalls24h: t.simbox.outgoingCallsAtLeast }, t)).toBe(true);
    expect(mayRaiseAny({ ...shut, outgoing1h: t.new_line_burst.outgoingAtLeast }, t)).toBe(true);
    expect(mayRaiseAny({ ...shut, wangiriCalls1h: t.wangiri.callsAtLeast }, t)).toBe(true);
    expect(mayRaiseAny({ ...shut, urlSms1h: t.sms_blast_urls.urlSmsAtLeast }, t)).toBe(true);
  });
});
