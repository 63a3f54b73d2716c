import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../support/world.js';

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.close());

describe('database connection loss', () => {
  it('fails the transaction whose server connection died, and the pool recovers', async () => {
    /**
     * postgres.js 3.4.9 put a reserved connection that had closed back into its pool, and the
     * next write on it crashed the process (patches/postgres+3.4.9.patch). Kysely runs every
     * transaction on a reserved connection, so this is the path a PostgreSQL restart takes.
     */
    const dying = w.deps.db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
      await w.deps.sql`select pg_terminate_backend(${rows[0]?.pid ?? 0})`;
      await sql`select 1`.execute(tx);
    });
    await expect(dying).rejects.toThrow();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        sql<{ n: number }>`select ${i}::int as n`.execute(w.deps.db).then((r) => r.rows[0]?.n),
      ),
    );
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const ready = await w.request('GET', '/readyz');
    expect(ready.status).toBe(200);
  });
});
