import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import { audit, auditShard } from '../platform/audit.js';
import { newId, sha256Hex } from '../platform/crypto.js';
import type { Db, DbOrTx } from '../platform/db/client.js';
import { type TxCtx, withTransaction } from '../platform/db/transaction.js';
import { InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import { CONSOLE_ROLES, type ConsoleRole } from './roles.js';

/**
 * argon2id (the library's default algorithm) with OWASP's first recommended setting: 19 MiB,
 * 2 passes, 1 lane. Stored as a PHC string, so raising these later still verifies old hashes.
 */
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

export interface ConsoleUser {
  id: string;
  username: string;
  role: ConsoleRole;
  mustChangePassword: boolean;
  sessionIdHash: string;
  csrfToken: string;
}

export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
  maxFailures: number;
  maxFailuresPerAddress: number;
  lockMs: number;
}

export interface UsersCtx extends TxCtx {
  now: Date;
  /** Who acts: `cli:<login>` or a console user id. */
  actor: string;
}

const isRole = (r: string): r is ConsoleRole => (CONSOLE_ROLES as readonly string[]).includes(r);

/** A one-time password of 120 random bits, printed once by the CLI and never stored in clear. */
function oneTimePassword(): string {
  return randomBytes(15).toString('base64url');
}

export async function createUser({
  ctx,
  input,
}: {
  ctx: UsersCtx;
  input: { username: string; role: string };
}) {
  const username = input.username.trim().toLowerCase();
  const issues: { path: string; message: string }[] = [];
  if (!USERNAME.test(username))
    issues.push({ path: 'username', message: '3-64 of a-z, 0-9, ".", "_", "-"' });
  if (!isRole(input.role))
    issues.push({ path: 'role', message: `must be one of ${CONSOLE_ROLES.join(', ')}` });
  if (issues.length > 0) throw new InvalidError('invalid user', issues);
  const password = oneTimePassword();
  const passwordHash = await hash(password, ARGON2_OPTIONS);
  const userId = newId('usr');
  await withTransaction(ctx, async (tx) => {
    const inserted = await tx
      .insertInto('console_users')
      .values({
        id: userId,
        username,
        role: input.role,
        password_hash: passwordHash,
        must_change_password: true,
        created_at: ctx.now,
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new ServiceError('conflict', `user ${username} already exists`);
    await audit(tx, ctx, {
      shard: auditShard('console:user', userId),
      action: 'user.created',
      subjectType: 'console_user',
      subjectId: userId,
      outcome: 'success',
      data: { username, role: input.role },
    });
  });
  return { userId, username, role: input.role, oneTimePassword: password };
}

/** Verified against when the username is unknown, so timing does not reveal which users exist. */
let decoyHash: Promise<string> | undefined;

/**
 * Counts this attempt before the password is checked, atomically, so parallel guesses cannot all
 * pass a check made before any of them is counted. A window older than the lock period starts
 * again unless the subject is locked. Returns the attempt's number within the window, or the
 * lock's end.
 */
async function reserveAttempt(
  db: DbOrTx,
  subject: string,
  now: Date,
  lockMs: number,
): Promise<{ attempt: number; lockedUntil: Date | null }> {
  const windowStart = new Date(now.getTime() - lockMs);
  const stale = sql<boolean>`login_throttle.window_started_at < ${windowStart}
    and (login_throttle.locked_until is null or login_throttle.locked_until <= ${now})`;
  const row = await db
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
  const locked = row.locked_until && row.locked_until.getTime() > now.getTime();
  return { attempt: row.failures, lockedUntil: locked ? row.locked_until : null };
}

function throttled(lockedUntil: Date, now: Date): ServiceError {
  const retryAfter = Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
  return new ServiceError('login_throttled', `too many failed logins; retry in ${retryAfter} s`, {
    retryAfter,
  });
}

async function lock(db: DbOrTx, subject: string, until: Date) {
  await db
    .updateTable('login_throttle')
    .set({ locked_until: until })
    .where('subject', '=', subject)
    .execute();
}

/**
 * Two throttles: per client address (`maxFailuresPerAddress`), against trying one password on
 * many accounts, and per username (`maxFailures`), against guessing one account's password. Keys
 * are prefixed so a typed username can never name an address's counter. The address comes first:
 * an attempt its lock refuses is not counted against the username, so nobody can lock a user out
 * from a locked address.
 */
function throttleSubjects(
  username: string,
  clientAddress: string | undefined,
  policy: SessionPolicy,
) {
  const subjects = [{ subject: `user:${username}`, max: policy.maxFailures }];
  if (clientAddress)
    subjects.unshift({ subject: `addr:${clientAddress}`, max: policy.maxFailuresPerAddress });
  return subjects;
}

/**
 * Checks the password and opens a new session with a fresh id and CSRF token (the id is rotated
 * at every login; `previousSessionId`, the cookie the browser sent, is ended). After too many
 * failures within the lock window (see `throttleSubjects`) logins are refused for `lockMs`.
 */
export async function login({
  ctx,
  input,
}: {
  ctx: { db: Db; now: Date; policy: SessionPolicy };
  input: {
    username: string;
    password: string;
    previousSessionId?: string;
    clientAddress?: string;
  };
}) {
  const { db, now, policy } = ctx;
  const username = input.username.trim().toLowerCase().slice(0, 64);
  const lockedUntil = new Date(now.getTime() + policy.lockMs);
  const subjects = throttleSubjects(username, input.clientAddress, policy);
  const attempts: { subject: string; max: number; attempt: number }[] = [];
  for (const t of subjects) {
    const reserved = await reserveAttempt(db, t.subject, now, policy.lockMs);
    if (reserved.lockedUntil) throw throttled(reserved.lockedUntil, now);
    if (reserved.attempt > t.max) {
      await lock(db, t.subject, lockedUntil);
      throw throttled(lockedUntil, now);
    }
    attempts.push({ ...t, attempt: reserved.attempt });
  }
  const user = await db
    .selectFrom('console_users')
    .selectAll()
    .where('username', '=', username)
    .executeTakeFirst();
  decoyHash ??= hash(oneTimePassword(), ARGON2_OPTIONS);
  const ok = await verify(user?.password_hash ?? (await decoyHash), input.password);
  const shard = auditShard('console:login', username);
  if (!user || !ok || user.disabled_at) {
    for (const t of attempts) if (t.attempt >= t.max) await lock(db, t.subject, lockedUntil);
    await db.transaction().execute(async (tx) => {
      await audit(
        tx,
        { now, actor: { userId: user?.id ?? `unknown:${username}` } },
        {
          shard,
          action: 'user.login',
          subjectType: 'console_user',
          subjectId: user?.id ?? username,
          outcome: 'refused',
          data: { username },
        },
      );
    });
    throw new ServiceError('invalid_credentials', 'the username or password is wrong');
  }
  const sessionId = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  await db.transaction().execute(async (tx) => {
    // The username's count restarts; the address's only gives back this attempt, counted before
    // the password was checked: one good login must not reset an address's failures, and good
    // logins (many users behind one proxy) must not add up to a lock.
    await tx.deleteFrom('login_throttle').where('subject', '=', `user:${username}`).execute();
    if (input.clientAddress)
      await tx
        .updateTable('login_throttle')
        .set({ failures: sql`greatest(failures - 1, 0)` })
        .where('subject', '=', `addr:${input.clientAddress}`)
        .execute();
    if (input.previousSessionId) {
      await tx
        .updateTable('console_sessions')
        .set({ ended_at: now })
        .where('id_hash', '=', sha256Hex(input.previousSessionId))
        .where('ended_at', 'is', null)
        .execute();
    }
    await tx
      .insertInto('console_sessions')
      .values({
        id_hash: sha256Hex(sessionId),
        user_id: user.id,
        csrf_token: csrfToken,
        created_at: now,
        last_seen_at: now,
      })
      .execute();
    await audit(
      tx,
      { now, actor: { userId: user.id } },
      {
        shard,
        action: 'user.login',
        subjectType: 'console_user',
        subjectId: user.id,
        outcome: 'success',
        data: { username },
      },
    );
  });
  return {
    sessionId,
    csrfToken,
    user: {
      id: user.id,
      username: user.username,
      role: user.role as ConsoleRole,
      mustChangePassword: user.must_change_password,
    },
  };
}

export type SessionLookup =
  | { kind: 'valid'; user: ConsoleUser }
  | { kind: 'expired' }
  | { kind: 'none' };

/** The session's user if the session is open and within both timeouts; touches `last_seen_at`. */
export async function resolveSession(
  db: Db,
  { sessionId, now, policy }: { sessionId: string; now: Date; policy: SessionPolicy },
): Promise<SessionLookup> {
  const idHash = sha256Hex(sessionId);
  const row = await db
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
  if (!row || row.ended_at || row.disabled_at) return { kind: 'none' };
  const t = now.getTime();
  if (
    t - row.last_seen_at.getTime() > policy.idleMs ||
    t - row.created_at.getTime() > policy.absoluteMs
  ) {
    await db
      .updateTable('console_sessions')
      .set({ ended_at: now })
      .where('id_hash', '=', idHash)
      .execute();
    return { kind: 'expired' };
  }
  await db
    .updateTable('console_sessions')
    .set({ last_seen_at: now })
    .where('id_hash', '=', idHash)
    .execute();
  return {
    kind: 'valid',
    user: {
      id: row.id,
      username: row.username,
      role: row.role as ConsoleRole,
      mustChangePassword: row.must_change_password,
      sessionIdHash: idHash,
      csrfToken: row.csrf_token,
    },
  };
}

export function csrfMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function logout(db: Db, { user, now }: { user: ConsoleUser; now: Date }) {
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable('console_sessions')
      .set({ ended_at: now })
      .where('id_hash', '=', user.sessionIdHash)
      .execute();
    await audit(
      tx,
      { now, actor: { userId: user.id } },
      {
        shard: auditShard('console:login', user.username),
        action: 'user.logout',
        subjectType: 'console_user',
        subjectId: user.id,
        outcome: 'success',
        data: {},
      },
    );
  });
}

