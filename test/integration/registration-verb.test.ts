import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/platform/errors.js';
import { registerSim } from '../../src/registration/service.js';
import { registrationBody } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let operatorId: string;

beforeAll(async () => {
  w = await createWorld();
  operatorId = (await w.operator('TH')).operatorId;
});
afterAll(() => w.close());

/** The verb as the CLI or a batch job would call it: no HTTP, the caller's transaction. */
async function verbCtx() {
  const row = await w.deps.db
    .selectFrom('operators')
    .selectAll()
    .where('id', '=', operatorId)
    .executeTakeFirstOrThrow();
  return {
    operator: {
      id: row.id,
      kind: row.kind,
      name: row.name,
      country: row.country,
      mccMnc: row.mcc_mnc,
      keyId: 'none',
      scopes: [],
    },
    identityPepper: w.deps.secrets.identityPepper,
    keyring: { keys: w.deps.secrets.piiKeys },
    now: w.now(),
  };
}

class Rollback extends Error {}

describe('registerSim as a transport-neutral verb', () => {
  it("works in the caller's transaction and returns the result, not a response", async () => {
    const ctx = await verbCtx();
    const body = registrationBody(w.now());
    await expect(
      w.deps.db.transaction().execute(async (tx) => {
        const created = await registerSim({ ctx: { ...ctx, tx }, input: body });
        expect(created).toMatchObject({ msisdn: body.msisdn, status: 'active' });
        throw new Rollback();
      }),
    ).rejects.toBeInstanceOf(Rollback);
    const kept = await w.deps.db
      .selectFrom('registrations')
      .select('id')
      .where('msisdn', '=', body.msisdn)
      .execute();
    expect(kept).toEqual([]);
  });

  it('throws its refusal as a ServiceError', async () => {
    const ctx = await verbCtx();
    const body = registrationBody(w.now());
    await w.deps.db.transaction().execute(async (tx) => {
      await registerSim({ ctx: { ...ctx, tx }, input: body });
    });
    const again = registrationBody(w.now(), { msisdn: body.msisdn });
    const err = await w.deps.db
      .transaction()
      .execute((tx) => registerSim({ ctx: { ...ctx, tx }, input: again }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe('msisdn_already_registered');
  });

  it('parses its input with the contract schema, naming each failing field', async () => {
    const ctx = await verbCtx();
    const err = await w.deps.db
      .transaction()
      .execute((tx) =>
        registerSim({
          ctx: { ...ctx, tx },
          input: { ...registrationBody(w.now()), iccid: 'x' },
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe('validation_failed');
    expect((err as ServiceError).extra.errors).toEqual([
      expect.objectContaining({ path: 'iccid' }),
    ]);
  });
});
