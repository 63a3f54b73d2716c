import { Kysely, sql } from 'kysely';
import { PostgresJSDialect } from 'kysely-postgres-js';
import postgres from 'postgres';
import { startEmbeddedPostgres } from './src/platform/db/embedded.js';
import { createLogger } from './src/platform/log.js';
const log = createLogger({ level: 'warn', destination: 2 });
const pg = await startEmbeddedPostgres({ dataDir: '/tmp/dbg-pg', port: 45998, password: 'pw', log });
const s = postgres(pg.url, { max: 20, onnotice: () => {} });
const db = new Kysely<any>({ dialect: new PostgresJSDialect({ postgres: s }) });
const t = setTimeout(() => { console.log('HUNG'); process.exit(1); }, 15000);
try {
  await db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
    await s`select pg_terminate_backend(${rows[0]?.pid ?? 0})`;
    await sql`select 1`.execute(tx);
  });
} catch (e) { console.log('tx rejected', (e as any).code, (e as Error).message); }
let done = 0;
const all = Promise.all(Array.from({ length: 40 }, (_, i) => sql`select ${i}::int as n`.execute(db).then(() => done++, (e) => console.log('q err', i, e.message))));
const t2 = setInterval(() => console.log('done', done), 2000);
await all;
console.log('all done', done);
clearInterval(t2); clearTimeout(t);
await db.destroy();
console.log('destroyed');
process.exit(0);
