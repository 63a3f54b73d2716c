import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addExemptAccount, setCaps } from '../../src/registration/caps.js';
import { addRepresentative } from '../support/accounts.js';
import { idemKey, registrationBody, thaiSubscriber } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.close());

describe('exact caps under concurrency (real PostgreSQL)', () => {
  it('200 simultaneous registrations for one identity with cap 3 give exactly three 201s', async () => {
    await setCaps({
      ctx: { db: w.deps.db, actor: 'test', now: w.now() },
      input: { country: 'TH', perOperator: 3 },
    });
    const ops = await Promise.all([w.operator('TH'), w.operator('TH')]);
    for (let round = 0; round < 3; round++) {
      const subscriber = thaiSubscriber();
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          w.request('POST', '/v1/registrations', {
            key: ops[i % 2 === 0 || round === 0 ? 0 : 1]?.apiKey,
            body: registrationBody(w.now(), { subscriber }),
            headers: { 'idempotency-key': idemKey() },
          }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      const created = statuses.filter((s) => s === 201).length;
      const refused = statuses.filter((s) => s === 409).length;
      if (round === 0) expect(created).toBe(3);
      else expect(created).toBe(6);
      expect(created + refused).toBe(200);
    }
  });

  it('50 simultaneous registrations of different people on one account with limit 3 give three', async () => {
    const op = await w.operator('TH');
    await addExemptAccount({
      ctx: { db: w.deps.db, actor: 'test', now: w.now() },
      input: { operatorId: op.operatorId, accountRef: 'ACME-1', kind: 'corporate', simLimit: 3 },
    });
    const representatives = Array.from({ length: 50 }, () => thaiSubscriber());
    for (const subscriber of representatives) {
      await addRepresentative(w, { operatorId: op.operatorId, accountRef: 'ACME-1', subscriber });
    }
    const responses = await Promise.all(
      representatives.map((subscriber) =>
        w.request('POST', '/v1/registrations', {
          key: op.apiKey,
          body: { ...registrationBody(w.now(), { subscriber }), account: { accountRef: 'ACME-1' } },
          headers: { 'idempotency-key': idemKey() },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 409)).toHaveLength(47);
  });

  it('50 concurrent identical requests with one key make one registration', async () => {
    const op = await w.operator('TH');
    const body = registrationBody(w.now());
    const key = idemKey();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        w.request('POST', '/v1/registrations', {
          key: op.apiKey,
          body,
          headers: { 'idempotency-key': key },
        }),
      ),
    );
    const texts = await Promise.all(responses.map((r) => r.text()));
    const created = texts.filter((_, i) => responses[i]?.status === 201);
    const inFlight = responses.filter((r) => r.status === 409);
    expect(created.length + inFlight.length).toBe(50);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created).size).toBe(1);
    for (const r of inFlight) expect(r.headers.get('content-type')).toContain('problem+json');
    const rows = await w.deps.db
      .selectFrom('registrations')
      .select('id')
      .where('msisdn', '=', body.msisdn)
      .execute();
    expect(rows).toHaveLength(1);
  });
});
