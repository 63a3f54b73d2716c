import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createOperator } from '../../src/access/operators.js';
import { audit, auditShard } from '../../src/platform/audit.js';
import { withTransaction } from '../../src/platform/db/transaction.js';
import { setCaps } from '../../src/registration/caps.js';
import { createWorld, type World } from '../support/world.js';

let world: World;

beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => {
  await world?.close();
});

const auditRows = (subjectId: string) =>
  world.deps.db
    .selectFrom('audit_log')
    .select(['shard', 'actor_type', 'actor_id', 'action', 'at'])
    .where('subject_id', '=', subjectId)
    .execute();

describe('withTransaction', () => {
  it("runs verbs in the caller's transaction: they roll back with it", async () => {
    const ctx = { db: world.deps.db, actor: 'cli:tester', now: world.now() };
    let operatorId = '';
    await expect(
      world.deps.db.transaction().execute(async (tx) => {
        operatorId = (
          await createOperator({ ctx: { ...ctx, tx }, input: { name: 'Gone', country: 'TH' } })
        ).operatorId;
        await setCaps({ ctx: { ...ctx, tx }, input: { country: 'LA', perOperator: 7 } });
        throw new Error('the caller gives up');
      }),
    ).rejects.toThrow('the caller gives up');
    const db = world.deps.db;
    expect(
      await db.selectFrom('operators').where('id', '=', operatorId).selectAll().execute(),
    ).toEqual([]);
    expect(
      await db.selectFrom('api_keys').where('operator_id', '=', operatorId).selectAll().execute(),
    ).toEqual([]);
    expect(await auditRows(operatorId)).toEqual([]);
    expect(await auditRows('LA')).toEqual([]);
  });

  it("commits verbs run in the caller's transaction together with it", async () => {
    const ctx = { db: world.deps.db, actor: 'cli:tester', now: world.now() };
    const { operatorId, keyId } = await world.deps.db.transaction().execute(async (tx) => {
      const created = await createOperator({
        ctx: { ...ctx, tx },
        input: { name: 'Kept', country: 'KH' },
      });
      return createApiKey({ ctx: { ...ctx, tx }, input: { operatorId: created.operatorId } });
    });
    const key = await world.deps.db
      .selectFrom('api_keys')
      .select('operator_id')
      .where('id', '=', keyId)
      .executeTakeFirst();
    expect(key?.operator_id).toBe(operatorId);
    expect((await auditRows(keyId)).map((r) => r.action)).toEqual(['api_key.created']);
  });

  it('opens its own transaction when the context carries none', async () => {
    const inside = await withTransaction({ db: world.deps.db }, async (tx) => tx.isTransaction);
    expect(inside).toBe(true);
  });
});

describe('audit', () => {
  it('takes the actor and time from the context, and shards by subject unless told', async () => {
    const now = new Date('2026-03-01T08:00:00Z');
    await world.deps.db.transaction().execute(async (tx) => {
      await audit(
        tx,
        { now, operator: { id: 'op_audit' } },
        {
          action: 'test.operator',
          subjectType: 'thing',
          subjectId: 'thing-op',
          outcome: 'success',
          data: {},
        },
      );
      await audit(
        tx,
        { now, actor: 'cli:tester' },
        {
          action: 'test.system',
          subjectType: 'thing',
          subjectId: 'thing-cli',
          outcome: 'success',
          data: {},
          shard: 'admin:test',
        },
      );
      await audit(
        tx,
        { now, actor: 'usr_abc' },
        {
          action: 'test.user',
          subjectType: 'thing',
          subjectId: 'thing-usr',
          outcome: 'refused',
          data: {},
        },
      );
      await audit(
        tx,
        { now, actor: { userId: 'usr_def' } },
        {
          action: 'test.order_actor',
          subjectType: 'thing',
          subjectId: 'thing-actor',
          outcome: 'success',
          data: {},
        },
      );
    });
    expect(await auditRows('thing-op')).toEqual([
      {
        shard: auditShard('thing', 'thing-op'),
        actor_type: 'operator',
        actor_id: 'op_audit',
        action: 'test.operator',
        at: now,
      },
    ]);
    expect((await auditRows('thing-cli'))[0]).toMatchObject({
      shard: 'admin:test',
      actor_type: 'system',
      actor_id: 'cli:tester',
    });
    expect((await auditRows('thing-usr'))[0]).toMatchObject({
      actor_type: 'user',
      actor_id: 'usr_abc',
    });
    expect((await auditRows('thing-actor'))[0]).toMatchObject({
      actor_type: 'user',
      actor_id: 'usr_def',
    });
  });
});
