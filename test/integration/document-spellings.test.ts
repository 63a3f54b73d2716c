import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCaps } from '../../src/registration/caps.js';
import type { RegistrationRequest } from '../../src/registration/contract.js';
import { idemKey, imsi, msisdn, registrationBody } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;

beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.close());

function subscriber(
  country: string,
  documentNumber: string,
  fullName = 'Spelling Test',
): RegistrationRequest['subscriber'] {
  return {
    documentType: 'national_id',
    documentCountry: country,
    documentNumber,
    fullName,
    dateOfBirth: '1988-03-04',
    nationality: country,
  };
}

async function register(key: string, country: string, sub: RegistrationRequest['subscriber']) {
  const res = await w.request('POST', '/v1/registrations', {
    key,
    body: {
      ...registrationBody(w.now(), { subscriber: sub }),
      msisdn: msisdn(country),
      imsi: imsi(country),
    },
    headers: { 'idempotency-key': idemKey() },
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('one document number however written', () => {
  it('counts the spellings of one Myanmar NRC against one cap', async () => {
    const op = await w.operator('MM');
    await setCaps({
      ctx: { db: w.deps.db, actor: 'test', now: w.now() },
      input: { country: 'MM', perOperator: 2, national: null },
    });
    const first = await register(op.apiKey, 'MM', subscriber('MM', '12/OUKAMA(N)508176'));
    const second = await register(op.apiKey, 'MM', subscriber('MM', '12/OKM(N)508176'));
    expect([first.status, second.status]).toEqual([201, 201]);
    for (const spelling of [
      '12/UKAMA(N)508176',
      '12/OKKALAPA(N)508176',
      '၁၂/ဥကမ(နိုင်)၅၀၈၁၇၆',
      '１２／ＯＵＫＡＭＡ（Ｎ）５０８１７６',
    ]) {
      const { status, json } = await register(op.apiKey, 'MM', subscriber('MM', spelling));
      expect({ spelling, status, code: json.code }).toEqual({
        spelling,
        status: 409,
        code: 'sim_cap_exceeded',
      });
    }
  });

  it('counts a Lao number with and without its leading zero as one', async () => {
    const op = await w.operator('LA');
    await setCaps({
      ctx: { db: w.deps.db, actor: 'test', now: w.now() },
      input: { country: 'LA', perOperator: 1, national: null },
    });
    expect((await register(op.apiKey, 'LA', subscriber('LA', '0123456780'))).status).toBe(201);
    const again = await register(op.apiKey, 'LA', subscriber('LA', '123456780'));
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('sim_cap_exceeded');
  });

  it.each([
    ['12/ZZZ(N)001707', 'mm_nrc_township'],
    ['1/PAPAKA(N)151378', 'mm_nrc_township_state'],
    ['12/OUKAMA(A)508176', 'mm_nrc_type'],
    ['12/OUKAMA(F)508176', 'mm_nrc_type'],
  ])('refuses the NRC %s as invalid_document naming %s', async (number, check) => {
    const op = await w.operator('MM');
    const { status, json } = await register(op.apiKey, 'MM', subscriber('MM', number));
    expect(status).toBe(422);
    expect(json).toMatchObject({ code: 'invalid_document', check });
  });

  it('refuses a name of only invisible characters and a subscriber born today', async () => {
    const op = await w.operator('TH');
    const invisible = await register(op.apiKey, 'TH', {
      ...subscriber('TH', '1101700203450'),
      fullName: '\u200B\u200C\u2060\uFEFF',
    });
    expect(invisible.status).toBe(422);
    expect(invisible.json).toMatchObject({ code: 'invalid_document', check: 'full_name_missing' });
    const today = w.now().toISOString().slice(0, 10);
    const newborn = await register(op.apiKey, 'TH', {
      ...subscriber('TH', '1101700203450'),
      dateOfBirth: today,
    });
    expect(newborn.status).toBe(422);
    expect(newborn.json).toMatchObject({
      code: 'invalid_document',
      check: 'birth_date_out_of_range',
    });
  });
});
