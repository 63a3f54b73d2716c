import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addAccountRepresentative,
  removeAccountRepresentative,
} from '../../src/registration/accounts.js';
import {
  addExemptAccount,
  listAcquisitionLimits,
  setAcquisitionLimit,
  setCaps,
} from '../../src/registration/caps.js';
import type { RegistrationRequest } from '../../src/registration/contract.js';
import { representativeCtx } from '../support/accounts.js';
import { iccid, idemKey, registrationBody, thaiSubscriber } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

type Subscriber = RegistrationRequest['subscriber'];
type Json = Record<string, unknown>;

let w: World;
let opA: { operatorId: string; apiKey: string };
let opB: { operatorId: string; apiKey: string };

beforeAll(async () => {
  w = await createWorld();
  opA = await w.operator('TH');
  opB = await w.operator('TH');
});
afterAll(() => w.close());

async function register(world: World, key: string, body: unknown, idem = idemKey()) {
  const res = await world.request('POST', '/v1/registrations', {
    key,
    body,
    headers: { 'idempotency-key': idem },
  });
  return { res, json: (await res.json()) as Json };
}

async function deregister(world: World, key: string, msisdn: string) {
  const res = await world.request(
    'POST',
    `/v1/registrations/${encodeURIComponent(msisdn)}/deregister`,
    { key, body: { reason: 'customer request' } },
  );
  expect(res.status).toBe(200);
}

const admin = (world: World) => ({ db: world.deps.db, actor: 'test', now: world.now() });

async function refusals(world: World, code: string) {
  const rows = await world.deps.db
    .selectFrom('audit_log')
    .select('data')
    .where('action', '=', 'registration.refused')
    .execute();
  return rows.filter((r) => (r.data as { code?: string }).code === code).length;
}

