import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushUnreachable, pushCdrs, renderProgress } from '../../src/cli/cdr-push.js';
import { calls } from '../support/cdrs.js';
import { startServer } from '../support/server.js';
import { createWorld, type World } from '../support/world.js';

const repo = resolve('.');
const bin = join(repo, 'bin/simline.js');

let w: World;
let dir: string;
beforeAll(async () => {
  w = await createWorld();
  dir = await mkdtemp(join(tmpdir(), 'simline-bin-'));
});
afterAll(async () => {
  await w.close();
  await rm(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATABASE_URL: w.url,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** The installed command, as `simline ...` runs it from `cwd` (a directory outside the repo). */
function simline(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? dir,
    env: env(opts.env),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** As `simline`, without blocking this process (which serves the API the command posts to). */
function simlineAsync(args: string[], extra: Record<string, string> = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: env(extra) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

describe('the simline command', () => {
  it('`npx simline` in the repository prints only JSON on stdout', async () => {
    const run = spawnSync('npx', ['--no-install', 'simline', 'caps', 'list'], {
      cwd: repo,
      env: env({ npm_config_update_notifier: 'false' }),
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const caps = JSON.parse(run.stdout) as { country: string }[];
    expect(caps.map((c) => c.country)).toContain('TH');

    // As `npm link` installs it: a symlink elsewhere, run from another directory.
    const link = join(dir, 'simline');
    await symlink(bin, link);
    const linked = spawnSync(link, ['caps', 'list'], {
      cwd: tmpdir(),
      env: env(),
      encoding: 'utf8',
    });
    expect(linked.status, linked.stderr).toBe(0);
    expect(JSON.parse(linked.stdout)).toEqual(caps);
  }, 120_000);

  it('lists every command, helps per command and refuses a wrong option with that help', () => {
    const all = simline(['--help']);
    expect(all.status).toBe(0);
    for (const name of ['caps set', 'cdr push', 'operators list', 'keys list', 'users list'])
      expect(all.stdout).toContain(`  ${name} `);

    const group = simline(['caps', '--help']);
    expect(group.status).toBe(0);
    expect(group.stdout).toMatch(/commands:\n {2}caps list +.*\n {2}caps set +.*\n\n/);

    const help = simline(['caps', 'set', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: simline caps set --country CC \[--per-operator N\]/);
    expect(help.stdout).toMatch(/--national N\|none +SIMs a person may hold across operators/);
    expect(help.stdout).toMatch(/example:\n {2}simline caps set --country TH/);

    const unknown = simline(['caps', 'set', '--country', 'TH', '--bogus', '1']);
    expect(unknown.status).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^--bogus is not an option of simline caps set\n/);
    expect(unknown.stderr).toContain('usage: simline caps set');

    const missing = simline(['keys', 'list']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^--operator is required\n\nusage: simline keys list/);

    const notANumber = simline(['caps', 'set', '--country', 'TH', '--national', 'many']);
    expect(notANumber.status).toBe(2);
    expect(notANumber.stderr).toMatch(/^--national must be a whole number/);

    const noCommand = simline(['caps', 'sett']);
    expect(noCommand.status).toBe(2);
    expect(noCommand.stderr).toMatch(/^unknown command: caps sett\n\nusage: simline <command>/);
    expect(noCommand.stderr).toContain('caps set');
    expect(noCommand.stderr).not.toContain('users list');
  }, 120_000);

  it('lists operators, their keys, exemptions and console users without secrets', async () => {
    const created = simline(['operators', 'create', '--name', 'Listed', '--country', 'KH']);
    expect(created.status, created.stderr).toBe(0);
    const op = JSON.parse(created.stdout) as { operatorId: string; keyId: string; apiKey: string };
    expect(simline(['keys', 'revoke', '--key-id', op.keyId]).status, 'revoking the first key').toBe(
      0,
    );
    expect(
      simline(['keys', 'create', '--operator', op.operatorId, '--scopes', 'cdrs:write']).status,
    ).toBe(0);
    expect(
      simline([
        'exemptions',
        'add',
        '--operator',
        op.operatorId,
        '--account',
        'ACME-1',
        '--kind',
        'iot',
        '--limit',
        '50',
      ]).status,
    ).toBe(0);
    const username = `lister-${randomBytes(3).toString('hex')}`;
    expect(simline(['users', 'create', '--username', username, '--role', 'auditor']).status).toBe(
      0,
    );

    const operators = simline(['operators', 'list']);
    expect(operators.status, operators.stderr).toBe(0);
    expect(JSON.parse(operators.stdout)).toContainEqual(
      expect.objectContaining({ operatorId: op.operatorId, name: 'Listed', country: 'KH' }),
    );

    const keys = simline(['keys', 'list', '--operator', op.operatorId]);
    expect(keys.status, keys.stderr).toBe(0);
    const listed = JSON.parse(keys.stdout) as Record<string, unknown>[];
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({ keyId: op.keyId, revokedAt: expect.any(String) });
    expect(listed[1]).toMatchObject({ scopes: ['cdrs:write'], revokedAt: null });
    for (const k of listed)
      expect(Object.keys(k).sort()).toEqual(['createdAt', 'keyId', 'revokedAt', 'scopes']);
    expect(keys.stdout).not.toContain(op.apiKey);
    const nobody = simline(['keys', 'list', '--operator', 'op_nobody']);
    expect(nobody.status).toBe(1);
    expect(JSON.parse(nobody.stderr)).toMatchObject({ code: 'not_found' });

    const exemptions = simline(['exemptions', 'list', '--operator', op.operatorId]);
    expect(exemptions.status, exemptions.stderr).toBe(0);
    expect(JSON.parse(exemptions.stdout)).toEqual([
      expect.objectContaining({
        operatorId: op.operatorId,
        accountRef: 'ACME-1',
        kind: 'iot',
        simLimit: 50,
        representatives: 0,
      }),
    ]);

    const users = simline(['users', 'list']);
    expect(users.status, users.stderr).toBe(0);
    const user = (JSON.parse(users.stdout) as Record<string, unknown>[]).find(
      (u) => u.username === username,
    );
    expect(user).toMatchObject({ role: 'auditor', mustChangePassword: true, disabledAt: null });
    expect(Object.keys(user ?? {}).sort()).toEqual([
      'createdAt',
      'disabledAt',
      'mustChangePassword',
      'role',
      'userId',
      'username',
    ]);
    expect(users.stdout).not.toMatch(/argon2|hash/i);
  }, 180_000);

  it('cdr generate writes outside the repository by default, and generated files stay ignored', async () => {
    const gen = simline(['cdr', 'generate', '--lines', '10', '--seed', '4']);
    expect(gen.status, gen.stderr).toBe(0);
    const out = JSON.parse(gen.stdout) as { out: string; labels: string };
    expect(out.out).toBe(join(tmpdir(), 'simline-cdrs.ndjson'));
    expect(out.labels).toBe(`${out.out}.labels.json`);
    expect((await readFile(out.out, 'utf8')).length).toBeGreaterThan(0);

    const before = spawnSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' });
    const inRepo = simline(['cdr', 'generate', '--lines', '10', '--out', 'cdrs.ndjson'], {
      cwd: repo,
    });
    try {
      expect(inRepo.status, inRepo.stderr).toBe(0);
      const after = spawnSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' });
      expect(after.stdout).toBe(before.stdout);
    } finally {
      await rm(join(repo, 'cdrs.ndjson'), { force: true });
      await rm(join(repo, 'cdrs.ndjson.labels.json'), { force: true });
    }
  }, 60_000);
});

describe('cdr push', () => {
  it('posts a file larger than one chunk and reports errors by the file’s line numbers', async () => {
    const server = await startServer(w);
    try {
      const op = await w.operator();
      const records = calls('+66819990001', 2500, Date.parse('2026-11-25T08:00:00Z'), 1000);
      const lines = records.map((r) => JSON.stringify(r));
      // Line 1500 is refused; a blank line 11 is skipped but still counted as a line.
      lines[1498] = '{"recordId":"broken"}';
      lines.splice(10, 0, '');
      const file = join(dir, 'push.ndjson');
      await writeFile(file, `${lines.join('\n')}\n`);

      const run = await simlineAsync(
        ['cdr', 'push', '--file', 'push.ndjson', '--url', server.url, '--chunk', '1000'],
        { SIMLINE_API_KEY: op.apiKey },
      );
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({
        file: file,
        records: 2500,
        posts: 3,
        accepted: 2499,
        rejected: 1,
        duplicates: 0,
        late: 0,
        future: 0,
        errors: [{ line: 1500, error: expect.any(String) }],
      });

      const denied = await simlineAsync([
        'cdr',
        'push',
        '--file',
        file,
        '--url',
        server.url,
        '--key',
        'slk_nope',
      ]);
      expect(denied.status).toBe(1);
      expect(denied.stdout).toBe('');
      expect(JSON.parse(denied.stderr)).toMatchObject({ code: 'unauthorized', line: 1 });
      const noKey = await simlineAsync(['cdr', 'push', '--file', file, '--url', server.url]);
      expect(noKey.status).toBe(2);
      expect(noKey.stderr).toMatch(/^--key is required \(or set SIMLINE_API_KEY\)/);
    } finally {
      await server.close();
    }
  }, 120_000);

  it('retries a post on 503 and 429, waiting as Retry-After says', async () => {
    const answers = [503, 429, 202, 202];
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const status = answers.shift() ?? 500;
        if (status !== 202) {
          res.writeHead(status, { 'retry-after': '0', 'content-type': 'application/problem+json' });
          res.end('{"code":"busy"}');
          return;
        }
        bodies.push(body);
        const n = body.split('\n').length;
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            accepted: n - 1,
            rejected: 1,
            duplicates: 0,
            late: 0,
            future: 0,
            errors: [{ line: 2, error: 'bad' }],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const file = join(dir, 'retry.ndjson');
      await writeFile(file, ['{"a":1}', '{"a":2}', '{"a":3}', '{"a":4}', '{"a":5}'].join('\n'));
      const seen: number[] = [];
      const result = await pushCdrs({
        file,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        apiKey: 'slk_test',
        chunk: 3,
        backoffMs: 1,
        onProgress: (p) => seen.push(p.records),
      });
      expect(bodies).toEqual(['{"a":1}\n{"a":2}\n{"a":3}', '{"a":4}\n{"a":5}']);
      expect(seen).toEqual([3, 5]);
      expect(result).toMatchObject({
        records: 5,
        posts: 2,
        accepted: 3,
        rejected: 2,
        errors: [
          { line: 2, error: 'bad' },
          { line: 5, error: 'bad' },
        ],
      });
    } finally {
      server.close();
    }
  });

  it('gives up on an API it cannot reach, naming it', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    const file = join(dir, 'one.ndjson');
    await writeFile(file, '{"a":1}\n');
    await expect(
      pushCdrs({ file, url, apiKey: 'slk_test', chunk: 10, backoffMs: 1 }),
    ).rejects.toThrow(new PushUnreachable(`cannot reach ${url} (ECONNREFUSED) after 8 attempts`));
  });

  it('draws progress by bytes read, with records sent and their rate', () => {
    expect(
      renderProgress({ records: 20_000, bytes: 50, totalBytes: 200, startedAt: 0 }, 2000, 10),
    ).toBe('[###-------]  25% 20,000 records 10,000 records/s');
  });
});
