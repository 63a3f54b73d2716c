import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityKey, newId, open, seal } from '../../src/platform/crypto.js';
import { personKey } from '../../src/registration/identity.js';
import { td3 } from '../support/mrz.js';
import { iccid, idemKey, imsi, msisdn, registrationBody } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.close());

/** The CLI against the world's database, with the world's pepper and PII keys. */
function cli(...args: string[]) {
  const { identityPepper, piiKeys } = w.deps.secrets;
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: w.url,
      LOG_LEVEL: 'warn',
      IDENTITY_PEPPER: identityPepper.toString('hex'),
      PII_KEYS: piiKeys.map((k) => `${k.id}:${k.key.toString('hex')}`).join(','),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const keyring = () => ({ keys: w.deps.secrets.piiKeys });

/** A persons row as the code before number spaces keyed it: country|documentType|number. */
async function oldStylePerson(
  doc: { type: string; country: string; number: string; nationality: string },
  createdAt: Date,
  flaggedAt: Date | null = null,
) {
  const key = identityKey(
    w.deps.secrets.identityPepper,
    `${doc.country}|${doc.type}|${doc.number}`,
  );
  const aad = (field: string) => `${key}|${field}`;
  await w.deps.db
    .insertInto('persons')
    .values({
      person_key: key,
      document_type: doc.type,
      document_country: doc.country,
      nationality: doc.nationality,
      full_name_sealed: seal(keyring(), 'Sok Test', aad('full_name')),
      document_number_sealed: seal(keyring(), doc.number, aad('document_number')),
      date_of_birth_sealed: seal(keyring(), '1985-06-07', aad('date_of_birth')),
      created_at: createdAt,
      flagged_at: flaggedAt,
      flag_reason: flaggedAt ? 'mule lines' : null,
    })
    .execute();
  return key;
}

async function activeSims(key: string, operatorId: string, n: number) {
  for (let i = 0; i < n; i++) {
    await w.deps.db
      .insertInto('registrations')
      .values({
        id: newId('reg'),
        operator_id: operatorId,
        country: 'KH',
        msisdn: msisdn('KH'),
        iccid: iccid(),
        imsi: imsi('KH'),
        person_key: key,
        status: 'active',
        verification_method: 'face_liveness',
        verification_reference: `lv-${randomBytes(4).toString('hex')}`,
        verification_score: 0.97,
        verified_at: w.now(),
        pos_agent_id: 'agent-1',
        pos_outlet_id: 'outlet-1',
        created_at: w.now(),
      })
      .execute();
  }
}

describe('identities rekey', () => {
  it('merges the old keys of one human, reports who is over a cap, and changes nothing twice', async () => {
    const op = await w.operator('KH');
    const digits = '123456780';
    const asId = await oldStylePerson(
      { type: 'national_id', country: 'KH', number: digits, nationality: 'KH' },
      new Date('2026-01-01T00:00:00Z'),
    );
    const flaggedAt = new Date('2026-06-01T00:00:00Z');
    const asCard = await oldStylePerson(
      { type: 'id_card', country: 'KH', number: digits, nationality: 'KH' },
      new Date('2026-02-01T00:00:00Z'),
      flaggedAt,
    );
    const bystander = await oldStylePerson(
      { type: 'passport', country: 'TH', number: 'AA1234567', nationality: 'TH' },
      new Date('2026-03-01T00:00:00Z'),
    );
    /** Stored in a form today's checker canonicalises differently: both are `12/OUKAMA(N)…`. */
    const nrcLong = await oldStylePerson(
      { type: 'national_id', country: 'MM', number: '12/OUKAMA(NAING)123456', nationality: 'MM' },
      new Date('2026-04-01T00:00:00Z'),
    );
    const nrcShort = await oldStylePerson(
      { type: 'national_id', country: 'MM', number: '12/OUKAMA(N)123456', nationality: 'MM' },
      new Date('2026-05-01T00:00:00Z'),
    );
    await activeSims(asId, op.operatorId, 2);
    await activeSims(asCard, op.operatorId, 2);
    await w.deps.db
      .insertInto('scoring_alerts')
      .values({
        subject: '+85581234567',
        msisdn: '+85581234567',
        person_key: asCard,
        rule: 'test',
        score: 1,
        window_start: w.now(),
        window_end: w.now(),
        evidence: JSON.stringify({}),
        created_at: w.now(),
      })
      .execute();

    /** Both old keys name one account's representative: the merged person stays named once. */
    const account = newId('acct');
    await w.deps.db
      .insertInto('cap_exempt_accounts')
      .values({
        id: account,
        operator_id: op.operatorId,
        account_ref: 'ACME',
        kind: 'corporate',
        sim_limit: 10,
        approved_by: 'test',
      })
      .execute();
    await w.deps.db
      .insertInto('exempt_account_representatives')
      .values(
        [asId, asCard].map((k) => ({
          account_id: account,
          person_key: k,
          added_by: 'test',
          added_at: w.now(),
        })),
      )
      .execute();

    const run = cli('identities', 'rekey');
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    const merged = personKey(w.deps.secrets.identityPepper, {
      country: 'KH',
      space: 'national',
      number: digits,
    });
    const passportKey = personKey(w.deps.secrets.identityPepper, {
      country: 'TH',
      space: 'passport',
      number: 'AA1234567',
    });
    const nrc = personKey(w.deps.secrets.identityPepper, {
      country: 'MM',
      space: 'national',
      number: '12/OUKAMA(N)123456',
    });
    expect(report).toMatchObject({ persons: 5, rekeyed: 4, merged: 2, unverifiable: [] });
    expect(report.overCap).toEqual([
      {
        personKey: merged,
        country: 'KH',
        national: null,
        operators: [{ operatorId: op.operatorId, count: 4, limit: 3 }],
      },
    ]);
    /** The passport key has the same form as before: it stays put. */
    expect(passportKey).toBe(bystander);

    const persons = await w.deps.db.selectFrom('persons').selectAll().execute();
    expect(persons.map((p) => p.person_key).sort()).toEqual([merged, passportKey, nrc].sort());
    const person = persons.find((p) => p.person_key === merged);
    expect(person?.flagged_at).toEqual(flaggedAt);
    expect(person?.created_at).toEqual(new Date('2026-01-01T00:00:00Z'));
    expect(open(keyring(), person?.document_number_sealed ?? '', `${merged}|document_number`)).toBe(
      digits,
    );
    const mm = persons.find((p) => p.person_key === nrc);
    expect(open(keyring(), mm?.document_number_sealed ?? '', `${nrc}|document_number`)).toBe(
      '12/OUKAMA(N)123456',
    );
    const keys = await w.deps.db
      .selectFrom('registrations')
      .select('person_key')
      .distinct()
      .execute();
    expect(keys).toEqual([{ person_key: merged }]);
    const alert = await w.deps.db.selectFrom('scoring_alerts').select('person_key').execute();
    expect(alert).toEqual([{ person_key: merged }]);
    const representatives = await w.deps.db
      .selectFrom('exempt_account_representatives')
      .select('person_key')
      .where('account_id', '=', account)
      .execute();
    expect(representatives).toEqual([{ person_key: merged }]);
    const audit = await w.deps.db
      .selectFrom('audit_log')
      .select(['action', 'subject_id', 'data'])
      .where('action', 'like', 'person.%')
      .execute();
    expect(audit).toEqual(
      expect.arrayContaining([
        { action: 'person.merged', subject_id: merged, data: { from: [asId, asCard], persons: 2 } },
        {
          action: 'person.merged',
          subject_id: nrc,
          data: { from: [nrcLong, nrcShort], persons: 2 },
        },
      ]),
    );
    expect(audit).toHaveLength(2);

    const again = cli('identities', 'rekey');
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ ...report, persons: 3, rekeyed: 0, merged: 0 });
    const auditAfter = await w.deps.db
      .selectFrom('audit_log')
      .select('seq')
      .where('action', 'like', 'person.%')
      .execute();
    expect(auditAfter).toHaveLength(2);

    /** A registration now finds the merged person, over its cap. */
    const res = await w.request('POST', '/v1/registrations', {
      key: op.apiKey,
      body: {
        ...registrationBody(w.now(), {
          subscriber: {
            documentType: 'national_id',
            documentCountry: 'KH',
            documentNumber: digits,
            fullName: 'Sok Test',
            dateOfBirth: '1985-06-07',
            nationality: 'KH',
          },
        }),
        msisdn: msisdn('KH'),
        imsi: imsi('KH'),
      },
      headers: { 'idempotency-key': idemKey() },
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'sim_cap_exceeded', count: 4 });
  }, 120_000);
});

