import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addExemptAccount, setCaps } from '../../src/registration/caps.js';
import { addRepresentative } from '../support/accounts.js';
import { iccid, idemKey, msisdn, registrationBody, thaiSubscriber } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let opA: { operatorId: string; apiKey: string };
let opB: { operatorId: string; apiKey: string };

beforeAll(async () => {
  w = await createWorld();
  opA = await w.operator('TH');
  opB = await w.operator('TH');
});
afterAll(() => w.close());

async function register(key: string, body: unknown, idem = idemKey()) {
  const res = await w.request('POST', '/v1/registrations', {
    key,
    body,
    headers: { 'idempotency-key': idem },
  });
  return { res, json: (await res.json()) as Record<string, unknown> };
}

describe('POST /v1/registrations', () => {
  it('registers a SIM and reports counts and caps', async () => {
    const body = registrationBody(w.now());
    const { res, json } = await register(opA.apiKey, body);
    expect(res.status).toBe(201);
    expect(json).toMatchObject({
      msisdn: body.msisdn,
      status: 'active',
      counts: { operator: 1, national: 1 },
      caps: { operator: 5, national: null },
    });
    expect(String(json.registrationId)).toMatch(/^reg_/);
  });

  it('answers problem+json naming each failing field', async () => {
    const res = await w.request('POST', '/v1/registrations', {
      key: opA.apiKey,
      body: { msisdn: '0812345678', iccid: 'x' },
      headers: { 'idempotency-key': idemKey() },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const json = (await res.json()) as {
      code: string;
      errors: { path: string }[];
      requestId: string;
    };
    expect(json.code).toBe('validation_failed');
    expect(json.requestId).toBeTruthy();
    const paths = json.errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['msisdn', 'iccid', 'imsi', 'subscriber']));
  });

  it('rejects malformed JSON with a problem document', async () => {
    const res = await w.request('POST', '/v1/registrations', {
      key: opA.apiKey,
      body: '{"msisdn":',
      headers: { 'idempotency-key': idemKey() },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toMatch(/bad_request|validation_failed/);
  });

  it('requires the Idempotency-Key header', async () => {
    const res = await w.request('POST', '/v1/registrations', {
      key: opA.apiKey,
      body: registrationBody(w.now()),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('idempotency_key_missing');
    const long = await w.request('POST', '/v1/registrations', {
      key: opA.apiKey,
      body: registrationBody(w.now()),
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({
      code: 'validation_failed',
      errors: [expect.objectContaining({ path: 'idempotency-key' })],
    });
  });

  it('checks that the line belongs to the operator country (msisdn, imsi, iccid Luhn)', async () => {
    const body = registrationBody(w.now(), {
      msisdn: '+85512345678',
      imsi: '456011234567890',
      iccid: '8966001234567890123',
    });
    const { res, json } = await register(opA.apiKey, body);
    expect(res.status).toBe(400);
    const paths = (json.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['iccid', 'imsi', 'msisdn']);
  });

  it('refuses an invalid document with the failed check, and audits it', async () => {
    const body = registrationBody(w.now(), { subscriber: thaiSubscriber('1101700230709') });
    const { res, json } = await register(opA.apiKey, body);
    expect(res.status).toBe(422);
    expect(json.code).toBe('invalid_document');
    expect(json.check).toBe('th_id_checksum');
    expect(JSON.stringify(json)).not.toContain('1101700230709');
    const audit = await w.deps.db
      .selectFrom('audit_log')
      .select(['action', 'outcome', 'data'])
      .where('action', '=', 'registration.refused')
      .execute();
    expect(audit.some((a) => (a.data as { check?: string }).check === 'th_id_checksum')).toBe(true);
  });

  it.each([
    [
      'method not accepted',
      { method: 'biometric_fingerprint' as const },
      'method_not_accepted',
      'CN',
    ],
    ['score below minimum', { score: 0.5 }, 'score_below_minimum', 'TH'],
    ['too old', { verifiedAt: '2026-11-25T09:00:00Z' }, 'verification_too_old', 'TH'],
    ['in the future', { verifiedAt: '2026-11-25T11:00:00Z' }, 'verified_in_future', 'TH'],
  ])('refuses weak verification evidence: %s', async (_name, change, check, country) => {
    const op = country === 'TH' ? opA : await w.operator(country);
    const base = registrationBody(w.now());
    const body =
      country === 'CN'
        ? {
            ...base,
            msisdn: msisdn('CN'),
            imsi: `460${base.imsi.slice(3)}`,
            subscriber: {
              documentType: 'national_id' as const,
              documentCountry: 'CN',
              documentNumber: '11010519491231002X',
              fullName: 'Wang Test',
              dateOfBirth: '1949-12-31',
              nationality: 'CN',
            },
          }
        : base;
    const { res, json } = await register(op.apiKey, {
      ...body,
      verification: { ...body.verification, ...change },
    });
    expect(res.status).toBe(422);
    expect(json.code).toBe('verification_insufficient');
    expect(json.check).toBe(check);
  });

  it('enforces the per-operator cap and says which cap and the count', async () => {
    const subscriber = thaiSubscriber();
    for (let i = 0; i < 5; i++) {
      const { res } = await register(opA.apiKey, registrationBody(w.now(), { subscriber }));
      expect(res.status).toBe(201);
    }
    const { res, json } = await register(opA.apiKey, registrationBody(w.now(), { subscriber }));
    expect(res.status).toBe(409);
    expect(json).toMatchObject({ code: 'sim_cap_exceeded', cap: 'operator', limit: 5, count: 5 });
    const other = await register(opB.apiKey, registrationBody(w.now(), { subscriber }));
    expect(other.res.status).toBe(201);
    expect(other.json.counts).toEqual({ operator: 1, national: 6 });
  });

  it('enforces a national cap across operators without naming them', async () => {
    const ww = await createWorld();
    try {
      const a = await ww.operator('MM');
      const b = await ww.operator('MM');
      await setCaps({
        ctx: { db: ww.deps.db, actor: 'test', now: ww.now() },
        input: { country: 'MM', perOperator: 2, national: 3 },
      });
      const subscriber = {
        documentType: 'national_id' as const,
        documentCountry: 'MM',
        documentNumber: '12/OUKAMA(N)123456',
        fullName: 'Aung Test',
        dateOfBirth: '1988-03-04',
        nationality: 'MM',
      };
      const body = () => ({
        ...registrationBody(ww.now(), { subscriber }),
        msisdn: msisdn('MM'),
        imsi: `414${iccid().slice(0, 12)}`,
      });
      const statuses: number[] = [];
      for (const op of [a, a, b]) {
        const res = await ww.request('POST', '/v1/registrations', {
          key: op.apiKey,
          body: body(),
          headers: { 'idempotency-key': idemKey() },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([201, 201, 201]);
      const res = await ww.request('POST', '/v1/registrations', {
        key: b.apiKey,
        body: body(),
        headers: { 'idempotency-key': idemKey() },
      });
      const json = (await res.json()) as Record<string, unknown>;
      expect(res.status).toBe(409);
      expect(json).toMatchObject({ code: 'sim_cap_exceeded', cap: 'national', limit: 3, count: 3 });
      expect(JSON.stringify(json)).not.toContain(a.operatorId);
    } finally {
      await ww.close();
    }
  });

  it('refuses a number or ICCID that is already active', async () => {
    const body = registrationBody(w.now());
    expect((await register(opA.apiKey, body)).res.status).toBe(201);
    const again = await register(opB.apiKey, { ...registrationBody(w.now()), msisdn: body.msisdn });
    expect(again.json.code).toBe('msisdn_already_registered');
    const sameIccid = await register(opA.apiKey, {
      ...registrationBody(w.now()),
      iccid: body.iccid,
    });
    expect(sameIccid.json.code).toBe('iccid_already_registered');
  });

  it('applies a cooling-off period between new SIMs for one person', async () => {
    const ww = await createWorld();
    try {
      const op = await ww.operator('TH');
      await setCaps({
        ctx: { db: ww.deps.db, actor: 'test', now: ww.now() },
        input: { country: 'TH', coolingOffHours: 24 },
      });
      const subscriber = thaiSubscriber();
      const send = () =>
        ww.request('POST', '/v1/registrations', {
          key: op.apiKey,
          body: registrationBody(ww.now(), { subscriber }),
          headers: { 'idempotency-key': idemKey() },
        });
      expect((await send()).status).toBe(201);
      const refused = await send();
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { code: string }).code).toBe('cooling_off_active');
      ww.setNow(new Date(ww.now().getTime() + 25 * 3_600_000));
      expect((await send()).status).toBe(201);
    } finally {
      await ww.close();
    }
  });

  it('counts approved corporate/IoT account SIMs against the account, not the person', async () => {
    const op = await w.operator('TH');
    await addExemptAccount({
      ctx: { db: w.deps.db, actor: 'test', now: w.now() },
      input: { operatorId: op.operatorId, accountRef: 'fleet-1', kind: 'iot', simLimit: 7 },
    });
    const subscriber = thaiSubscriber();
    await addRepresentative(w, { operatorId: op.operatorId, accountRef: 'fleet-1', subscriber });
    for (let i = 0; i < 7; i++) {
      const { res, json } = await register(
        op.apiKey,
        registrationBody(w.now(), { subscriber, account: { accountRef: 'fleet-1' } }),
      );
      expect(res.status).toBe(201);
      expect(json.counts).toEqual({ operator: 0, national: 0 });
    }
    const full = await register(
      op.apiKey,
      registrationBody(w.now(), { subscriber, account: { accountRef: 'fleet-1' } }),
    );
    expect(full.json).toMatchObject({ code: 'sim_cap_exceeded', cap: 'account', limit: 7 });
    const unknown = await register(
      op.apiKey,
      registrationBody(w.now(), { subscriber, account: { accountRef: 'nope' } }),
    );
    expect(unknown.json).toMatchObject({ code: 'unprocessable', check: 'account_not_approved' });
    const personal = await register(op.apiKey, registrationBody(w.now(), { subscriber }));
    expect(personal.json.counts).toEqual({ operator: 1, national: 1 });
  });
});

describe('idempotency', () => {
  it('replays the stored response byte for byte and refuses a different body', async () => {
    const key = idemKey();
    const body = registrationBody(w.now());
    const first = await w.request('POST', '/v1/registrations', {
      key: opA.apiKey,
      body,
      headers: { 'idempotency-key': key },
    });
    const second = await w.request('POST', '/v1/registrations', {
      key: opA.apiKey,
      body,
      headers: { 'idempotency-key': key },
    });
    expect(second.status).toBe(first.status);
    expect(await second.text()).toBe(await first.text());
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const changed = await w.request('POST', '/v1/registrations', {
      key: opA.apiKey,
      body: { ...body, pointOfSale: { agentId: 'other', outletId: 'o' } },
      headers: { 'idempotency-key': key },
    });
    expect(changed.status).toBe(422);
    expect(((await changed.json()) as { code: string }).code).toBe('idempotency_key_reused');
  });

  it('scopes keys per operator', async () => {
    const key = idemKey();
    const a = await register(opA.apiKey, registrationBody(w.now()), key);
    const b = await register(opB.apiKey, registrationBody(w.now()), key);
    expect([a.res.status, b.res.status]).toEqual([201, 201]);
  });

  it('keeps keys at least 24 h, then forgets them', async () => {
    const ww = await createWorld();
    try {
      const op = await ww.operator('TH');
      const key = idemKey();
      const body = registrationBody(ww.now());
      const send = (b: unknown) =>
        ww.request('POST', '/v1/registrations', {
          key: op.apiKey,
          body: b,
          headers: { 'idempotency-key': key },
        });
      expect((await send(body)).status).toBe(201);
      ww.setNow(new Date(ww.now().getTime() + 24 * 3_600_000));
      expect((await send({ ...body, msisdn: msisdn() })).status).toBe(422);
      ww.setNow(new Date(ww.now().getTime() + 25 * 3_600_000));
      const fresh = registrationBody(ww.now());
      expect((await send(fresh)).status).toBe(201);
    } finally {
      await ww.close();
    }
  });
});

describe('reads, deregistration and quarantine', () => {
  it('shows a registration to its own operator only (BOLA)', async () => {
    const body = registrationBody(w.now());
    await register(opA.apiKey, body);
    const own = await w.request('GET', `/v1/registrations/${encodeURIComponent(body.msisdn)}`, {
      key: opA.apiKey,
    });
    expect(own.status).toBe(200);
    const view = (await own.json()) as Record<string, unknown>;
    expect(view).toMatchObject({ msisdn: body.msisdn, status: 'active', iccid: body.iccid });
    expect(JSON.stringify(view)).not.toContain(body.subscriber.documentNumber);
    const other = await w.request('GET', `/v1/registrations/${encodeURIComponent(body.msisdn)}`, {
      key: opB.apiKey,
    });
    expect(other.status).toBe(404);
    const otherDereg = await w.request(
      'POST',
      `/v1/registrations/${encodeURIComponent(body.msisdn)}/deregister`,
      { key: opB.apiKey, body: { reason: 'not mine' } },
    );
    expect(otherDereg.status).toBe(404);
  });

  it('frees the cap slot on deregistration and quarantines the number', async () => {
    const ww = await createWorld({ QUARANTINE_DAYS: '90' });
    try {
      const op = await ww.operator('MM');
      const subscriber = {
        documentType: 'national_id' as const,
        documentCountry: 'MM',
        documentNumber: '9/MAHTALA(N)654321',
        fullName: 'Su Test',
        dateOfBirth: '1991-05-06',
        nationality: 'MM',
      };
      const mk = () => ({
        ...registrationBody(ww.now(), { subscriber }),
        msisdn: msisdn('MM'),
        imsi: `414${iccid().slice(0, 12)}`,
      });
      const send = (b: unknown) =>
        ww.request('POST', '/v1/registrations', {
          key: op.apiKey,
          body: b,
          headers: { 'idempotency-key': idemKey() },
        });
      const first = mk();
      expect((await send(first)).status).toBe(201);
      expect((await send(mk())).status).toBe(201);
      expect((await send(mk())).status).toBe(409);
      const dereg = await ww.request(
        'POST',
        `/v1/registrations/${encodeURIComponent(first.msisdn)}/deregister`,
        { key: op.apiKey, body: { reason: 'customer request' } },
      );
      expect(dereg.status).toBe(200);
      expect(await dereg.json()).toMatchObject({ status: 'deregistered' });
      expect((await send(mk())).status).toBe(201);
      const reuse = await send({ ...mk(), msisdn: first.msisdn });
      expect(reuse.status).toBe(409);
      expect(((await reuse.json()) as { code: string }).code).toBe('msisdn_quarantined');
      ww.setNow(new Date(ww.now().getTime() + 91 * 86_400_000));
      const other = {
        ...mk(),
        msisdn: first.msisdn,
        subscriber: { ...subscriber, documentNumber: '9/MAHTALA(N)654322' },
      };
      expect((await send(other)).status).toBe(201);
    } finally {
      await ww.close();
    }
  });

  it('summarises one identity without other operators numbers', async () => {
    const subscriber = thaiSubscriber();
    const mine = registrationBody(w.now(), { subscriber });
    await register(opA.apiKey, mine);
    const theirs = registrationBody(w.now(), { subscriber });
    await register(opB.apiKey, theirs);
    const res = await w.request('POST', '/v1/identity/sim-summary', {
      key: opA.apiKey,
      body: { subscriber, verification: mine.verification },
    });
    expect(res.status).toBe(200);
    const json = (await res.json()) as Record<string, unknown>;
    expect(json).toMatchObject({
      counts: { operator: 1, national: 2 },
      caps: { operator: 5, national: null },
      remaining: { operator: 4, national: null },
      ownLines: [mine.msisdn],
    });
    expect(JSON.stringify(json)).not.toContain(theirs.msisdn);
  });
});

describe('authentication and rate limits', () => {
  it('rejects revoked keys', async () => {
    const { revokeApiKey, createApiKey } = await import('../../src/access/operators.js');
    const ctx = { db: w.deps.db, actor: 'test', now: w.now() };
    const key = await createApiKey({ ctx, input: { operatorId: opA.operatorId } });
    const ok = await w.request('GET', '/v1/registrations/+66800000000', { key: key.apiKey });
    expect(ok.status).toBe(404);
    await revokeApiKey({ ctx, input: { keyId: key.keyId } });
    const res = await w.request('GET', '/v1/registrations/+66800000000', { key: key.apiKey });
    expect(res.status).toBe(401);
  });

  it('answers 403 when the key lacks the scope', async () => {
    const { createApiKey } = await import('../../src/access/operators.js');
    const key = await createApiKey({
      ctx: { db: w.deps.db, actor: 'test', now: w.now() },
      input: { operatorId: opA.operatorId, scopes: ['registrations:read'] },
    });
    const { res, json } = await register(key.apiKey, registrationBody(w.now()));
    expect(res.status).toBe(403);
    expect(json.code).toBe('forbidden');
  });

  it('answers 429 with Retry-After past the operator budget', async () => {
    const ww = await createWorld({ RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '3' });
    try {
      const op = await ww.operator('TH');
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await ww.request('GET', '/v1/registrations/+66800000000', { key: op.apiKey });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses.slice(0, 3)).toEqual([404, 404, 404]);
      expect(statuses.slice(3)).toEqual([429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await ww.close();
    }
  });
});
