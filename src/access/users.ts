import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { hash, verify } from '@node-rs/argon2';
import { audit, auditShard } from '../platform/audit.js';
import { newId, sha256Hex } from '../platform/crypto.js';
import type { Db, DbOrTx } from '../platform/db/client.js';
import { type TxCtx, withTransaction } from '../platform/db/transaction.js';
import { InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import { parseInput } from '../platform/parse.js';
import { SECOND_MS } from '../platform/time.js';
import {
  clearLoginFailures,
  consoleUserExists,
  countLoginAttempt,
  disableConsoleUser,
  endSession,
  endUserSessions,
  findConsoleUser,
  findPasswordHash,
  findSession,
  insertConsoleUser,
  insertSession,
  lockLoginSubject,
  setPassword,
  touchSession,
} from './queries.js';
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

const USERNAME_RULE = '3-64 of a-z, 0-9, ".", "_", "-"';

/** A new console user, as the API, the console's form and the CLI send it. */
export const NewUserSchema = z
  .object({
    username: z
      .string()
      .trim()
      .toLowerCase()
      .refine((u) => USERNAME.test(u), USERNAME_RULE)
      .openapi({
        minLength: 1,
        maxLength: 64,
        description: `${USERNAME_RULE}, starting with a letter or digit; kept in lower case`,
      }),
    role: z.enum(CONSOLE_ROLES, { error: `must be one of ${CONSOLE_ROLES.join(', ')}` }),
  })
  .openapi('ConsoleUserCreate');

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
  const { username, role } = parseInput(NewUserSchema, input);
  const password = oneTimePassword();
  const passwordHash = await hash(password, ARGON2_OPTIONS);
  const userId = newId('usr');
  await withTransaction(ctx, async (tx) => {
    const inserted = await insertConsoleUser(tx, {
      id: userId,
      username,
      role,
      passwordHash,
      at: ctx.now,
    });
    if (!inserted) throw new ServiceError('conflict', `user ${username} already exists`);
    await audit(tx, ctx, {
      shard: auditShard('console:user', userId),
      action: 'user.created',
      subjectType: 'console_user',
      subjectId: userId,
      outcome: 'success',
      data: { username, role },
    });
  });
  return { userId, username, role, oneTimePassword: password };
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
  const row = await countLoginAttempt(db, { subject, now, windowStart });
  const locked = row.locked_until && row.locked_until.getTime() > now.getTime();
  return { attempt: row.failures, lockedUntil: locked ? row.locked_until : null };
}

function throttled(lockedUntil: Date, now: Date): ServiceError {
  const retryAfter = Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / SECOND_MS));
  return new ServiceError('login_throttled', `too many failed logins; retry in ${retryAfter} s`, {
    retryAfter,
  });
}

function lock(db: DbOrTx, subject: string, until: Date) {
  return lockLoginSubject(db, { subject, until });
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
  const user = await findConsoleUser(db, { username });
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
    await clearLoginFailures(tx, { username, clientAddress: input.clientAddress });
    if (input.previousSessionId)
      await endSession(tx, { idHash: sha256Hex(input.previousSessionId), at: now });
    await insertSession(tx, {
      idHash: sha256Hex(sessionId),
      userId: user.id,
      csrfToken,
      at: now,
    });
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
  const row = await findSession(db, { idHash });
  if (!row || row.ended_at || row.disabled_at) return { kind: 'none' };
  const t = now.getTime();
  if (
    t - row.last_seen_at.getTime() > policy.idleMs ||
    t - row.created_at.getTime() > policy.absoluteMs
  ) {
    await endSession(db, { idHash, at: now });
    return { kind: 'expired' };
  }
  await touchSession(db, { idHash, at: now });
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
    await endSession(tx, { idHash: user.sessionIdHash, at: now });
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
  const currentHash = await findPasswordHash(db, { userId: user.id });
  if (currentHash === undefined) throw new NotFoundError(`user ${user.id}`);
  if (!(await verify(currentHash, input.currentPassword)))
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
    await setPassword(tx, { userId: user.id, passwordHash, at: now });
    await endUserSessions(tx, { userId: user.id, at: now, exceptIdHash: user.sessionIdHash });
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
    const row = await disableConsoleUser(tx, { userId: input.userId, at: ctx.now });
    if (!row) {
      if (!(await consoleUserExists(tx, { userId: input.userId })))
        throw new NotFoundError(`user ${input.userId}`);
      throw new ServiceError('conflict', 'the user is already disabled');
    }
    await endUserSessions(tx, { userId: row.id, at: ctx.now });
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
