import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { login } from '../support/console.js';
import { createWorld, type World } from '../support/world.js';

let world: World;

beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => {
  await world?.close();
});

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: { ...process.env, DATABASE_URL: world.url, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

it('creates a console user with a one-time password that must be changed at first login', async () => {
  const username = `officer-${randomBytes(3).toString('hex')}`;
  const run = cli('users', 'create', '--username', username, '--role', 'officer');
  expect(run.status).toBe(0);
  const out = JSON.parse(run.stdout) as {
    username: string;
    role: string;
    oneTimePassword: string;
    mustChangePassword: boolean;
  };
  expect(out).toMatchObject({ username, role: 'officer', mustChangePassword: true });
  expect(out.oneTimePassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
  const res = await login(world, username, out.oneTimePassword);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ mustChangePassword: true });

  const dup = cli('users', 'create', '--username', username, '--role', 'officer');
  expect(dup.status).toBe(1);
  expect(JSON.parse(dup.stderr)).toMatchObject({ code: 'conflict' });
  const bad = cli('users', 'create', '--username', 'x', '--role', 'king');
  expect(bad.status).toBe(1);
  expect(JSON.parse(bad.stderr).code).toBe('validation_failed');
});

it('gives each network (MCC-MNC) to one operator only', () => {
  const code = `5${String(Math.floor(Math.random() * 100)).padStart(2, '0')}-${String(Math.floor(Math.random() * 900) + 100)}`;
  const first = cli('operators', 'create', '--name', 'First', '--country', 'TH', '--mcc-mnc', code);
  expect(first.status).toBe(0);
  const second = cli(
    'operators',
    'create',
    '--name',
    'Second',
    '--country',
    'TH',
    '--mcc-mnc',
    `520-99,${code}`,
  );
  expect(second.status).toBe(1);
  expect(JSON.parse(second.stderr)).toMatchObject({
    code: 'network_taken',
    detail: expect.stringContaining(code),
  });
});
