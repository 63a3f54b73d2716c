import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdr } from '../support/cdrs.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let dir: string;
beforeAll(async () => {
  w = await createWorld({ SCORING_RELOAD_MS: '0' });
  dir = await mkdtemp(join(tmpdir(), 'simline-cli-'));
});
afterAll(async () => {
  await w.close();
  await rm(dir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  return cliIn(undefined, ...args);
}

/** The CLI as `npm run cli` starts it from `initCwd` (npm runs it from the package root). */
function cliIn(initCwd: string | undefined, ...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: w.url,
      LOG_LEVEL: 'warn',
      ...(initCwd === undefined ? {} : { INIT_CWD: initCwd }),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('scoring CLI', () => {
  it('generates labelled traffic that, scored, evaluates to full recall', async () => {
    const out = join(dir, 'cdrs.ndjson');
    /** The same population each time: 300 lines over 26 hours from seed 5. */
    const generate = (file: string) =>
      cli('cdr', 'generate', '--lines', '300', '--hours', '26', '--seed', '5', '--out', file);
    const gen = generate(out);
    expect(gen.status, gen.stderr).toBe(0);
    const summary = JSON.parse(gen.stdout) as { records: number; labels: string };
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(summary.records);
    // A fifth are data records, which reach the scorer and leave the line rules' figures alone.
    const data = lines.filter((l) => JSON.parse(l).type === 'data').length;
    expect(data / lines.length).toBeGreaterThan(0.15);
    const again = generate(join(dir, 'again.ndjson'));
    expect(again.status).toBe(0);
    expect(await readFile(join(dir, 'again.ndjson'), 'utf8')).toBe(await readFile(out, 'utf8'));

    const op = await w.operator();
    const tick = JSON.stringify(cdr({ startedAt: Date.parse('2026-11-25T05:00:00Z') }));
    for (let i = 0; i < lines.length; i += 10_000) {
      const res = await w.request('POST', '/v1/cdrs', {
        key: op.apiKey,
        body: lines.slice(i, i + 10_000).join('\n'),
        headers: { 'content-type': 'application/x-ndjson' },
      });
      expect(res.status).toBe(202);
    }
    await w.request('POST', '/v1/cdrs', {
      key: op.apiKey,
      body: tick,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    const evaluated = cli('cdr', 'evaluate', '--labels', summary.labels);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const report = JSON.parse(evaluated.stdout) as {
      rules: { rule: string; recall: number; precision: number }[];
      hardNegativesFlagged: string[];
    };
    expect(report.hardNegativesFlagged).toEqual([]);
    for (const r of report.rules) expect(r.recall, r.rule).toBe(1);
  }, 120_000);

  it('writes and reads files where it was started, and refuses bad input with usage errors', async () => {
    const gen = cliIn(
      dir,
      'cdr',
      'generate',
      '--lines',
      '10',
      '--seed',
      '3',
      '--out',
      'rel.ndjson',
    );
    expect(gen.status, gen.stderr).toBe(0);
    expect(JSON.parse(gen.stdout).labels).toBe(join(dir, 'rel.ndjson.labels.json'));
    expect((await readFile(join(dir, 'rel.ndjson'), 'utf8')).length).toBeGreaterThan(0);
    const evaluated = cliIn(dir, 'cdr', 'evaluate', '--labels', 'rel.ndjson.labels.json');
    expect(evaluated.status, evaluated.stderr).toBe(0);

    await writeFile(join(dir, 'empty.json'), '{}');
    const refused = [
      cliIn(dir, 'cdr', 'evaluate', '--labels', 'empty.json'),
      cli('cdr', 'generate', '--lines', '0', '--out', join(dir, 'none.ndjson')),
      cli('caps', 'set', '--country', 'TH', '--per-operator', '99999999999999999999'),
    ];
    for (const r of refused) {
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^--(labels|lines|per-operator)/);
    }
    const unknown = cli(
      'allowlist',
      'add',
      '--msisdn',
      '+66812345678',
      '--reason',
      'bank',
      '--operator',
      'nope',
    );
    expect(unknown.status).toBe(1);
    expect(JSON.parse(unknown.stderr)).toMatchObject({ code: 'not_found' });
  }, 120_000);

  it('sets thresholds at runtime and refuses bad ones', async () => {
    const ok = cli('thresholds', 'set', '--rule', 'wangiri', '--params', '{"callsAtLeast":12}');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      rule: 'wangiri',
      thresholds: { callsAtLeast: 12 },
    });
    const listed = cli('thresholds', 'list');
    expect(JSON.parse(listed.stdout).wangiri.callsAtLeast).toBe(12);
    const bad = cli('thresholds', 'set', '--rule', 'wangiri', '--params', '{"callsAtLeast":-1}');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({ code: 'validation_failed' });
  }, 60_000);
});
