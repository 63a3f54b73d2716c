import { randomBytes, randomInt } from 'node:crypto';
import { expect } from 'vitest';
import type { Cdr } from '../../src/scoring/cdr.js';
import type { World } from './world.js';

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

/**
 * One line of a coordinated campaign: 30 short unanswered calls a minute apart from `from`, from
 * `cellId`, to numbers spread over the numbering plan (no block of targets: only the cell is
 * shared), on `imei` (by default a handset of the line's own).
 */
export function campaignLine(
  msisdn: string,
  cellId: string,
  from: number,
  imei = `35${msisdn.slice(-13).padStart(13, '0')}`,
): Cdr[] {
  return Array.from({ length: 30 }, (_, i) =>
    cdr({
      msisdn,
      cellId,
      startedAt: from + i * 60_000,
      answered: false,
      durationSec: 0,
      otherParty: `+66${randomInt(800_000_000, 999_999_999)}`,
      imei,
    }),
  );
}

/** Posts `records` as NDJSON with `key`, expects them taken (202), answers the counts. */
export async function postCdrs(
  w: Pick<World, 'request'>,
  key: string,
  records: readonly Cdr[],
): Promise<{ accepted: number }> {
  const res = await w.request('POST', '/v1/cdrs', {
    key,
    body: ndjson(records),
    headers: { 'content-type': 'application/x-ndjson' },
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { accepted: number };
}
