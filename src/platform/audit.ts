import { createHash, createHmac } from 'node:crypto';
import {
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  sql,
  type UnknownRow,
} from 'kysely';
import type { DbOrTx, Tx } from './db/client.js';

export interface AuditEntry {
  shard: string;
  at: Date;
  actorType: 'operator' | 'user' | 'system';
  actorId: string;
  action: string;
  subjectType: string;
  subjectId: string;
  /** `matched` and `unknown` answer a look-up (whether the identity given was known). */
  outcome: 'success' | 'refused' | 'matched' | 'unknown';
  /** Plain JSON (strings, integers, booleans, nested objects); never identity data. */
  data: Record<string, unknown>;
}

const GENESIS = '0'.repeat(64);

/** JSON with object keys sorted, so a row hashes the same after a round trip through jsonb. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** An audit HMAC key; the id is stored on each row it links, so keys can rotate. */
export interface AuditKey {
  id: string;
  key: Buffer;
}

/**
 * The hash of one row, linked to the previous one. Keyed rows are an HMAC-SHA256 under an audit
 * key that is not in the database, with the key id inside the MAC, so whoever can write the
 * tables cannot recompute a chain. Rows written before keys existed (no key) are a plain SHA-256.
 */
export function entryHash(prevHash: string, seq: number, e: AuditEntry, key?: AuditKey): string {
  const body = canonicalJson({
    shard: e.shard,
    seq,
    at: e.at.toISOString(),
    actorType: e.actorType,
    actorId: e.actorId,
    action: e.action,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    outcome: e.outcome,
    data: e.data,
    ...(key ? { keyId: key.id } : {}),
  });
  const mac = key ? createHmac('sha256', key.key) : createHash('sha256');
  return mac.update(prevHash).update('\n').update(body).digest('hex');
}

/**
 * Carries the audit key ring on a Kysely instance, so every transaction begun from it (which
 * inherits its plugins) can link audit rows without each verb passing the key along. Changes
 * no query.
 */
