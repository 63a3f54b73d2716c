import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCaps } from '../../src/registration/caps.js';
import type { RegistrationRequest } from '../../src/registration/contract.js';
import { td1, td3 } from '../support/mrz.js';
import {
  iccid,
  idemKey,
  imsi,
  msisdn,
  registrationBody,
  thaiId,
  thaiSubscriber,
} from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let th: { operatorId: string; apiKey: string };
let kh: { operatorId: string; apiKey: string };

beforeAll(async () => {
  w = await createWorld();
  th = await w.operator('TH');
  kh = await w.operator('KH');
});
afterAll(() => w.close());

async function register(key: string, body: unknown, idem = idemKey()) {
  const res = await w.request('POST', '/v1/registrations', {
    key,
    body,
    headers: { 'idempotency-key': idem },
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A line of a Cambodian operator for this subscriber. */
function khBody(subscriber: RegistrationRequest['subscriber']): RegistrationRequest {
  return { ...registrationBody(w.now(), { subscriber }), msisdn: msisdn('KH'), imsi: imsi('KH') };
}

const passportNumber = () => `A${randomBytes(4).readUInt32BE(0) % 10_000_000}`.padEnd(8, '7');

/** A Thai passport whose MRZ personal number holds `personalNumber`. */
function thaiPassport(personalNumber: string, number = passportNumber()) {
  return {
    documentType: 'passport' as const,
    documentCountry: 'TH',
    documentNumber: number,
    mrz: td3({
      state: 'THA',
      number,
      nationality: 'THA',
      birth: '900131',
      expiry: '300101',
      optional: personalNumber,
    }),
    fullName: 'Somchai Test',
    dateOfBirth: '1990-01-31',
    nationality: 'TH',
  };
}

async function personKeysOf(msisdns: string[]) {
  const rows = await w.deps.db
    .selectFrom('registrations')
    .select('person_key')
    .where('msisdn', 'in', msisdns)
    .execute();
  return new Set(rows.map((r) => r.person_key));
}

describe('which documents a person may use', () => {
  it('refuses a Thai national registering with a passport at a Thai operator, naming the rule', async () => {
    const id = thaiId();
    expect(
      (await register(th.apiKey, registrationBody(w.now(), { subscriber: thaiSubscriber(id) })))
        .status,
    ).toBe(201);
    const idem = idemKey();
    const body = registrationBody(w.now(), { subscriber: thaiPassport(id) });
    const refused = await register(th.apiKey, body, idem);
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({
      code: 'document_not_accepted',
      rule: 'national_documents',
      country: 'TH',
    });
    const replay = await register(th.apiKey, body, idem);
    expect(replay).toEqual(refused);
    const audit = await w.deps.db
      .selectFrom('audit_log')
      .select('data')
      .where('action', '=', 'registration.refused')
      .execute();
    expect(
      audit.filter((a) => (a.data as { code?: string }).code === 'document_not_accepted'),
    ).toEqual([
      { data: expect.objectContaining({ rule: 'national_documents', msisdn: body.msisdn }) },
    ]);
  });

  it('refuses a foreigner with a card of their own state where only passports are for foreigners', async () => {
    const refused = await register(kh.apiKey, khBody(thaiSubscriber()));
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({
      code: 'document_not_accepted',
      rule: 'foreign_documents',
      country: 'KH',
    });
  });
});

describe('one human, one person key', () => {
  it('counts a passport whose MRZ personal number is a national ID as that national ID’s person', async () => {
    const id = thaiId();
    const home = registrationBody(w.now(), { subscriber: thaiSubscriber(id) });
    expect((await register(th.apiKey, home)).status).toBe(201);
    const abroad = khBody(thaiPassport(id));
    const first = await register(kh.apiKey, abroad);
    expect(first.status).toBe(201);
    expect(await personKeysOf([home.msisdn, abroad.msisdn])).toHaveProperty('size', 1);

    /** A renewed passport (new number, same personal number) is still one person, one count. */
    const renewed = khBody(thaiPassport(id));
    const second = await register(kh.apiKey, renewed);
    expect(second.status).toBe(201);
    expect(second.json.counts).toEqual({ operator: 2, national: 2 });
    expect(await personKeysOf([home.msisdn, renewed.msisdn])).toHaveProperty('size', 1);

    /** A personal number that is not a valid Thai ID links nothing: a person of its own. */
    const unlinked = await register(kh.apiKey, khBody(thaiPassport('1234567890123')));
    expect(unlinked.json.counts).toEqual({ operator: 1, national: 1 });
  });

  it('takes a Cambodian national ID and ID card with the same digits for one person', async () => {
    const ww = await createWorld();
    try {
      const op = await ww.operator('KH');
      await setCaps({
        ctx: { db: ww.deps.db, actor: 'test', now: ww.now() },
        input: { country: 'KH', perOperator: 2 },
      });
      const digits = String(100_000_000 + (randomBytes(4).readUInt32BE(0) % 900_000_000));
      const holder = { fullName: 'Sok Test', dateOfBirth: '1985-06-07', nationality: 'KH' };
      const nationalId = {
        ...holder,
        documentType: 'national_id' as const,
        documentCountry: 'KH',
        documentNumber: `${digits}(1)`,
      };
      const card = {
        ...holder,
        documentType: 'id_card' as const,
        documentCountry: 'KH',
        documentNumber: digits,
        mrz: td1({
          state: 'KHM',
          number: digits,
          nationality: 'KHM',
          birth: '850607',
          expiry: '300101',
        }),
      };
      const send = (subscriber: RegistrationRequest['subscriber']) =>
        ww.request('POST', '/v1/registrations', {
          key: op.apiKey,
          body: {
            ...registrationBody(ww.now(), { subscriber }),
            msisdn: msisdn('KH'),
            imsi: imsi('KH'),
            iccid: iccid(),
          },
          headers: { 'idempotency-key': idemKey() },
        });
      expect((await send(nationalId)).status).toBe(201);
      expect((await send(card)).status).toBe(201);
      const over = await send(card);
      expect(over.status).toBe(409);
      expect(await over.json()).toMatchObject({
        code: 'sim_cap_exceeded',
        cap: 'operator',
        limit: 2,
        count: 2,
      });
    } finally {
      await ww.close();
    }
  });
});