/** Replaces the password (the one-time one included); other sessions of the user are ended. */
export async function changePassword({
  ctx,
  input,
}: {
  ctx: { db: Db; now: Date; user: ConsoleUser };
  input: { currentPassword: string; newPassword: string };
}) {
  const { db, now, user } = ctx;
  const row = await db
    .selectFrom('console_users')
    .select('password_hash')
    .where('id', '=', user.id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`user ${user.id}`);
  if (!(await verify(row.password_hash, input.currentPassword)))
    throw new ServiceError('invalid_credentials', 'the current password is wrong');
  const issues: { path: string; message: string }[] = [];
  if (
    input.newPassword.length < MIN_PASSWORD_LENGTH ||
    input.newPassword.length > MAX_PASSWORD_LENGTH
  )
    issues.push({
      path: 'newPassword',
      message: `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
    });
  if (input.newPassword === input.currentPassword)
    issues.push({ path: 'newPassword', message: 'must differ from the current password' });
  if (issues.length > 0) throw new InvalidError('invalid new password', issues);
  const passwordHash = await hash(input.newPassword, ARGON2_OPTIONS);
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable('console_users')
      .set({ password_hash: passwordHash, must_change_password: false, password_changed_at: now })
      .where('id', '=', user.id)
      .execute();
    await tx
      .updateTable('console_sessions')
      .set({ ended_at: now })
      .where('user_id', '=', user.id)
      .where('id_hash', '!=', user.sessionIdHash)
      .where('ended_at', 'is', null)
      .execute();
    await audit(
      tx,
      { now, actor: { userId: user.id } },
      {
        shard: auditShard('console:user', user.id),
        action: 'user.password_changed',
        subjectType: 'console_user',
        subjectId: user.id,
        outcome: 'success',
        data: {},
      },
    );
  });
}

export async function listUsers(db: DbOrTx) {
  return db
    .selectFrom('console_users')
    .select(['id', 'username', 'role', 'must_change_password', 'disabled_at', 'created_at'])
    .orderBy('username')
    .execute();
}

/** Disables a user and ends their sessions; an admin cannot lock themself out. */
export async function disableUser({ ctx, input }: { ctx: UsersCtx; input: { userId: string } }) {
  if (input.userId === ctx.actor)
    throw new ServiceError('conflict', 'you cannot disable your own account');
  await withTransaction(ctx, async (tx) => {
    const row = await tx
      .updateTable('console_users')
      .set({ disabled_at: ctx.now })
      .where('id', '=', input.userId)
      .where('disabled_at', 'is', null)
      .returning(['id', 'username'])
      .executeTakeFirst();
    if (!row) {
      const exists = await tx
        .selectFrom('console_users')
        .select('id')
        .where('id', '=', input.userId)
        .executeTakeFirst();
      if (!exists) throw new NotFoundError(`user ${input.userId}`);
      throw new ServiceError('conflict', 'the user is already disabled');
    }
    await tx
      .updateTable('console_sessions')
      .set({ ended_at: ctx.now })
      .where('user_id', '=', row.id)
      .where('ended_at', 'is', null)
      .execute();
    await audit(tx, ctx, {
      shard: auditShard('console:user', row.id),
      action: 'user.disabled',
      subjectType: 'console_user',
      subjectId: row.id,
      outcome: 'success',
      data: { username: row.username },
    });
  });
}
