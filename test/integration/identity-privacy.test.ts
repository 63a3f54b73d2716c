import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/platform/audit.js';
import { fingerprintRequest } from '../../src/platform/idempotency.js';
import { idemKey, registrationBody } from '../support/subjects.js';
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
