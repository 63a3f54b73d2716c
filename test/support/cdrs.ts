import { randomBytes } from 'node:crypto';
import type { Cdr } from '../../src/scoring/cdr.js';

let n = 0;

/** A CDR with unique ids; `startedAt` in epoch ms. */
export function cdr(over: Partial<Cdr> = {}): Cdr {
  n++;
  return {
    recordId: `t-${randomBytes(4).toString('hex')}-${n}`,
    type: 'voice',
    direction: 'mo',
    msisdn: '+66811111111',
    otherParty: `+6682${String(n % 10_000_000).padStart(7, '0')}`,
    imsi: '520010000000001',
    imei: '350000000000001',
    cellId: '520-01-1-1',
    startedAt: Date.parse('2026-11-25T10:00:00Z'),
    durationSec: 60,
    answered: true,
    containsUrl: false,
    operator: '520-01',
    ...over,
  };
}

/** `count` outgoing calls from `msisdn`, one every `everyMs` from `from`. */
export function calls(
  msisdn: string,
  count: number,
  from: number,
  everyMs = 20_000,
  over: Partial<Cdr> = {},
) {
  return Array.from({ length: count }, (_, i) =>
    cdr({ msisdn, startedAt: from + i * everyMs, ...over }),
  );
}

export const ndjson = (records: readonly unknown[]) =>
  records.map((r) => JSON.stringify(r)).join('\n');