describe('acquisition limit: new SIMs per person across operators, deregistered ones counted', () => {
  it('seeds a conservative default for every country', async () => {
    const limits = await listAcquisitionLimits(w.deps.db);
    expect(limits.map((l) => l.country)).toEqual(['CN', 'KH', 'LA', 'MM', 'TH', 'VN']);
    for (const l of limits)
      expect(l).toMatchObject({ maxNewSims: 6, windowDays: 30, conservative: true });
  });

  it('stops register -> deregister -> register churn at the default limit, audited and replayable', async () => {
    const subscriber = thaiSubscriber();
    for (let i = 0; i < 6; i++) {
      const body = registrationBody(w.now(), { subscriber });
      const { res } = await register(w, i % 2 === 0 ? opA.apiKey : opB.apiKey, body);
      expect(res.status).toBe(201);
      await deregister(w, i % 2 === 0 ? opA.apiKey : opB.apiKey, body.msisdn);
    }
    const before = await refusals(w, 'acquisition_limit_exceeded');
    const key = idemKey();
    const body = registrationBody(w.now(), { subscriber });
    const { res, json } = await register(w, opB.apiKey, body, key);
    expect(res.status).toBe(409);
    expect(json).toMatchObject({
      code: 'acquisition_limit_exceeded',
      limit: 6,
      count: 6,
      windowDays: 30,
      retryAfter: 30 * 86_400,
    });
    expect(await refusals(w, 'acquisition_limit_exceeded')).toBe(before + 1);
    const replay = await w.request('POST', '/v1/registrations', {
      key: opB.apiKey,
      body,
      headers: { 'idempotency-key': key },
    });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as Json).code).toBe('acquisition_limit_exceeded');
  });

  it('follows the policy set for the country and frees a slot as the oldest leaves the window', async () => {
    const ww = await createWorld();
    try {
      const a = await ww.operator('TH');
      const b = await ww.operator('TH');
      const set = await setAcquisitionLimit({
        ctx: admin(ww),
        input: { country: 'TH', maxNewSims: 3, windowDays: 10 },
      });
      expect(set).toEqual({ country: 'TH', maxNewSims: 3, windowDays: 10 });
      const subscriber = thaiSubscriber();
      const start = ww.now().getTime();
      for (let day = 0; day < 3; day++) {
        ww.setNow(new Date(start + day * 86_400_000));
        const body = registrationBody(ww.now(), { subscriber });
        expect((await register(ww, a.apiKey, body)).res.status).toBe(201);
        await deregister(ww, a.apiKey, body.msisdn);
      }
      const refused = await register(ww, b.apiKey, registrationBody(ww.now(), { subscriber }));
      expect(refused.json).toMatchObject({
        code: 'acquisition_limit_exceeded',
        limit: 3,
        count: 3,
        windowDays: 10,
        retryAfter: 8 * 86_400,
      });
      ww.setNow(new Date(start + 10 * 86_400_000 + 1000));
      const freed = await register(ww, b.apiKey, registrationBody(ww.now(), { subscriber }));
      expect(freed.res.status).toBe(201);
      const audit = await ww.deps.db
        .selectFrom('audit_log')
        .select('data')
        .where('action', '=', 'acquisition_limit.set')
        .execute();
      expect(audit.map((r) => r.data)).toEqual([
        { before: { maxNewSims: 6, windowDays: 30 }, after: { maxNewSims: 3, windowDays: 10 } },
      ]);
      const limits = await listAcquisitionLimits(ww.deps.db);
      expect(limits.find((l) => l.country === 'TH')).toMatchObject({
        conservative: false,
        source: 'set by test',
      });
    } finally {
      await ww.close();
    }
  });

  it('gives exactly the limit to many concurrent registrations across operators, with deregistrations between', async () => {
    const ww = await createWorld();
    try {
      const ops = await Promise.all([ww.operator('TH'), ww.operator('TH'), ww.operator('TH')]);
      await setCaps({ ctx: admin(ww), input: { country: 'TH', perOperator: 2 } });
      await setAcquisitionLimit({
        ctx: admin(ww),
        input: { country: 'TH', maxNewSims: 8, windowDays: 30 },
      });
      const subscriber = thaiSubscriber();
      const createdPerRound: number[] = [];
      for (let round = 0; round < 3; round++) {
        const bodies = Array.from({ length: 45 }, () => registrationBody(ww.now(), { subscriber }));
        const results = await Promise.all(
          bodies.map((body, i) => register(ww, ops[i % 3]?.apiKey ?? '', body)),
        );
        const created = results.flatMap((r, i) => (r.res.status === 201 ? [i] : []));
        createdPerRound.push(created.length);
        for (const r of results) {
          if (r.res.status !== 201) {
            expect(r.res.status).toBe(409);
            expect(['sim_cap_exceeded', 'acquisition_limit_exceeded']).toContain(r.json.code);
          }
        }
        await Promise.all(
          created.map((i) => deregister(ww, ops[i % 3]?.apiKey ?? '', bodies[i]?.msisdn ?? '')),
        );
      }
      /** Caps (3 operators x 2) bind the first round; the acquisition limit the rest. */
      expect(createdPerRound).toEqual([6, 2, 0]);
    } finally {
      await ww.close();
    }
  });
});

describe('ICCID single-use', () => {
  it('refuses an ICCID registered before, though its registration has ended', async () => {
    const first = registrationBody(w.now());
    expect((await register(w, opA.apiKey, first)).res.status).toBe(201);
    await deregister(w, opA.apiKey, first.msisdn);
    const { res, json } = await register(w, opB.apiKey, {
      ...registrationBody(w.now()),
      iccid: first.iccid,
    });
    expect(res.status).toBe(409);
    expect(json.code).toBe('iccid_already_registered');
    expect(String(json.detail)).toContain('registered before');
    const same = await register(w, opA.apiKey, {
      ...registrationBody(w.now(), { subscriber: first.subscriber }),
      iccid: first.iccid,
    });
    expect(same.json.code).toBe('iccid_already_registered');
  });

  it('refuses every one of many concurrent registrations of a used ICCID', async () => {
    const first = registrationBody(w.now());
    expect((await register(w, opA.apiKey, first)).res.status).toBe(201);
    await deregister(w, opA.apiKey, first.msisdn);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        register(w, i % 2 ? opA.apiKey : opB.apiKey, {
          ...registrationBody(w.now()),
          iccid: first.iccid,
        }),
      ),
    );
    expect(results.map((r) => r.json.code)).toEqual(
      Array.from({ length: 20 }, () => 'iccid_already_registered'),
    );
  });

  it('gives a fresh ICCID to exactly one of many concurrent registrations', async () => {
    const iccid = registrationBody(w.now()).iccid;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        register(w, opA.apiKey, { ...registrationBody(w.now()), iccid }),
      ),
    );
    const statuses = results.map((r) => r.res.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(results.filter((r) => r.json.code === 'iccid_already_registered')).toHaveLength(19);
  });
});

