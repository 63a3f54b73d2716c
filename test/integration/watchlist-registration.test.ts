import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistrationRequest } from '../../src/registration/contract.js';
import { setListedIdentityPolicy } from '../../src/watchlist/matching/policy.js';
import { idemKey, registrationBody, thaiSubscriber } from '../support/subjects.js';
import { listIndicator, revokeIndicator } from '../support/watchlist.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let op: { operatorId: string; apiKey: string };

beforeAll(async () => {
  w = await createWorld();
  op = await w.operator('TH');
});
afterAll(() => w.close());

async function register(body: RegistrationRequest, key = idemKey()) {
  const res = await w.request('POST', '/v1/registrations', {
    key: op.apiKey,
    body,
    headers: { 'idempotency-key': key },
  });
  return { res, json: (await res.json()) as Record<string, unknown> };
}

async function refusalsAudited(code: string, msisdn: string) {
  const rows = await w.deps.db
    .selectFrom('audit_log')
    .select(['data'])
    .where('action', '=', 'registration.refused')
    .execute();
  return rows.filter((r) => {
    const d = r.data as { code?: string; msisdn?: string };
    return d.code === code && d.msisdn === msisdn;
  }).length;
}

async function flagOf(msisdn: string) {
  return w.deps.db
    .selectFrom('registrations as r')
    .innerJoin('persons as p', 'p.person_key', 'r.person_key')
    .select(['p.flagged_at', 'p.flag_reason'])
    .where('r.msisdn', '=', msisdn)
    .executeTakeFirstOrThrow();
}

describe('registration against the watchlist', () => {
  it('refuses a listed number with 409 msisdn_watchlisted, audited and stored under the key', async () => {
    const body = registrationBody(w.now());
    const id = await listIndicator(w.deps.db, w.now(), { type: 'msisdn', value: body.msisdn });
    const key = idemKey();
    const first = await register(body, key);
    expect(first.res.status).toBe(409);
    expect(first.json).toMatchObject({ code: 'msisdn_watchlisted', indicatorId: id });
    const again = await register(body, key);
    expect(again.res.status).toBe(409);
    expect(again.res.headers.get('idempotent-replayed')).toBe('true');
    expect(await refusalsAudited('msisdn_watchlisted', body.msisdn)).toBe(1);

    await revokeIndicator(w.deps.db, id, w.now());
    expect((await register(body)).res.status).toBe(201);
  });

  it('registers for an identity whose lines are listed and flags it (default policy)', async () => {
    const subscriber = thaiSubscriber();
    const first = registrationBody(w.now(), { subscriber });
    expect((await register(first)).res.status).toBe(201);
    expect((await flagOf(first.msisdn)).flagged_at).toBeNull();
    await listIndicator(w.deps.db, w.now(), { type: 'msisdn', value: first.msisdn });
    const second = registrationBody(w.now(), { subscriber });
    expect((await register(second)).res.status).toBe(201);
    const flag = await flagOf(second.msisdn);
    expect(flag.flagged_at).toEqual(w.now());
    expect(flag.flag_reason).toContain('watchlist');
  });

  it('flags an identity whose lines are listed even when another check refuses its registration', async () => {
    const subscriber = thaiSubscriber();
    const first = registrationBody(w.now(), { subscriber });
    expect((await register(first)).res.status).toBe(201);
    await listIndicator(w.deps.db, w.now(), { type: 'msisdn', value: first.msisdn });
    /** The same SIM card again: refused after the watchlist step, whose flag the refusal undoes. */
    const second = { ...registrationBody(w.now(), { subscriber }), iccid: first.iccid };
    const refused = await register(second);
    expect(refused.json).toMatchObject({ code: 'iccid_already_registered' });
    const flag = await flagOf(first.msisdn);
    expect(flag.flagged_at).toEqual(w.now());
    expect(flag.flag_reason).toContain('watchlist');
  });

  it("refuses it with 409 identity_watchlisted where the country's policy says so, and flags it", async () => {
    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'watchlist-policy',
        'set',
        '--country',
        'TH',
        '--listed-identity',
        'refuse',
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          DATABASE_URL: w.url,
          LOG_LEVEL: 'warn',
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(cli.status).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual({ country: 'TH', listedIdentity: 'refuse' });
    try {
      const subscriber = thaiSubscriber();
      const first = registrationBody(w.now(), { subscriber });
      expect((await register(first)).res.status).toBe(201);
      await listIndicator(w.deps.db, w.now(), { type: 'msisdn', value: first.msisdn });
      const second = registrationBody(w.now(), { subscriber });
      const refused = await register(second);
      expect(refused.res.status).toBe(409);
      expect(refused.json).toMatchObject({ code: 'identity_watchlisted', lines: 1 });
      expect(await refusalsAudited('identity_watchlisted', second.msisdn)).toBe(1);
      const flag = await flagOf(first.msisdn);
      expect(flag.flagged_at).not.toBeNull();
      expect(flag.flag_reason).toContain('watchlist');
    } finally {
      await w.deps.db.deleteFrom('watchlist_registration_policies').execute();
    }
  });

  it('refuses a policy other than allow or refuse, or for a country not served', async () => {
    const ctx = { db: w.deps.db, actor: 'test', now: w.now() };
    await expect(
      setListedIdentityPolicy({ ctx, input: { country: 'TH', listedIdentity: 'maybe' } }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(
      setListedIdentityPolicy({ ctx, input: { country: 'ZZ', listedIdentity: 'allow' } }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
