import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importObjects, type PullRef } from '../../src/federation/import.js';
import { FederationPuller } from '../../src/federation/puller.js';
import { addPull, openPullKey, pullStatuses } from '../../src/federation/pulls.js';
import { WatchlistSync } from '../../src/watchlist/matching/sync.js';
import { msisdn } from '../support/subjects.js';
import { listIndicator } from '../support/watchlist.js';
import { createWorld, type World } from '../support/world.js';

const AMBER = 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421';
const GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb';

let w: World;
let pull: PullRef;

/** A STIX indicator as T1's toStix writes it (src/federation/stix.ts), from TH. */
function stix(value: string, over: Record<string, unknown> = {}) {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created: '2026-11-25T09:00:00.000Z',
    modified: '2026-11-25T10:00:00.000Z',
    name: 'scam_caller msisdn',
    description: 'calls posing as police',
    indicator_types: ['malicious-activity'],
    pattern: `[phone-number:value = '${value}']`,
    pattern_type: 'stix',
    valid_from: '2026-11-25T09:00:00.000Z',
    valid_until: '2027-01-25T09:00:00.000Z',
    confidence: 70,
    revoked: false,
    labels: ['scam_caller'],
    object_marking_refs: [AMBER],
    x_simline_category: 'scam_caller',
    x_simline_share_with: ['LA'],
    x_simline_source_country: 'TH',
    ...over,
  };
}

async function run(objects: unknown[]) {
  return w.deps.db.transaction().execute((tx) => importObjects(tx, pull, objects, w.now()));
}

async function rowOf(stixId: string) {
  return w.deps.db
    .selectFrom('watchlist_indicators')
    .selectAll()
    .where('stix_id', '=', stixId)
    .executeTakeFirst();
}

async function outbox(stixId: string) {
  return w.deps.db
    .selectFrom('federation_sighting_outbox')
    .selectAll()
    .where('stix_id', '=', stixId)
    .execute();
}

beforeAll(async () => {
  w = await createWorld({ SIMLINE_COUNTRY: 'LA' });
  const partnerId = `ptn_${randomUUID().slice(0, 8)}`;
  await w.deps.db
    .insertInto('operators')
    .values({ id: partnerId, name: 'Thailand NBTC', country: 'TH', kind: 'partner' })
    .execute();
  const { pullId } = await w.deps.db
    .transaction()
    .execute((tx) =>
      addPull(
        tx,
        { now: w.now(), actor: 'test', keyring: { keys: w.deps.secrets.piiKeys } },
        { partnerId, country: 'TH', taxiiUrl: 'http://127.0.0.1:43399/taxii2/', key: 'slk_x_y' },
      ),
    );
  pull = { id: pullId, partnerId, country: 'TH' };
});
afterAll(() => w.close());