/** A migration's statements, found by name whatever number it is given when merged. */
function migrationStatements(suffix: string): string[] {
  const file = readdirSync('migrations').find((f) => f.endsWith(`_${suffix}.sql`));
  if (!file) throw new Error(`no migration ${suffix}`);
  return readFileSync(`migrations/${file}`, 'utf8').split('--> statement-breakpoint');
}

describe('migration of registrations from before', () => {
  it('keeps repeated ICCIDs and used references as history, and refuses them from then on', async () => {
    const ww = await createWorld();
    try {
      const op = await ww.operator('TH');
      const db = ww.deps.db;
      /** The state before: no single-use index, no reference bindings, no limits. */
      await ww.deps.sql.unsafe('drop index registrations_iccid_key');
      await db.deleteFrom('sim_acquisition_limits').execute();
      const usedIccid = iccid();
      const people = ['person-old-1', 'person-old-2'];
      await db
        .insertInto('persons')
        .values(
          people.map((p) => ({
            person_key: p,
            document_type: 'national_id',
            document_country: 'TH',
            nationality: 'TH',
            full_name_sealed: 'x',
            document_number_sealed: 'y',
            date_of_birth_sealed: 'z',
          })),
        )
        .execute();
      const old = (n: number, person: string, status: string) => {
        const body = registrationBody(ww.now());
        return {
          id: `reg_old_${n}`,
          operator_id: op.operatorId,
          country: 'TH',
          msisdn: body.msisdn,
          iccid: usedIccid,
          imsi: body.imsi,
          person_key: person,
          status,
          verification_method: 'face_liveness',
          verification_reference: 'lv-old',
          verification_score: 0.97,
          verified_at: new Date(`2026-0${n}-01T00:00:00Z`),
          pos_agent_id: 'a',
          pos_outlet_id: 'o',
          created_at: new Date(`2026-0${n}-01T00:00:00Z`),
        };
      };
      await db
        .insertInto('registrations')
        .values([
          old(2, 'person-old-2', 'active'),
          old(1, 'person-old-1', 'deregistered'),
          old(3, 'person-old-2', 'deregistered'),
        ])
        .execute();

      for (const stmt of [
        ...migrationStatements('churn_reuse_backfill'),
        ...migrationStatements('iccid_single_use').filter((s) => s.includes('CREATE UNIQUE')),
      ])
        await ww.deps.sql.unsafe(stmt);

      const rows = await db
        .selectFrom('registrations')
        .select(['id', 'iccid_legacy_reuse'])
        .where('id', 'like', 'reg_old_%')
        .orderBy('id')
        .execute();
      expect(rows).toEqual([
        { id: 'reg_old_1', iccid_legacy_reuse: false },
        { id: 'reg_old_2', iccid_legacy_reuse: true },
        { id: 'reg_old_3', iccid_legacy_reuse: true },
      ]);
      const bound = await db
        .selectFrom('verification_uses')
        .select(['reference', 'person_key'])
        .execute();
      expect(bound).toEqual([{ reference: 'lv-old', person_key: 'person-old-1' }]);
      expect((await listAcquisitionLimits(db)).length).toBe(6);

      const again = await register(ww, op.apiKey, {
        ...registrationBody(ww.now()),
        iccid: usedIccid,
      });
      expect(again.json.code).toBe('iccid_already_registered');
      const body = registrationBody(ww.now());
      const reused = await register(ww, op.apiKey, {
        ...body,
        verification: { ...body.verification, reference: 'lv-old' },
      });
      expect(reused.json.code).toBe('verification_reused');
    } finally {
      await ww.close();
    }
  });
});

