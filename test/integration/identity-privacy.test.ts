import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { canonicalJson } from '../../src/platform/audit.js';
import { fingerprintRequest } from '../../src/platform/idempotency.js';
import { RateLimiter } from '../../src/platform/rate-limit.js';
import { idemKey, registrationBody, thaiSubscriber } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let op: Awaited<ReturnType<World['operator']>>;

beforeAll(async () => {
  w = await createWorld();
  op = await w.operator('TH');
});
afterAll(() => w.close());

function register(body: unknown, key: string) {
  return w.request('POST', '/v1/registrations', {
    key: op.apiKey,
    body,
    headers: { 'idempotency-key': key },
  });
}

/** What the fingerprint was before it was keyed: anyone with the body could recompute it. */
function plainSha256(body: unknown): string {
  return createHash('sha256')
    .update(`POST /v1/registrations\n${canonicalJson(body)}`)
    .digest('hex');
}

async function storedFingerprint(key: string): Promise<string> {
  const row = await w.deps.db
    .selectFrom('idempotency_keys')
    .select('fingerprint')
    .where('operator_id', '=', op.operatorId)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return row.fingerprint;
}

describe('idempotency fingerprints', () => {
  it('stores an HMAC under the server key, not a hash a database copy can test guesses on', async () => {
    const key = idemKey();
    const body = registrationBody(w.now());
    expect((await register(body, key)).status).toBe(201);
    const stored = await storedFingerprint(key);
    expect(stored).toMatch(/^f1:[0-9a-f]{64}$/);
    expect(stored).not.toContain(plainSha256(body));
    /** Guessing the document number offline needs the key. */
    const keyless = fingerprintRequest(
      [{ id: 'f1', key: Buffer.alloc(32) }],
      'POST',
      '/v1/registrations',
      body,
    );
    expect(keyless.value).not.toBe(stored);
  });

  it('replays an honest retry of a key stored with an old plain fingerprint; another body is still refused', async () => {
    const key = idemKey();
    const body = registrationBody(w.now());
    const first = await register(body, key);
    expect(first.status).toBe(201);
    const text = await first.text();
    /** As the code before keyed fingerprints stored it. */
    await w.deps.db
      .updateTable('idempotency_keys')
      .set({ fingerprint: plainSha256(body) })
      .where('operator_id', '=', op.operatorId)
      .where('key', '=', key)
      .execute();
    const retry = await register(body, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(text);
    const other = await register({ ...body, pointOfSale: { agentId: 'x', outletId: 'y' } }, key);
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('matches fingerprints made under an older key of the ring', () => {
    const body = registrationBody(w.now());
    const old = { id: 'f1', key: Buffer.alloc(32, 1) };
    const stored = fingerprintRequest([old], 'POST', '/v1/registrations', body).value;
    const rotated = fingerprintRequest(
      [{ id: 'f2', key: Buffer.alloc(32, 2) }, old],
      'POST',
      '/v1/registrations',
      body,
    );
    expect(rotated.value.startsWith('f2:')).toBe(true);
    expect(rotated.matches(stored)).toBe(true);
    expect(rotated.matches(`f9:${stored.slice(3)}`)).toBe(false);
    expect(
      fingerprintRequest([old], 'POST', '/v1/registrations', {
        ...body,
        msisdn: '+66800000000',
      }).matches(stored),
    ).toBe(false);
  });
});

describe('sim-summary', () => {
  function summary(body: unknown, apiKey = op.apiKey) {
    return w.request('POST', '/v1/identity/sim-summary', { key: apiKey, body });
  }
  const evidence = () => registrationBody(w.now()).verification;

  async function auditRows(operatorId: string) {
    return w.deps.db
      .selectFrom('audit_log')
      .select(['outcome', 'data', 'subject_type'])
      .where('action', '=', 'identity.sim_summary')
      .where('actor_id', '=', operatorId)
      .orderBy('id')
      .execute();
  }

  it('needs fresh verification evidence, as a registration does', async () => {
    const other = await w.operator('TH');
    const subscriber = thaiSubscriber();
    const none = await summary({ subscriber }, other.apiKey);
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ code: 'validation_failed' });
    const stale = await summary(
      {
        subscriber,
        verification: {
          ...evidence(),
          verifiedAt: new Date(w.now().getTime() - 3_600_000).toISOString(),
        },
      },
      other.apiKey,
    );
    expect(stale.status).toBe(422);
    expect(await stale.json()).toMatchObject({
      code: 'verification_insufficient',
      check: 'verification_too_old',
    });
    const weak = await summary(
      { subscriber, verification: { ...evidence(), score: 0.2 } },
      other.apiKey,
    );
    expect(weak.status).toBe(422);
    expect(await auditRows(other.operatorId)).toEqual([
      expect.objectContaining({
        outcome: 'refused',
        data: { code: 'validation_failed', fields: ['verification'] },
      }),
      expect.objectContaining({
        outcome: 'refused',
        data: { code: 'verification_insufficient', check: 'verification_too_old' },
      }),
      expect.objectContaining({
        outcome: 'refused',
        data: { code: 'verification_insufficient', check: 'score_below_minimum' },
      }),
    ]);
  });

  it('answers only when name and birth date match; otherwise exactly as for an unknown person', async () => {
    const subscriber = { ...thaiSubscriber(), fullName: 'Somchai Jaidee' };
    const mine = registrationBody(w.now(), { subscriber });
    expect((await register(mine, idemKey())).status).toBe(201);

    /** The name as the documents compare it: NFKC, case and whitespace do not matter. */
    const right = await summary({
      subscriber: { ...subscriber, fullName: 'ＳＯＭＣＨＡＩ   jaidee' },
      verification: evidence(),
    });
    expect(right.status).toBe(200);
    expect(await right.json()).toMatchObject({
      counts: { operator: 1, national: 1 },
      ownLines: [mine.msisdn],
    });

    const unknown = await summary({ subscriber: thaiSubscriber(), verification: evidence() });
    const wrongName = await summary({
      subscriber: { ...subscriber, fullName: 'Somsak Jaidee' },
      verification: evidence(),
    });
    const wrongBirth = await summary({
      subscriber: { ...subscriber, dateOfBirth: '1991-01-31' },
      verification: evidence(),
    });
    const unknownText = await unknown.text();
    expect(JSON.parse(unknownText)).toMatchObject({
      counts: { operator: 0, national: 0 },
      ownLines: [],
    });
    for (const res of [wrongName, wrongBirth]) {
      expect(res.status).toBe(unknown.status);
      expect(await res.text()).toBe(unknownText);
    }

    const rows = await auditRows(op.operatorId);
    expect(rows.map((r) => r.outcome)).toEqual(['matched', 'unknown', 'unknown', 'unknown']);
    expect(rows.map((r) => r.data)).toEqual([
      { method: 'face_liveness' },
      { method: 'face_liveness' },
      { method: 'face_liveness', mismatch: true },
      { method: 'face_liveness', mismatch: true },
    ]);
    expect(rows.every((r) => r.subject_type === 'person')).toBe(true);
    const text = JSON.stringify(rows);
    for (const secret of [subscriber.documentNumber, 'Jaidee', subscriber.dateOfBirth])
      expect(text).not.toContain(secret);
  });

  it('refuses an invalid document, audited', async () => {
    const other = await w.operator('TH');
    const res = await summary(
      { subscriber: thaiSubscriber('1101700230709'), verification: evidence() },
      other.apiKey,
    );
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'invalid_document' });
    expect(await auditRows(other.operatorId)).toEqual([
      expect.objectContaining({ outcome: 'refused', subject_type: 'operator' }),
    ]);
  });

  it('is limited per operator across replicas, with 429 and Retry-After beyond the limit', async () => {
    const limited = await createWorld({ SIM_SUMMARY_RATE_PER_MINUTE: '3' });
    try {
      limited.setNow(new Date('2026-11-25T10:05:10Z'));
      const a = await limited.operator('TH');
      const b = await limited.operator('TH');
      /** A second API replica: its own rate limiter instance, the same database. */
      const replica = buildApp({
        ...limited.deps,
        rateLimiter: new RateLimiter(limited.deps.db, 'api', {
          kind: 'bucket',
          ratePerSec: 100_000,
          burst: 100_000,
        }),
      });
      const call = (app: typeof replica, apiKey: string) =>
        app.request('/v1/identity/sim-summary', {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            subscriber: thaiSubscriber(),
            verification: registrationBody(limited.now()).verification,
          }),
        });
      const statuses = [];
      for (const app of [limited.app, replica, limited.app])
        statuses.push((await call(app, a.apiKey)).status);
      expect(statuses).toEqual([200, 200, 200]);
      const over = await call(replica, a.apiKey);
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toBe('50');
      expect(await over.json()).toMatchObject({ code: 'rate_limited' });
      /** Another operator has its own count. */
      expect((await call(limited.app, b.apiKey)).status).toBe(200);
      const refused = await limited.deps.db
        .selectFrom('audit_log')
        .select(['outcome', 'data'])
        .where('action', '=', 'identity.sim_summary')
        .where('actor_id', '=', a.operatorId)
        .where('outcome', '=', 'refused')
        .execute();
      expect(refused).toEqual([{ outcome: 'refused', data: { code: 'rate_limited' } }]);
      limited.setNow(new Date('2026-11-25T10:06:00Z'));
      expect((await call(replica, a.apiKey)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