describe('importing a partner page', () => {
  it('seals the partner key, bound to its subscription', async () => {
    const row = await w.deps.db
      .selectFrom('federation_pulls')
      .selectAll()
      .where('id', '=', pull.id)
      .executeTakeFirstOrThrow();
    expect(row.key_sealed).not.toContain('slk_x_y');
    expect(openPullKey({ keys: w.deps.secrets.piiKeys }, row)).toBe('slk_x_y');
    expect(() =>
      openPullKey({ keys: w.deps.secrets.piiKeys }, { ...row, id: 'pull_other' }),
    ).toThrow();
  });

  it('lists an indicator under its STIX id with the source country, marking and distribution as sent, idempotently', async () => {
    const o = stix(msisdn());
    const first = await run([o]);
    expect(first).toMatchObject({ imported: 1, updated: 0, refused: 0 });
    expect(first.lagsMs).toHaveLength(1);
    const row = await rowOf(o.id);
    expect(row).toMatchObject({
      stix_id: o.id,
      type: 'msisdn',
      source_country: 'TH',
      tlp: 'amber',
      share_with: ['LA'],
      status: 'active',
      confidence: 70,
      valid_until: new Date('2027-01-25T09:00:00.000Z'),
    });
    const sources = await w.deps.db
      .selectFrom('watchlist_indicator_sources')
      .selectAll()
      .where('indicator_id', '=', row?.id ?? '')
      .execute();
    expect(sources.map((s) => [s.source_org, s.is_owner])).toEqual([[pull.partnerId, true]]);
    expect(await run([o])).toMatchObject({ imported: 0, updated: 0, unchanged: 1, lagsMs: [] });
  });

  it('applies a newer version, ignores an older one, and revokes on revoked: true', async () => {
    const o = stix(msisdn());
    await run([o]);
    const newer = {
      ...o,
      modified: '2026-11-25T11:00:00.000Z',
      confidence: 90,
      object_marking_refs: [GREEN],
    };
    expect(await run([newer])).toMatchObject({ updated: 1 });
    expect(await rowOf(o.id)).toMatchObject({ confidence: 90, tlp: 'green' });
    const older = { ...o, modified: '2026-11-25T10:30:00.000Z', confidence: 10 };
    expect(await run([older])).toMatchObject({ updated: 0, unchanged: 1 });
    expect((await rowOf(o.id))?.confidence).toBe(90);
    const revoked = { ...newer, modified: '2026-11-25T12:00:00.000Z', revoked: true };
    expect(await run([revoked])).toMatchObject({ revoked: 1 });
    expect(await rowOf(o.id)).toMatchObject({ status: 'revoked' });
    const relisted = { ...newer, modified: '2026-11-25T13:00:00.000Z', revoked: false };
    expect(await run([relisted])).toMatchObject({ updated: 1 });
    expect(await rowOf(o.id)).toMatchObject({ status: 'active', revoked_at: null });
  });

  it('refuses, and counts, what it cannot import while importing the rest of the page', async () => {
    const good = stix(msisdn());
    const out = await run([
      stix(msisdn(), { x_simline_source_country: 'KH' }),
      stix('+6628888888'),
      stix(msisdn(), { pattern: "[file:name = 'x.exe']" }),
      stix('12'),
      { type: 'identity', id: 'identity--x' },
      good,
    ]);
    expect(out).toMatchObject({ imported: 1, refused: 4 });
    expect(out.refusals.map((r) => r.reason).sort()).toEqual([
      'invalid_value',
      'source_country',
      'unknown_pattern',
      'warninglisted',
    ]);
    expect(await rowOf(good.id)).toBeDefined();
  });

  it('adds the partner as a source of a value listed here, and its revocation withdraws only that source', async () => {
    const value = msisdn();
    const localId = await listIndicator(w.deps.db, w.now(), { type: 'msisdn', value });
    const o = stix(value);
    expect(await run([o])).toMatchObject({ imported: 1 });
    const local = await w.deps.db
      .selectFrom('watchlist_indicators')
      .selectAll()
      .where('id', '=', localId)
      .executeTakeFirstOrThrow();
    expect(local.source_country).toBe('TH');
    expect(await rowOf(o.id)).toBeUndefined();
    const sourceOrgs = async () =>
      (
        await w.deps.db
          .selectFrom('watchlist_indicator_sources')
          .select('source_org')
          .where('indicator_id', '=', localId)
          .execute()
      ).map((s) => s.source_org);
    expect(await sourceOrgs()).toEqual([pull.partnerId]);
    await run([{ ...o, modified: '2026-11-25T12:00:00.000Z', revoked: true }]);
    expect(await sourceOrgs()).toEqual([]);
    expect(
      (
        await w.deps.db
          .selectFrom('watchlist_indicators')
          .select('status')
          .where('id', '=', localId)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe('active');
  });

  it('is picked up by the scorers’ watchlist index, and its revocation removes it', async () => {
    const sync = new WatchlistSync(w.deps.db);
    await sync.poll();
    const value = msisdn();
    const o = stix(value);
    await run([o]);
    await sync.poll();
    const at = w.now().getTime();
    expect(sync.matcher.msisdn(value, at)?.category).toBe('scam_caller');
    await run([{ ...o, modified: '2026-11-25T12:00:00.000Z', revoked: true }]);
    await sync.poll();
    expect(sync.matcher.msisdn(value, at)).toBeUndefined();
  });
});

describe('sightings owed to the source', () => {
  it('queues watchlist matches and local sightings of imported indicators per minute, never a partner’s sighting', async () => {
    const o = stix(msisdn());
    await run([o]);
    const row = await rowOf(o.id);
    const id = row?.id ?? '';
    const at = new Date('2026-11-25T10:07:10Z');
    const alert = (line: string, when: Date) => ({
      subject: `line:${line}`,
      msisdn: line,
      rule: 'watchlist_contact',
      score: 0.5,
      window_start: new Date('2026-11-25T00:00:00Z'),
      window_end: new Date('2026-11-26T00:00:00Z'),
      evidence: sql`${JSON.stringify({ indicator: { id, type: 'msisdn', category: 'scam_caller' } })}::text::jsonb`,
      created_at: when,
    });
    await w.deps.db
      .insertInto('scoring_alerts')
      .values([alert(msisdn(), at), alert(msisdn(), new Date(at.getTime() + 20_000))])
      .execute();
    const sighting = (byOrg: string, kind: string) => ({
      indicator_id: id,
      kind,
      note: '',
      by_org: byOrg,
      by_actor: 'x',
      at,
    });
    await w.deps.db
      .insertInto('watchlist_sightings')
      .values([sighting('regulator', 'false_positive'), sighting(pull.partnerId, 'seen')])
      .execute();
    const rows = await outbox(o.id);
    expect(
      rows.map((r) => ({
        kind: r.kind,
        minute: r.minute.toISOString(),
        count: r.count,
        firstSeen: r.first_seen.toISOString(),
        lastSeen: r.last_seen.toISOString(),
      })),
    ).toEqual(
      expect.arrayContaining([
        {
          kind: 'seen',
          minute: '2026-11-25T10:07:00.000Z',
          count: 2,
          firstSeen: '2026-11-25T10:07:10.000Z',
          lastSeen: '2026-11-25T10:07:30.000Z',
        },
        {
          kind: 'false_positive',
          minute: '2026-11-25T10:07:00.000Z',
          count: 1,
          firstSeen: '2026-11-25T10:07:10.000Z',
          lastSeen: '2026-11-25T10:07:10.000Z',
        },
      ]),
    );
    expect(rows).toHaveLength(2);
    const local = await listIndicator(w.deps.db, w.now(), { type: 'msisdn', value: msisdn() });
    await w.deps.db
      .insertInto('watchlist_sightings')
      .values({ ...sighting('regulator', 'seen'), indicator_id: local })
      .execute();
    expect(
      await w.deps.db.selectFrom('federation_sighting_outbox').select('stix_id').execute(),
    ).toHaveLength(2);
  });
});

describe('a partner that cannot be reached', () => {
  it('backs off, and shows the error in its status, without stopping the run', async () => {
    const puller = new FederationPuller({
      db: w.deps.db,
      keyring: { keys: w.deps.secrets.piiKeys },
      log: w.deps.log,
      clock: () => w.now(),
      intervalMs: 1000,
    });
    await puller.runOnce();
    const first = (await pullStatuses(w.deps.db)).get(pull.partnerId);
    expect(first?.lastError).toMatch(/^GET http:\/\/127\.0\.0\.1:43399\/taxii2\/: ECONNREFUSED/);
    expect(first?.nextAttemptAt).toBe(new Date(w.now().getTime() + 2000).toISOString());
    await puller.runOnce();
    expect((await pullStatuses(w.deps.db)).get(pull.partnerId)?.nextAttemptAt).toBe(
      first?.nextAttemptAt,
    );
    w.setNow(new Date(w.now().getTime() + 2000));
    await puller.runOnce();
    expect((await pullStatuses(w.deps.db)).get(pull.partnerId)?.nextAttemptAt).toBe(
      new Date(w.now().getTime() + 4000).toISOString(),
    );
  });
});

describe('partners list status', () => {
  it('shows counts, lag percentiles and the cursor per partner', async () => {
    await w.deps.db
      .updateTable('federation_pulls')
      .set({ recent_lags_ms: [100, 200, 300, 400, 5000], imported: 3 })
      .where('id', '=', pull.id)
      .execute();
    const status = (await pullStatuses(w.deps.db)).get(pull.partnerId);
    expect(status).toMatchObject({
      pullId: pull.id,
      lag: { p50Ms: 300, p95Ms: 5000, samples: 5 },
      counts: { imported: 3 },
      cursor: { next: null, addedAfter: null },
    });
  });
});
