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

/**
 * Posts generated NDJSON `lines` in batches of 10,000 over the CDR API, then one record at
 * `tickAt` that moves the scorer's clock past the traffic so its windows close.
 */
async function ingest(key: string, lines: string[], tickAt: string) {
  for (let i = 0; i < lines.length; i += 10_000) {
    const res = await w.request('POST', '/v1/cdrs', {
      key,
      body: lines.slice(i, i + 10_000).join('\n'),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(res.status).toBe(202);
  }
  await w.request('POST', '/v1/cdrs', {
    key,
    body: JSON.stringify(cdr({ startedAt: Date.parse(tickAt) })),
    headers: { 'content-type': 'application/x-ndjson' },
  });
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
    await ingest(op.apiKey, lines, '2026-11-25T05:00:00Z');
    const evaluated = cli('cdr', 'evaluate', '--labels', summary.labels, '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const report = JSON.parse(evaluated.stdout) as {
      rules: { rule: string; recall: number; precision: number }[];
      hardNegativesFlagged: string[];
    };
    expect(report.hardNegativesFlagged).toEqual([]);
    for (const r of report.rules) expect(r.recall, r.rule).toBe(1);
    const table = cli('cdr', 'evaluate', '--labels', summary.labels);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^line rule +planted +flagged +caught +precision +recall\n/);
    expect(table.stdout).toMatch(/^high_volume_calling .* 1\.000$/m);
    expect(table.stdout).toContain('hard negatives flagged: 0');
  }, 120_000);

  it('generates labelled campaigns and evaluates group rules and lines', async () => {
    const out = join(dir, 'campaigns.ndjson');
    const gen = cli(
      'cdr',
      'generate',
      '--campaigns',
      '--lines',
      '200',
      '--per-shape',
      '1',
      '--members',
      '20-25',
      '--hard-negatives',
      '10',
      '--seed',
      '9',
      '--out',
      out,
    );
    expect(gen.status, gen.stderr).toBe(0);
    const summary = JSON.parse(gen.stdout) as { records: number; labels: string };
    const labels = JSON.parse(await readFile(summary.labels, 'utf8')) as {
      campaigns: { shape: string; lines: string[] }[];
      groupHardNegatives: Record<string, string[]>;
      normalLines: string[];
    };
    expect(labels.campaigns.map((c) => c.shape)).toEqual([
      'coordinated_calling',
      'coordinated_sms_blast',
      'coordinated_wangiri',
      'simbox_cluster',
      'target_sweep',
    ]);
    const op = await w.operator();
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    await ingest(op.apiKey, lines, '2026-11-26T06:00:00Z');
    const evaluated = cli('cdr', 'evaluate', '--labels', summary.labels, '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const report = JSON.parse(evaluated.stdout) as {
      rules: { rule: string; planted: number }[];
      campaigns: {
        groupRules: { rule: string; campaignLines: number; recall: number }[];
        lines: Record<string, { lines: number; flagged: number }>;
        byRule: { rule: string; flagged: number; unlabelled: number }[];
      };
    };
    expect(report.rules.every((r) => r.planted === 0)).toBe(true);
    const { groupRules, lines: shares, byRule } = report.campaigns;
    expect(groupRules.map((r) => [r.rule, r.campaignLines])).toEqual(
      labels.campaigns.map((c) => [c.shape, c.lines.length]),
    );
    for (const r of groupRules) expect(r.recall).toBeGreaterThanOrEqual(0);
    expect(shares.campaign?.lines).toBe(labels.campaigns.flatMap((c) => c.lines).length);
    expect(shares.hardNegatives?.lines).toBe(50);
    expect(shares.normal?.lines).toBe(200);
    // The campaigns stay under every line rule: what flags them is a group rule. (The alerts of
    // the other traffic in this database count as unlabelled.)
    const lineRules = report.rules.map((r) => r.rule);
    for (const r of byRule.filter((x) => lineRules.includes(x.rule)))
      expect(r.flagged, r.rule).toBe(r.unlabelled);

    const table = cli('cdr', 'evaluate', '--labels', summary.labels);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /^group rule +campaigns +lines +flagged +caught +precision +any campaign +recall/m,
    );
    expect(table.stdout).toMatch(/^coordinated_wangiri +1 +\d+ /m);
    expect(table.stdout).toMatch(/^normal +200 +\d+ /m);
    expect(table.stdout).toMatch(/^all goals: (met|NOT met)$/m);
  }, 180_000);

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
      cli('cdr', 'generate', '--campaigns', '--members', '30-20', '--out', join(dir, 'x.ndjson')),
      cli('cdr', 'generate', '--campaigns', '--per-shape', '0', '--out', join(dir, 'x.ndjson')),
    ];
    for (const r of refused) {
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^--(labels|lines|per-operator|members|per-shape)/);
    }
    // A labels file whose campaigns are not what cdr generate writes.
    await writeFile(
      join(dir, 'bad-campaigns.json'),
      JSON.stringify({
        start: '2026-11-24T00:00:00Z',
        positives: {},
        hardNegatives: [],
        campaigns: [{}],
      }),
    );
    const badCampaigns = cliIn(dir, 'cdr', 'evaluate', '--labels', 'bad-campaigns.json');
    expect(badCampaigns.status).toBe(2);
    expect(badCampaigns.stderr).toMatch(
      /^--labels: .* is not a labels file written by cdr generate/,
    );
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