describe('documents list / set', () => {
  it('lists the seeded policies with their sources and changes one, audited', async () => {
    const listed = cli('documents', 'list');
    expect(listed.status, listed.stderr).toBe(0);
    const policies = JSON.parse(listed.stdout) as {
      country: string;
      nationalDocuments: string[];
      conservative: boolean;
      source: string;
    }[];
    expect(policies.map((p) => p.country)).toEqual(['CN', 'KH', 'LA', 'MM', 'TH', 'VN']);
    expect(policies.filter((p) => p.conservative).map((p) => p.country)).toEqual(['KH', 'LA']);
    for (const p of policies) expect(p.source.length).toBeGreaterThan(20);

    const set = cli('documents', 'set', '--country', 'TH', '--nationals', 'national_id,passport');
    expect(set.status, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({
      country: 'TH',
      nationalDocuments: ['national_id', 'passport'],
      foreignDocuments: ['passport'],
      residentDocuments: ['national_id'],
    });
    const audit = await w.deps.db
      .selectFrom('audit_log')
      .select(['subject_id', 'data'])
      .where('action', '=', 'document_policy.set')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.data).toMatchObject({
      before: { nationalDocuments: ['national_id'] },
      after: { nationalDocuments: ['national_id', 'passport'] },
    });

    /** The policy is data: a Thai passport of a Thai national is now accepted at home. */
    const op = await w.operator('TH');
    const number = 'AB1234567';
    const res = await w.request('POST', '/v1/registrations', {
      key: op.apiKey,
      body: registrationBody(w.now(), {
        subscriber: {
          documentType: 'passport',
          documentCountry: 'TH',
          documentNumber: number,
          mrz: td3({ state: 'THA', number, nationality: 'THA', birth: '850607', expiry: '300101' }),
          fullName: 'Somchai Test',
          dateOfBirth: '1985-06-07',
          nationality: 'TH',
        },
      }),
      headers: { 'idempotency-key': idemKey() },
    });
    expect(res.status).toBe(201);

    const bad = cli('documents', 'set', '--country', 'TH', '--foreigners', 'visa');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({
      code: 'validation_failed',
      errors: [expect.objectContaining({ path: 'foreignDocuments' })],
    });
  }, 120_000);
});
