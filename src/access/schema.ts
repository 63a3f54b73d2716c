import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { ts } from '../platform/db/columns.js';

export const operators = pgTable('operators', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  country: text('country').notNull(),
  /** MCC-MNC codes of the networks this operator runs, e.g. '520-01'. */
  mccMnc: text('mcc_mnc').array().notNull().default(sql`'{}'::text[]`),
  /**
   * `operator`, `bank` (API keys that reach only the watchlist) or `partner` (another country's
   * instance, whose keys reach only the TAXII server).
   */
  kind: text('kind').notNull().default('operator'),
  /** A bank's code (BIC or national bank code); null for operators. */
  bankCode: text('bank_code'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .default(sql`now()`),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    operatorId: text('operator_id')
      .notNull()
      .references(() => operators.id),
    /** SHA-256 of the whole key, hex; the key itself is shown once and never stored. */
    keyHash: text('key_hash').notNull().unique(),
    scopes: text('scopes').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .default(sql`now()`),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('api_keys_operator_idx').on(t.operatorId)],
);

/** Regulator staff. Passwords are argon2id PHC strings; `must_change_password` marks a one-time password. */
export const consoleUsers = pgTable('console_users', {
  id: text('id').primaryKey(),
  username: text('username').notNull().unique(),
  role: text('role').notNull(),
  passwordHash: text('password_hash').notNull(),
  mustChangePassword: boolean('must_change_password').notNull().default(true),
  disabledAt: ts('disabled_at'),
  createdAt: ts('created_at').notNull(),
  passwordChangedAt: ts('password_changed_at'),
});

/**
 * One row per login. Only the SHA-256 of the session id is stored, so a read of this table does
 * not yield usable cookies. Idle and absolute timeouts are checked against these timestamps.
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => consoleUsers.id),
    csrfToken: text('csrf_token').notNull(),
    createdAt: ts('created_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
    endedAt: ts('ended_at'),
  },
  (t) => [index('console_sessions_user_idx').on(t.userId)],
);

/**
 * Login attempts per `user:<lower-cased username>` (known or not, so throttling does not reveal
 * accounts) and per `addr:<client address>`.
 */
export const loginThrottle = pgTable('login_throttle', {
  subject: text('subject').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: ts('window_started_at').notNull(),
  lockedUntil: ts('locked_until'),
});