describe('corporate accounts: only authorised representatives register under them', () => {
  const repCtx = () => representativeCtx(w);

  it('refuses a person at cap who names an account they do not represent', async () => {
    const op = await w.operator('TH');
    await addExemptAccount({
      ctx: admin(w),
      input: { operatorId: op.operatorId, accountRef: 'ACME-REP', kind: 'corporate', simLimit: 10 },
    });
    const subscriber = thaiSubscriber();
    for (let i = 0; i < 5; i++) {
      const { res } = await register(w, op.apiKey, registrationBody(w.now(), { subscriber }));
      expect(res.status).toBe(201);
    }
    const before = await refusals(w, 'account_representative_required');
    const { res, json } = await register(
      w,
      op.apiKey,
      registrationBody(w.now(), { subscriber, account: { accountRef: 'ACME-REP' } }),
    );
    expect(res.status).toBe(422);
    expect(json.code).toBe('account_representative_required');
    expect(await refusals(w, 'account_representative_required')).toBe(before + 1);
  });

  it('lets a representative register up to the account limit, outside their own caps and acquisition limit', async () => {
    const op = await w.operator('TH');
    await addExemptAccount({
      ctx: admin(w),
      input: { operatorId: op.operatorId, accountRef: 'ACME-OK', kind: 'corporate', simLimit: 8 },
    });
    const rep = thaiSubscriber();
    const added = await addAccountRepresentative({
      ctx: repCtx(),
      input: { operatorId: op.operatorId, accountRef: 'ACME-OK', subscriber: rep },
    });
    expect(added).toMatchObject({ accountRef: 'ACME-OK', representatives: 1 });
    /** A representative is a person like any other: sealed, and re-keyed with the persons. */
    const stored = await w.deps.db
      .selectFrom('persons')
      .selectAll()
      .where('person_key', '=', added.personKey)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(rep.documentNumber);
    for (let i = 0; i < 8; i++) {
      const { res, json } = await register(
        w,
        op.apiKey,
        registrationBody(w.now(), { subscriber: rep, account: { accountRef: 'ACME-OK' } }),
      );
      expect(res.status).toBe(201);
      expect(json.account).toEqual({ accountRef: 'ACME-OK', count: i + 1, limit: 8 });
      expect(json.counts).toEqual({ operator: 0, national: 0 });
    }
    const full = await register(
      w,
      op.apiKey,
      registrationBody(w.now(), { subscriber: rep, account: { accountRef: 'ACME-OK' } }),
    );
    expect(full.json).toMatchObject({ code: 'sim_cap_exceeded', cap: 'account', limit: 8 });
    const own = await register(w, op.apiKey, registrationBody(w.now(), { subscriber: rep }));
    expect(own.res.status).toBe(201);
    expect(own.json.counts).toEqual({ operator: 1, national: 1 });

    await expect(
      addAccountRepresentative({
        ctx: repCtx(),
        input: { operatorId: op.operatorId, accountRef: 'ACME-OK', subscriber: rep },
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await removeAccountRepresentative({
      ctx: repCtx(),
      input: { operatorId: op.operatorId, accountRef: 'ACME-OK', subscriber: rep },
    });
    const gone = await register(
      w,
      op.apiKey,
      registrationBody(w.now(), { subscriber: rep, account: { accountRef: 'ACME-OK' } }),
    );
    expect(gone.json.code).toBe('account_representative_required');
    const audit = await w.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_id', '=', added.accountId)
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'exempt_account.approved',
      'exempt_account.representative_added',
      'exempt_account.representative_removed',
    ]);
  });

  it('adds and removes representatives from the CLI, keyed as registrations key them', async () => {
    const op = await w.operator('TH');
    await addExemptAccount({
      ctx: admin(w),
      input: { operatorId: op.operatorId, accountRef: 'ACME-CLI', kind: 'corporate', simLimit: 2 },
    });
    const rep = thaiSubscriber();
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
        env: {
          ...process.env,
          DATABASE_URL: w.url,
          LOG_LEVEL: 'warn',
          IDENTITY_PEPPER: w.deps.secrets.identityPepper.toString('hex'),
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const args = ['--operator', op.operatorId, '--account', 'ACME-CLI'];
    const add = cli('representatives', 'add', ...args, '--subscriber', JSON.stringify(rep));
    expect(add.status).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ accountRef: 'ACME-CLI', representatives: 1 });
    const body = registrationBody(w.now(), {
      subscriber: rep,
      account: { accountRef: 'ACME-CLI' },
    });
    expect((await register(w, op.apiKey, body)).res.status).toBe(201);
    const bad = cli('representatives', 'add', ...args, '--subscriber', '{"documentType":"x"}');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stderr).code).toBe('validation_failed');
    const remove = cli('representatives', 'remove', ...args, '--subscriber', JSON.stringify(rep));
    expect(remove.status).toBe(0);
    expect(JSON.parse(remove.stdout)).toMatchObject({ representatives: 0 });
    const set = cli('acquisition', 'set', '--country', 'KH', '--limit', '4', '--window-days', '7');
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ country: 'KH', maxNewSims: 4, windowDays: 7 });
  });
});