class AuditKeysPlugin implements KyselyPlugin {
  constructor(readonly keys: readonly AuditKey[]) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/** The same database, whose transactions append audit rows under `keys` (the first links). */
export function withAuditKeys<T extends DbOrTx>(db: T, keys: readonly AuditKey[]): T {
  if (keys.length === 0) throw new Error('the audit key ring is empty');
  return db.withPlugin(new AuditKeysPlugin(keys)) as T;
}

/** The audit key ring carried by `db` (the latest given); empty when it was opened without one. */
export function auditKeysOf(db: DbOrTx): readonly AuditKey[] {
  const plugin = [...db.getExecutor().plugins].reverse().find((p) => p instanceof AuditKeysPlugin);
  return plugin instanceof AuditKeysPlugin ? plugin.keys : [];
}

/** Shard by a prefix and a 64-way bucket of the subject: unrelated writes use different heads. */
export function auditShard(prefix: string, subject: string): string {
  const bucket = createHash('sha256').update(subject).digest()[0] ?? 0;
  return `${prefix}:${(bucket % 64).toString().padStart(2, '0')}`;
}

/**
 * Who acts, as a verb's context carries it: an authenticated operator (`operator`), or an `actor`
 * that is a console user (a `usr_…` id, or an order actor's `userId`) or the system (the CLI's
 * `cli:<login>`, a job's name).
 */
export type AuditCtx = { now: Date } & (
  | { operator: { id: string } }
  | { actor: string | { userId: string } }
);

/** One audit row's own facts; the actor and time come from the context. */
export interface AuditFacts {
  action: string;
  subjectType: string;
  subjectId: string;
  outcome: AuditEntry['outcome'];
  data: AuditEntry['data'];
  /** The chain to append to; by default a bucket of the subject (`auditShard(subjectType, subjectId)`). */
  shard?: string;
}

function actorOf(ctx: AuditCtx): Pick<AuditEntry, 'actorType' | 'actorId'> {
  if ('operator' in ctx) return { actorType: 'operator', actorId: ctx.operator.id };
  if (typeof ctx.actor !== 'string') return { actorType: 'user', actorId: ctx.actor.userId };
  return { actorType: ctx.actor.startsWith('usr_') ? 'user' : 'system', actorId: ctx.actor };
}

/** Appends an audit row for what `ctx`'s actor did at `ctx.now`, in the caller's transaction. */
export function audit(tx: Tx, ctx: AuditCtx, facts: AuditFacts): Promise<void> {
  const { shard, ...rest } = facts;
  return appendAudit(tx, {
    shard: shard ?? auditShard(facts.subjectType, facts.subjectId),
    at: ctx.now,
    ...actorOf(ctx),
    ...rest,
  });
}

/**
 * Appends to the shard's chain inside the caller's transaction: the head row's lock orders
 * appends to that shard, and the row commits or rolls back with the change it records.
 */
export async function appendAudit(tx: Tx, e: AuditEntry): Promise<void> {
  /** Fails closed: an unkeyed row could be rewritten by anyone with write access. */
  const key = auditKeysOf(tx)[0];
  if (!key) throw new Error('no audit key: open the database with withAuditKeys');
  const head = await tx
    .insertInto('audit_heads')
    .values({ shard: e.shard, seq: 0, hash: GENESIS })
    .onConflict((oc) => oc.column('shard').doUpdateSet({ shard: (eb) => eb.ref('excluded.shard') }))
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  const seq = Number(head.seq) + 1;
  const hash = entryHash(head.hash, seq, e, key);
  /** Both statements go out together on the transaction's connection (one round trip). */
  const append = tx
    .insertInto('audit_log')
    .values({
      shard: e.shard,
      seq,
      at: e.at,
      actor_type: e.actorType,
      actor_id: e.actorId,
      action: e.action,
      subject_type: e.subjectType,
      subject_id: e.subjectId,
      outcome: e.outcome,
      data: sql`${JSON.stringify(e.data)}::text::jsonb`,
      prev_hash: head.hash,
      hash,
      key_id: key.id,
    })
    .execute();
  const advance = tx
    .updateTable('audit_heads')
    .set({ seq, hash })
    .where('shard', '=', e.shard)
    .execute();
  await Promise.all([append, advance]);
}

/** One shard's head as a signed checkpoint saw it. */
export interface CheckpointShard {
  shard: string;
  seq: number;
  hash: string;
  /** The last row linked without a key (written before keys existed); 0 when none. */
  legacyUpTo: number;
}

export type AuditVerification =
  | { ok: true; shards: number; rows: number }
  | {
      ok: false;
      shards: number;
      rows: number;
      /** The first wrong row; 0 when the fault is a missing row or shard. */
      badRowId: number;
      shard: string;
      /** Stable name of the failed check, e.g. `hash_mismatch`, `checkpoint_truncated`. */
      check: string;
      reason: string;
    };

type Failure = Extract<AuditVerification, { ok: false }>;

/**
 * Compares the database with a signed checkpoint (whose signature the caller has checked): every
 * shard it names must still exist, reach its sequence number, and hold its hash there.
 */
async function checkAgainstCheckpoint(
  db: DbOrTx,
  checkpoint: readonly CheckpointShard[],
  shards: number,
): Promise<Failure | undefined> {
  for (const cp of checkpoint) {
    const fail = (check: string, reason: string, badRowId = 0): Failure => ({
      ok: false,
      shards,
      rows: 0,
      badRowId,
      shard: cp.shard,
      check,
      reason,
    });
    const [head, last, row] = await Promise.all([
      db.selectFrom('audit_heads').select('seq').where('shard', '=', cp.shard).executeTakeFirst(),
      db
        .selectFrom('audit_log')
        .select(sql<string | null>`max(seq)`.as('seq'))
        .where('shard', '=', cp.shard)
        .executeTakeFirst(),
      db
        .selectFrom('audit_log')
        .select(['id', 'hash'])
        .where('shard', '=', cp.shard)
        .where('seq', '=', cp.seq)
        .executeTakeFirst(),
    ]);
    const lastSeq = Number(last?.seq ?? 0);
    if (!head) {
      return fail(
        'checkpoint_shard_missing',
        lastSeq === 0
          ? `the checkpoint has this shard at seq ${cp.seq}; the database has neither its rows nor its head`
          : `the checkpoint has this shard at seq ${cp.seq}; the database has lost its head`,
      );
    }
    if (lastSeq < cp.seq || Number(head.seq) < cp.seq) {
      return fail(
        'checkpoint_truncated',
        `the chain ends at seq ${Math.min(lastSeq, Number(head.seq))}, below the checkpoint's seq ${cp.seq}`,
      );
    }
    if (!row)
      return fail('checkpoint_truncated', `the row at the checkpoint's seq ${cp.seq} is gone`);
    if (row.hash !== cp.hash) {
      return fail(
        'checkpoint_hash_mismatch',
        `the row at seq ${cp.seq} has another hash than the checkpoint's (the chain was rewritten)`,
        Number(row.id),
      );
    }
  }
  return undefined;
}

/**
 * Walks every shard from its first link and names the first row whose link or hash is wrong.
 * Keyed rows verify under the ring (`keys`, default the ring `db` carries); rows without a key
 * are accepted only before a shard's first keyed row and, given a checkpoint, no later than the
 * checkpoint saw them, so a chain recomputed without the key cannot pass as old rows.
 */
export async function verifyAudit(
  db: DbOrTx,
  opts: { keys?: readonly AuditKey[]; checkpoint?: readonly CheckpointShard[] } = {},
): Promise<AuditVerification> {
  const keys = opts.keys ?? auditKeysOf(db);
  const heads = await db.selectFrom('audit_heads').selectAll().orderBy('shard').execute();
  if (opts.checkpoint) {
    const failed = await checkAgainstCheckpoint(db, opts.checkpoint, heads.length);
    if (failed) return failed;
  }
  const legacyLimit = new Map(opts.checkpoint?.map((c) => [c.shard, c.legacyUpTo]));
  let rows = 0;
  for (const head of heads) {
    let prev = GENESIS;
    let expectedSeq = 1;
    let lastId = 0;
    let keyed = false;
    const stream = db
      .selectFrom('audit_log')
      .selectAll()
      .where('shard', '=', head.shard)
      .orderBy('seq')
      .stream(1000);
    for await (const r of stream) {
      rows++;
      lastId = Number(r.id);
      const fail = (check: string, reason: string): Failure => ({
        ok: false,
        shards: heads.length,
        rows,
        badRowId: Number(r.id),
        shard: head.shard,
        check,
        reason,
      });
      if (Number(r.seq) !== expectedSeq)
        return fail('seq_gap', `expected seq ${expectedSeq}, found ${r.seq}`);
      if (r.prev_hash !== prev)
        return fail('prev_hash_mismatch', 'prev_hash does not match the previous row');
      let key: AuditKey | undefined;
      if (r.key_id === null) {
        if (keyed) return fail('unkeyed_row', 'a row without a key follows a keyed row');
        const limit = opts.checkpoint
          ? (legacyLimit.get(head.shard) ?? 0)
          : Number.POSITIVE_INFINITY;
        if (expectedSeq > limit)
          return fail('unkeyed_row', 'a row without a key that the checkpoint did not see as one');
      } else {
        key = keys.find((k) => k.id === r.key_id);
        if (!key)
          return fail('unknown_key', `the row names audit key ${r.key_id}, not in the ring`);
        keyed = true;
      }
      const recomputed = entryHash(
        prev,
        expectedSeq,
        {
          shard: r.shard,
          at: r.at,
          actorType: r.actor_type as AuditEntry['actorType'],
          actorId: r.actor_id,
          action: r.action,
          subjectType: r.subject_type,
          subjectId: r.subject_id,
          outcome: r.outcome as AuditEntry['outcome'],
          data: r.data as Record<string, unknown>,
        },
        key,
      );
      if (recomputed !== r.hash)
        return fail('hash_mismatch', 'hash does not match the row content');
      prev = r.hash;
      expectedSeq++;
    }
    if (expectedSeq - 1 !== Number(head.seq) || prev !== head.hash) {
      return {
        ok: false,
        shards: heads.length,
        rows,
        badRowId: lastId,
        shard: head.shard,
        check: 'head_mismatch',
        reason: `chain ends at seq ${expectedSeq - 1} but the head says ${head.seq}`,
      };
    }
  }
  const orphan = await db
    .selectFrom('audit_log')
    .select(['id', 'shard'])
    .where('shard', 'not in', heads.length > 0 ? heads.map((h) => h.shard) : [''])
    .orderBy('id')
    .executeTakeFirst();
  if (orphan) {
    return {
      ok: false,
      shards: heads.length,
      rows,
      badRowId: Number(orphan.id),
      shard: orphan.shard,
      check: 'orphan_row',
      reason: 'row belongs to a shard with no head',
    };
  }
  return { ok: true, shards: heads.length, rows };
}

/**
 * The audit rows about some subjects of one type, oldest first (at most `limit`): who did what
 * to them and when, for the timelines the console shows.
 */
export async function subjectTrail(
  db: DbOrTx,
  q: { subjectType: string; subjectIds: readonly string[]; limit?: number },
) {
  if (q.subjectIds.length === 0) return [];
  let query = db
    .selectFrom('audit_log')
    .select(['at', 'actor_type', 'actor_id', 'action', 'outcome', 'subject_id', 'data'])
    .where('subject_type', '=', q.subjectType)
    .where('subject_id', 'in', q.subjectIds)
    .orderBy('at')
    .orderBy('id');
  if (q.limit !== undefined) query = query.limit(q.limit);
  const rows = await query.execute();
  return rows.map((r) => ({
    at: r.at.toISOString(),
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    outcome: r.outcome,
    subjectId: r.subject_id,
    data: r.data as Record<string, unknown>,
  }));
}
