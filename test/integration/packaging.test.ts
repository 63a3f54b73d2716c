import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../support/world.js';

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.close());

describe('deployment files', () => {
  it('the compose file validates with docker-compose', () => {
    const run = spawnSync('docker-compose', ['-f', 'docker/compose.yaml', 'config', '-q'], {
      encoding: 'utf8',
    });
    expect(run.error, 'docker-compose must be installed (apt-get install docker-compose)').toBe(
      undefined,
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('the image is multi-stage, runs as a non-root user and checks /readyz', () => {
    const file = readFileSync('docker/Dockerfile', 'utf8');
    expect(file.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(file).toMatch(/^USER simline$/m);
    expect(file).toMatch(/^HEALTHCHECK .*\n?.*\/readyz/m);
    for (const dir of ['bin', 'migrations', 'patches', 'src'])
      expect(file).toMatch(new RegExp(`^COPY .*${dir} `, 'm'));
  });

  it('the Grafana dashboard reads only metrics the service exports', async () => {
    const dashboard = JSON.parse(
      readFileSync('docker/grafana/dashboards/simline.json', 'utf8'),
    ) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exported = await (await w.request('GET', '/metrics')).text();
    const used = new Set(
      dashboard.panels.flatMap((p) =>
        p.targets.flatMap((t) =>
          [...t.expr.matchAll(/\b((?:simline|process)_[a-z_]+)/g)].map((m) => m[1] ?? ''),
        ),
      ),
    );
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      expect(exported, `${name} is not exported`).toMatch(new RegExp(`^# TYPE ${base} `, 'm'));
    }
  });
});
