import { boolean, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from '../platform/db/columns.js';

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
