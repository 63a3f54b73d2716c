import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { canonicalJson } from './audit.js';
import type { Db, DbOrTx, Tx } from './db/client.js';
import { type ErrorCode, ServiceError } from './errors.js';
import { problemBody } from './http/problem.js';

export interface StoredResponse {
  status: number;
  body: string;
}

/**
 * Names one request (method, path, canonical body): the same key with another request is
 * refused. The body holds identity data, so what is stored is an HMAC under a server key, not a
 * plain hash anyone with a database copy could test guesses against.
 */
export interface RequestFingerprint {
  /** Stored for a new key: `keyId:hex`. */
  value: string;
  /** Whether a stored fingerprint names this request: under any key of the ring, or legacy. */
  matches(stored: string): boolean;
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export function fingerprintRequest(
  keys: readonly { id: string; key: Buffer }[],
  method: string,
  path: string,
  body: unknown,
): RequestFingerprint {
  const active = keys[0];
  if (!active) throw new Error('the fingerprint key ring is empty');
  const text = `${method} ${path}\n${canonicalJson(body)}`;
  const mac = (key: Buffer) => createHmac('sha256', key).update(text).digest('hex');
  return {
    value: `${active.id}:${mac(active.key)}`,
    matches(stored) {
      const colon = stored.indexOf(':');
      /**
       * Stored before fingerprints were keyed: a plain SHA-256. Still honoured so a retry within
       * the key's TTL replays; such rows expire with their TTL and are purged.
       */
      if (colon < 0) return sameHex(stored, createHash('sha256').update(text).digest('hex'));
      const key = keys.find((k) => k.id === stored.slice(0, colon));
      return key !== undefined && sameHex(stored.slice(colon + 1), mac(key.key));
    },
  };
}

export interface IdempotencyScope {
  operatorId: string;
  key: string;
  fingerprint: RequestFingerprint;
  now: Date;
  ttlMs: number;
}

/**
 * draft-ietf-httpapi-idempotency-key-header: runs `work` in one transaction with the stored
 * response, so the key, the change and its audit row commit together. A transaction-scoped
 * advisory lock on (operator, key) marks the request in flight: a concurrent retry gets 409
 * at once instead of queueing, and the lock vanishes with the transaction even on a crash.
 */
export async function withIdempotencyKey(
  db: Db,
  scope: IdempotencyScope,
  work: (tx: Tx) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  return db.transaction().execute(async (tx) => {
    /** The lookup is pipelined with the lock (one round trip) and only used if the lock held. */
    const [lock, existing] = await Promise.all([
      sql<{ ok: boolean }>`
        select pg_try_advisory_xact_lock(hashtextextended(${`${scope.operatorId}:${scope.key}`}, 7)) as ok`.execute(
        tx,
      ),
      tx
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('operator_id', '=', scope.operatorId)
        .where('key', '=', scope.key)
        .where('expires_at', '>', scope.now)
        .executeTakeFirst(),
    ]);
    if (!lock.rows[0]?.ok) {
      throw new ServiceError(
        'idempotency_in_flight',
        'a request with this Idempotency-Key is still being processed; retry later',
      );
    }
    if (existing) {
      if (!scope.fingerprint.matches(existing.fingerprint)) {
        throw new ServiceError(
          'idempotency_key_reused',
          'this Idempotency-Key was used with a different request; use a new key',
        );
      }
      return { status: existing.status, body: existing.body, replayed: true };
    }
    const res = await work(tx);
    const expiresAt = new Date(scope.now.getTime() + scope.ttlMs);
    await tx
      .insertInto('idempotency_keys')
      .values({
        operator_id: scope.operatorId,
        key: scope.key,
        fingerprint: scope.fingerprint.value,
        status: res.status,
        body: res.body,
        created_at: scope.now,
        expires_at: expiresAt,
      })
      .onConflict((oc) =>
        oc.columns(['operator_id', 'key']).doUpdateSet({
          fingerprint: scope.fingerprint.value,
          status: res.status,
          body: res.body,
          created_at: scope.now,
          expires_at: expiresAt,
        }),
      )
      .execute();
    return { ...res, replayed: false };
  });
}

/** What an idempotent route answered: rendered once, stored, and replayed byte for byte. */
export interface RouteAnswer extends StoredResponse {
  replayed: boolean;
  /** The refusal answered (not set on a replay). */
  refusal?: ServiceError;
}

export interface IdempotentRoute {
  requestId: string;
  /** Runs the verb in the transaction and renders its result as the route answers it. */
  run: (tx: Tx) => Promise<StoredResponse>;
  /** Refusals that are answers, not faults: stored as problem+json under the key. */
  refusals: ReadonlySet<ErrorCode>;
  /** Writes the refusal's audit row, after the attempt is rolled back, in the same transaction. */
  auditRefusal: (tx: Tx, refusal: ServiceError) => Promise<void>;
}

/**
 * Wraps a route in its Idempotency-Key: the verb runs behind a savepoint in the key's
 * transaction; a refusal in `refusals` rolls back to the savepoint, so nothing of the attempt
 * survives but its audit row and the stored problem document. Any other error rolls back all.
 */
export async function idempotentRoute(
  db: Db,
  scope: IdempotencyScope,
  route: IdempotentRoute,
): Promise<RouteAnswer> {
  let refusal: ServiceError | undefined;
  const res = await withIdempotencyKey(db, scope, async (tx) => {
    await sql`savepoint attempt`.execute(tx);
    try {
      const answer = await route.run(tx);
      await sql`release savepoint attempt`.execute(tx);
      return answer;
    } catch (err) {
      if (!(err instanceof ServiceError) || !route.refusals.has(err.code)) throw err;
      await sql`rollback to savepoint attempt`.execute(tx);
      refusal = err;
      await route.auditRefusal(tx, err);
      return {
        status: err.status,
        body: problemBody(err.code, err.detail, route.requestId, err.extra),
      };
    }
  });
  return res.replayed ? res : { ...res, refusal };
}

export async function purgeExpiredIdempotencyKeys(db: DbOrTx, now: Date): Promise<number> {
  const res = await db
    .deleteFrom('idempotency_keys')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
