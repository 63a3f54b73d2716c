import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imeiKey } from '../../src/watchlist/matching/matcher.js';
import { cdr } from '../support/cdrs.js';
import {
  consumedOffsets,
  createTopics,
  produce,
  spawnScorer,
  stopped,
  topics,
  waitFor,
} from '../support/kafka.js';
import { msisdn } from '../support/subjects.js';
import { listIndicator, revokeIndicator } from '../support/watchlist.js';
import { createWorld, type World } from '../support/world.js';

const T = Date.parse('2026-11-25T10:00:00Z');
const RELOAD_MS = 500;
let w: World;

beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.close());

/** The scorer runs on the real clock: listings are dated by it. */
const list = (v: Parameters<typeof listIndicator>[2]) => listIndicator(w.deps.db, new Date(), v);

async function rulesOf(line: string): Promise<string[]> {
  const rows = await w.deps.db
    .selectFrom('scoring_alerts')
    .select('rule')
    .where('msisdn', '=', line)
    .orderBy('rule')
    .execute();
  return rows.map((r) => r.rule);
}

describe('watchlist matching on Kafka', () => {
  it.each([
    ['on the main thread', '0'],
    ['in two stage threads', '2'],
  ])(
    'raises the four watchlist alerts, takes in listings and revocations while running (line stage %s)',
    async (_, threads) => {
      const t = topics();
      await createTopics(t);
      const scammer = msisdn();
      const scammerId = await list({ type: 'msisdn', value: scammer });
      const activeLine = msisdn();
      await list({ type: 'msisdn', value: activeLine });
      const imei = imeiKey(`4901542032370${threads}`) as string;
      await list({ type: 'imei', value: imei, category: 'sim_farm_device' });
      await list({ type: 'ip', value: `2001:db8:ba${threads}::/48`, category: 'scam_server' });
      const scorer = spawnScorer(w, t, {
        SCORER_THREADS: threads,
        WATCHLIST_RELOAD_MS: String(RELOAD_MS),
      });
      try {
        const victim = msisdn();
        const device = msisdn();
        const browser = msisdn();
        const records = [
          cdr({ msisdn: victim, otherParty: scammer, startedAt: T }),
          cdr({ msisdn: activeLine, startedAt: T }),
          cdr({ msisdn: device, imei, startedAt: T }),
          {
            recordId: `data-${browser}`,
            type: 'data',
            msisdn: browser,
            remoteIp: `2001:DB8:BA${threads}:0:0:0:0:1`,
            imsi: '520010000000009',
            imei: '350000000000009',
            cellId: '',
            startedAt: T,
            operator: '520-01',
          },
        ];
        await produce(
          t.cdr,
          records.map((r) => ({ key: r.msisdn, value: JSON.stringify(r) })),
        );
        await waitFor('four watchlist alerts', async () => {
          const rules = await Promise.all([victim, activeLine, device, browser].map(rulesOf));
          return rules.flat().length === 4;
        });
        expect(await rulesOf(victim)).toEqual(['watchlist_contact']);
        expect(await rulesOf(activeLine)).toEqual(['watchlist_line_active']);
        expect(await rulesOf(device)).toEqual(['watchlist_device']);
        expect(await rulesOf(browser)).toEqual(['watchlist_server']);

        // Listed and revoked while the scorer runs: both reach it within the reload interval.
        const late = msisdn();
        await list({ type: 'msisdn', value: late });
        await revokeIndicator(w.deps.db, scammerId, new Date());
        await new Promise((r) => setTimeout(r, 3 * RELOAD_MS));
        const after = msisdn();
        const consumed = await consumedOffsets(w, t.cdr);
        await produce(t.cdr, [
          {
            key: after,
            value: JSON.stringify(
              cdr({ msisdn: after, otherParty: scammer, startedAt: T + 60_000 }),
            ),
          },
          {
            key: after,
            value: JSON.stringify(cdr({ msisdn: after, otherParty: late, startedAt: T + 60_000 })),
          },
        ]);
        await waitFor(
          'records consumed',
          async () => (await consumedOffsets(w, t.cdr)) === consumed + 2,
        );
        await waitFor('the new listing matched', async () => (await rulesOf(after)).length > 0);
        const alerts = await w.deps.db
          .selectFrom('scoring_alerts')
          .select(['rule', 'evidence'])
          .where('msisdn', '=', after)
          .execute();
        expect(
          alerts.map((a) => [
            a.rule,
            (a.evidence as { indicator: { type: string } }).indicator.type,
          ]),
        ).toEqual([['watchlist_contact', 'msisdn']]);
        expect(JSON.stringify(alerts)).not.toContain(scammerId);
      } finally {
        await stopped(scorer, 'SIGTERM');
      }
    },
    120_000,
  );
});
