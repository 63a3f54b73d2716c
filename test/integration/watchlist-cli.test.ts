import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { msisdn } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

const bin = join(resolve('.'), 'bin/simline.js');
let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.close());

function simline(args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: w.url,
      LOG_LEVEL: 'warn',
      ...w.secretEnv(),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('banks and warninglist from the CLI', () => {
  it('banks create prints a bank id and a key that reaches the watchlist only', async () => {
    const run = simline([
      'banks',
      'create',
      '--name',
      'Example Bank',
      '--country',
      'TH',
      '--bank-code',
      'KASITHBK',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { bankId: string; apiKey: string };
    expect(out.bankId).toMatch(/^bank_/);
    const check = await w.request(
      'GET',
      `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(msisdn())}`,
      {
        key: out.apiKey,
      },
    );
    expect(check.status).toBe(200);
    const alerts = await w.request('GET', '/v1/alerts', { key: out.apiKey });
    expect(alerts.status).toBe(403);
    const bank = await w.deps.db
      .selectFrom('operators')
      .select(['kind', 'bank_code', 'country'])
      .where('id', '=', out.bankId)
      .executeTakeFirstOrThrow();
    expect(bank).toEqual({ kind: 'bank', bank_code: 'KASITHBK', country: 'TH' });
    const operators = simline(['operators', 'list']);
    expect(operators.stdout).not.toContain(out.bankId);
    const bad = simline(['banks', 'create', '--name', 'B', '--country', 'TH', '--bank-code', 'x']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr + bad.stdout).toContain('bankCode');
  });

  it('warninglist add makes listing the value refused; warninglist list shows the seeded hotlines', async () => {
    const value = msisdn();
    const run = simline([
      'warninglist',
      'add',
      '--type',
      'msisdn',
      '--value',
      value.replace(/^(\+66)/, '$1 '),
      '--reason',
      'operator_hotline',
      '--description',
      'Example Mobile customer care',
      '--source',
      'operator letter 2026-11-01',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ type: 'msisdn', value });
    const op = await w.operator('TH');
    const res = await w.request('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: {
        type: 'msisdn',
        value,
        category: 'scam_caller',
        confidence: 90,
        tlp: 'green',
        shareWith: ['*'],
        description: 'x',
      },
    });
    expect(res.status).toBe(409);
    const list = JSON.parse(simline(['warninglist', 'list']).stdout) as {
      value: string;
      reason: string;
      source: string;
    }[];
    expect(list.map((e) => e.value)).toEqual(expect.arrayContaining([value, '+6628888888']));
    // The seeded hotlines are the ones a public source confirms, each naming it.
    const seeds = list.filter((e) => e.value !== value);
    expect(seeds.map((e) => e.value).sort()).toEqual(['+6626455555', '+6627777575', '+6628888888']);
    for (const s of seeds) expect(s.source).toMatch(/(thaipbsworld|bangkokbank)\.com\//);
  });

  it('users create accepts the analyst role', () => {
    const run = simline(['users', 'create', '--username', `an-${Date.now()}`, '--role', 'analyst']);
    expect(run.status, run.stderr).toBe(0);
  });
});
