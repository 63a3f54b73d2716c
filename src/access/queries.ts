import { sql } from 'kysely';
import type { DbOrTx, Tx } from '../platform/db/client.js';

export interface AuthenticatedOperator {
  id: string;
  /** `operator` or `bank`: the kind of organisation the key belongs to. */
  kind: string;
  name: string;
  country: string;
  mccMnc: string[];
  keyId: string;
  scopes: string[];
}

export async function findOperatorByKeyHash(
  db: DbOrTx,
  { keyHash }: { keyHash: string },
): Promise<AuthenticatedOperator | undefined> {
  const row = await db
    .selectFrom('api_keys as k')
    .innerJoin('operators as o', 'o.id', 'k.operator_id')
    .select(['o.id', 'o.kind', 'o.name', 'o.country', 'o.mcc_mnc', 'k.id as key_id', 'k.scopes'])
    .where('k.key_hash', '=', keyHash)
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst();
  return row
    ? {
        id: row.id,
        kind: row.kind,
        name: row.name,
        country: row.country,
        mccMnc: row.mcc_mnc,
        keyId: row.key_id,
        scopes: row.scopes,
      }
    : undefined;
}

export async function findOperator(db: DbOrTx, { operatorId }: { operatorId: string }) {
  return db.selectFrom('operators').selectAll().where('id', '=', operatorId).executeTakeFirst();
}

/** Operators by id, for names in forms and tables. */
export async function operatorDirectory(db: DbOrTx) {
  return db
    .selectFrom('operators')
    .select(['id', 'name', 'country'])
    .where('kind', '=', 'operator')
    .orderBy('name')
    .execute();
}

/** Console usernames by id, for timelines. */
export async function usernames(db: DbOrTx): Promise<Map<string, string>> {
  const rows = await db.selectFrom('console_users').select(['id', 'username']).execute();
  return new Map(rows.map((r) => [r.id, r.username]));
}

/** A new console user; undefined if the username is taken. */
export async function insertConsoleUser(
  tx: Tx,
  u: { id: string; username: string; role: string; passwordHash: string; at: Date },
): Promise<{ id: string } | undefined> {
  return tx
    .insertInto('console_users')
    .values({
      id: u.id,
      username: u.username,
      role: u.role,
      password_hash: u.passwordHash,
      must_change_password: true,
      created_at: u.at,
    })
    .onConflict((oc) => oc.column('username').doNothing())
    .returning('id')
    .executeTakeFirst();
}

/**
 * Counts a login attempt for a throttle subject in one statement; a window that started before
 * `windowStart` restarts at `now` unless the subject is locked.
 */
export async function countLoginAttempt(
  db: DbOrTx,
  { subject, now, windowStart }: { subject: string; now: Date; windowStart: Date },
): Promise<{ failures: number; locked_until: Date | null }> {
  const stale = sql<boolean>`login_throttle.window_started_at < ${windowStart}
    and (login_throttle.locked_until is null or login_throttle.locked_until <= ${now})`;
  return db
    .insertInto('login_throttle')
    .values({ subject, failures: 1, window_started_at: now, locked_until: null })
    .onConflict((oc) =>
      oc.column('subject').doUpdateSet({
        failures: sql`case when ${stale} then 1 else login_throttle.failures + 1 end`,
        window_started_at: sql`case when ${stale} then ${now} else login_throttle.window_started_at end`,
        locked_until: sql`case when ${stale} then null else login_throttle.locked_until end`,
      }),
    )
    .returning(['failures', 'locked_until'])
    .executeTakeFirstOrThrow();
}

export async function lockLoginSubject(
  db: DbOrTx,
  { subject, until }: { subject: string; until: Date },
): Promise<void> {
  await db
    .updateTable('login_throttle')
    .set({ locked_until: until })
    .where('subject', '=', subject)
    .execute();
}

/**
 * After a good login: the username's count restarts; the address only gets back the attempt
 * counted before the password was checked.
 */
export async function clearLoginFailures(
  tx: Tx,
  { username, clientAddress }: { username: string; clientAddress?: string },
): Promise<void> {
  await tx.deleteFrom('login_throttle').where('subject', '=', `user:${username}`).execute();
  if (clientAddress)
    await tx
      .updateTable('login_throttle')
      .set({ failures: sql`greatest(failures - 1, 0)` })
      .where('subject', '=', `addr:${clientAddress}`)
      .execute();
}

