import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { DbOrTx, Tx } from './db/client.js';

export interface AuditEntry {
  shard: string;
  at: Date;
  actorType: 'operator' | 'user' | 'system';
  actorId: string;
  action: string;
  subjectType: string;
  subjectId: string;
  outcome: 'success' | 'refused';
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

export function entryHash(prevHash: string, seq: number, e: AuditEntry): string {
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
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** Shard by a prefix and a 64-way bucket of the subject: unrelated writes use different heads. */
export function auditShard(prefix: string, subject: string): string {
  const bucket = createHash('sha256').update(subject).digest()[0] ?? 0;
  return `${prefix}:${(bucket % 64).toString().padStart(2, '0')}`;
}

/**
 * Appends to the shard's chain inside the caller's transaction: the head row's lock orders
 * appends to that shard, and the row commits or rolls back with the change it records.
 */
export async function appendAudit(tx: Tx, e: AuditEntry): Promise<void> {
  const head = await tx
    .insertInto('audit_heads')
    .values({ shard: e.shard, seq: 0, hash: GENESIS })
    .onConflict((oc) => oc.column('shard').doUpdateSet({ shard: (eb) => eb.ref('excluded.shard') }))
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  const seq = Number(head.seq) + 1;
  const hash = entryHash(head.hash, seq, e);
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
    })
    .execute();
  const advance = tx
    .updateTable('audit_heads')
    .set({ seq, hash })
    .where('shard', '=', e.shard)
    .execute();
  await Promise.all([append, advance]);
}

export type AuditVerification =
  | { ok: true; shards: number; rows: number }
  | { ok: false; shards: number; rows: number; badRowId: number; shard: string; reason: string };

/** Walks every shard from its first link; names the first row whose link or hash is wrong. */
export async function verifyAudit(db: DbOrTx): Promise<AuditVerification> {
  const heads = await db.selectFrom('audit_heads').selectAll().orderBy('shard').execute();
  let rows = 0;
  for (const head of heads) {
    let prev = GENESIS;
    let expectedSeq = 1;
    let lastId = 0;
    const stream = db
      .selectFrom('audit_log')
      .selectAll()
      .where('shard', '=', head.shard)
      .orderBy('seq')
      .stream(1000);
    for await (const r of stream) {
      rows++;
      lastId = Number(r.id);
      const fail = (reason: string): AuditVerification => ({
        ok: false,
        shards: heads.length,
        rows,
        badRowId: Number(r.id),
        shard: head.shard,
        reason,
      });
      if (Number(r.seq) !== expectedSeq) return fail(`expected seq ${expectedSeq}, found ${r.seq}`);
      if (r.prev_hash !== prev) return fail('prev_hash does not match the previous row');
      const recomputed = entryHash(prev, expectedSeq, {
        shard: r.shard,
        at: r.at,
        actorType: r.actor_type as AuditEntry['actorType'],
        actorId: r.actor_id,
        action: r.action,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        outcome: r.outcome as AuditEntry['outcome'],
        data: r.data as Record<string, unknown>,
      });
      if (recomputed !== r.hash) return fail('hash does not match the row content');
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
        reason: `chain ends at seq ${expectedSeq - 1} but the head says ${head.seq}`,
      };
    }
  }
  const orphans = await db
    .selectFrom('audit_log')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('shard', 'not in', heads.length > 0 ? heads.map((h) => h.shard) : [''])
    .executeTakeFirst();
  if ((orphans?.n ?? 0) > 0) {
    const row = await db
      .selectFrom('audit_log')
      .select(['id', 'shard'])
      .where('shard', 'not in', heads.length > 0 ? heads.map((h) => h.shard) : [''])
      .orderBy('id')
      .executeTakeFirstOrThrow();
    return {
      ok: false,
      shards: heads.length,
      rows,
      badRowId: Number(row.id),
      shard: row.shard,
      reason: 'row belongs to a shard with no head',
    };
  }
  return { ok: true, shards: heads.length, rows };
}