describe('verification references: one verification of one person', () => {
  const withReference = (
    subscriber: Subscriber,
    reference: string,
    method: RegistrationRequest['verification']['method'] = 'face_liveness',
  ) => {
    const body = registrationBody(w.now(), { subscriber });
    return { ...body, verification: { ...body.verification, reference, method } };
  };

  it('refuses a reference already used for another person, not for the same person', async () => {
    const reference = `lv-shared-${idemKey()}`;
    const alice = thaiSubscriber();
    const bob = thaiSubscriber();
    expect((await register(w, opA.apiKey, withReference(alice, reference))).res.status).toBe(201);
    const before = await refusals(w, 'verification_reused');
    const reused = await register(w, opB.apiKey, withReference(bob, reference));
    expect(reused.res.status).toBe(422);
    expect(reused.json.code).toBe('verification_reused');
    expect(await refusals(w, 'verification_reused')).toBe(before + 1);
    /** Two SIMs in one visit: the same person may present the same verification again. */
    expect((await register(w, opB.apiKey, withReference(alice, reference))).res.status).toBe(201);
    /** Another method's provider numbers its own references. */
    const other = await register(w, opA.apiKey, withReference(bob, reference, 'nfc_chip'));
    expect(other.res.status).toBe(201);
  });

  it('does not bind a reference when the registration is refused', async () => {
    const ww = await createWorld();
    try {
      const op = await ww.operator('TH');
      await setCaps({ ctx: admin(ww), input: { country: 'TH', perOperator: 0 } });
      const reference = `lv-refused-${idemKey()}`;
      const body = registrationBody(ww.now());
      const refused = await register(ww, op.apiKey, {
        ...body,
        verification: { ...body.verification, reference },
      });
      expect(refused.json.code).toBe('sim_cap_exceeded');
      const rows = await ww.deps.db
        .selectFrom('verification_uses')
        .select('person_key')
        .where('reference', '=', reference)
        .execute();
      expect(rows).toEqual([]);
    } finally {
      await ww.close();
    }
  });

  it('accepts one reference for exactly one of many people registering at once', async () => {
    const reference = `lv-race-${idemKey()}`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        register(w, i % 2 ? opA.apiKey : opB.apiKey, withReference(thaiSubscriber(), reference)),
      ),
    );
    expect(results.filter((r) => r.res.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.json.code === 'verification_reused')).toHaveLength(19);
  });
});