export async function findConsoleUser(db: DbOrTx, { username }: { username: string }) {
  return db
    .selectFrom('console_users')
    .selectAll()
    .where('username', '=', username)
    .executeTakeFirst();
}

export async function findPasswordHash(
  db: DbOrTx,
  { userId }: { userId: string },
): Promise<string | undefined> {
  const row = await db
    .selectFrom('console_users')
    .select('password_hash')
    .where('id', '=', userId)
    .executeTakeFirst();
  return row?.password_hash;
}

export async function setPassword(
  tx: Tx,
  { userId, passwordHash, at }: { userId: string; passwordHash: string; at: Date },
): Promise<void> {
  await tx
    .updateTable('console_users')
    .set({ password_hash: passwordHash, must_change_password: false, password_changed_at: at })
    .where('id', '=', userId)
    .execute();
}

/** Disables an enabled user; undefined if there is none (unknown, or already disabled). */
export async function disableConsoleUser(tx: Tx, { userId, at }: { userId: string; at: Date }) {
  return tx
    .updateTable('console_users')
    .set({ disabled_at: at })
    .where('id', '=', userId)
    .where('disabled_at', 'is', null)
    .returning(['id', 'username'])
    .executeTakeFirst();
}

export async function consoleUserExists(tx: Tx, { userId }: { userId: string }): Promise<boolean> {
  const row = await tx
    .selectFrom('console_users')
    .select('id')
    .where('id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertSession(
  tx: Tx,
  s: { idHash: string; userId: string; csrfToken: string; at: Date },
): Promise<void> {
  await tx
    .insertInto('console_sessions')
    .values({
      id_hash: s.idHash,
      user_id: s.userId,
      csrf_token: s.csrfToken,
      created_at: s.at,
      last_seen_at: s.at,
    })
    .execute();
}

/** A session with its user, by the hash of its id. */
export async function findSession(db: DbOrTx, { idHash }: { idHash: string }) {
  return db
    .selectFrom('console_sessions as s')
    .innerJoin('console_users as u', 'u.id', 's.user_id')
    .select([
      's.created_at',
      's.last_seen_at',
      's.ended_at',
      's.csrf_token',
      'u.id',
      'u.username',
      'u.role',
      'u.must_change_password',
      'u.disabled_at',
    ])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
}

export async function touchSession(
  db: DbOrTx,
  { idHash, at }: { idHash: string; at: Date },
): Promise<void> {
  await db
    .updateTable('console_sessions')
    .set({ last_seen_at: at })
    .where('id_hash', '=', idHash)
    .execute();
}

/** Ends one session if it is still open. */
export async function endSession(
  db: DbOrTx,
  { idHash, at }: { idHash: string; at: Date },
): Promise<void> {
  await db
    .updateTable('console_sessions')
    .set({ ended_at: at })
    .where('id_hash', '=', idHash)
    .where('ended_at', 'is', null)
    .execute();
}

/** Ends a user's open sessions, but the one `exceptIdHash` names. */
export async function endUserSessions(
  tx: Tx,
  { userId, at, exceptIdHash }: { userId: string; at: Date; exceptIdHash?: string },
): Promise<void> {
  let q = tx
    .updateTable('console_sessions')
    .set({ ended_at: at })
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null);
  if (exceptIdHash !== undefined) q = q.where('id_hash', '!=', exceptIdHash);
  await q.execute();
}

/** Every operator with its networks, oldest first. */
export async function listOperators(db: DbOrTx) {
  const rows = await db
    .selectFrom('operators')
    .select(['id', 'name', 'country', 'mcc_mnc', 'created_at'])
    .where('kind', '=', 'operator')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    operatorId: r.id,
    name: r.name,
    country: r.country,
    mccMnc: r.mcc_mnc,
    createdAt: r.created_at,
  }));
}

/** An operator's API keys, without their hashes: id, scopes, and when issued and revoked. */
export async function listApiKeys(db: DbOrTx, { operatorId }: { operatorId: string }) {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'scopes', 'created_at', 'revoked_at'])
    .where('operator_id', '=', operatorId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    keyId: r.id,
    scopes: r.scopes,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  }));
}
