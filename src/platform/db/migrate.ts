import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));

/** Any fixed 64-bit number; every simline process migrating one database takes the same lock. */
const MIGRATION_LOCK = 7_302_114_551_001n;

/**
 * Applies drizzle-kit's migrations under a session advisory lock, so replicas starting together
 * migrate once and the others wait, then find nothing to do. It uses a client of its own:
 * drizzle's postgres-js driver replaces the client's date serializers, which Kysely relies on.
 */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK.toString()}::bigint)`;
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function expectedMigrationCount(): number {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_DIR}/meta/_journal.json`, 'utf8')) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

/** For /readyz: the database answers and every migration shipped with this build is applied. */
export async function migrationsApplied(sql: postgres.Sql, expected: number): Promise<boolean> {
  const rows = await sql<{ n: number }[]>`
    select count(*)::int as n from drizzle.__drizzle_migrations`;
  return (rows[0]?.n ?? 0) >= expected;
}
