import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls, ndjson } from '../support/cdrs.js';
import { consoleSession, squareZone } from '../support/console.js';
import { msisdn } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let opA: { operatorId: string; apiKey: string };
let opB: { operatorId: string; apiKey: string };
let lineA: string;
let lineB: string;
const T = Date.parse('2026-11-25T10:00:00Z');

interface AlertList {
  items: { id: string; msisdn: string; rule: string }[];
}

beforeAll(async () => {
  w = await createWorld({ SCORING_RELOAD_MS: '0' });
  opA = await w.operator('TH');
  opB = await w.operator('TH');
  lineA = msisdn();
  lineB = msisdn();
  for (const [op, line] of [
    [opA, lineA],
    [opB, lineB],
  ] as const) {
    const res = await w.request('POST', '/v1/cdrs', {
      key: op.apiKey,
      // Within 15 minutes of the server's clock (10:05): later records are refused as future.
      body: ndjson(calls(line, 130, T, 5000)),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(res.status).toBe(202);
  }
});
afterAll(() => w.close());

const lines = (list: AlertList) => new Set(list.items.map((a) => a.msisdn));

describe('alerts seen by regulators (console sessions) and operators (API keys)', () => {
  it('shows a regulator every line, and an operator only its own', async () => {
    const auditor = await consoleSession(w, 'auditor');
    const all = (await (await auditor.request('GET', '/v1/alerts')).json()) as AlertList;
    expect(lines(all)).toEqual(new Set([lineA, lineB]));
    const own = (await (
      await w.request('GET', '/v1/alerts', { key: opA.apiKey })
    ).json()) as AlertList;
    expect(lines(own)).toEqual(new Set([lineA]));
    const risk = await auditor.request('GET', `/v1/lines/${encodeURIComponent(lineB)}/risk`);
    expect(risk.status).toBe(200);
    expect(((await risk.json()) as { enhancedMonitoring: boolean }).enhancedMonitoring).toBe(true);
    const hidden = await w.request('GET', `/v1/lines/${encodeURIComponent(lineB)}/risk`, {
      key: opA.apiKey,
    });
    expect(hidden.status).toBe(404);
    const dashboard = await (await auditor.request('GET', '/console')).text();
    expect(dashboard).toContain('<h2>Recent scorer alerts</h2>');
    expect(dashboard).toContain(lineA);
    expect(dashboard).toContain(lineB);
  });

  it('lets an officer close an alert with CSRF, and refuses auditors and forged requests', async () => {
    const auditor = await consoleSession(w, 'auditor');
    const officer = await consoleSession(w, 'officer');
    const list = (await (
      await officer.request('GET', `/v1/alerts?msisdn=${encodeURIComponent(lineB)}`)
    ).json()) as AlertList;
    const id = list.items[0]?.id ?? '';
    const byAuditor = await auditor.request('POST', `/v1/alerts/${id}/close`, {
      reason: 'reviewed',
    });
    expect(byAuditor.status).toBe(403);
    const forged = await w.request('POST', `/v1/alerts/${id}/close`, {
      body: { reason: 'reviewed by the regulator' },
      headers: { cookie: officer.cookie },
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { code: string }).code).toBe('csrf_failed');
    const closed = await officer.request('POST', `/v1/alerts/${id}/close`, {
      reason: 'reviewed by the regulator',
    });
    expect(closed.status).toBe(200);
    expect(((await closed.json()) as { status: string }).status).toBe('closed');
  });

  it('names the high-risk zones whose cells a line used, as evidence on its risk', async () => {
    const officer = await consoleSession(w, 'officer');
    const cells = [
      { cellId: '520-01-77-1', radio: 'lte', lat: 14.5, lon: 102.5, rangeM: 1000 },
      { cellId: '520-01-77-2', radio: 'lte', lat: 13.0, lon: 100.5, rangeM: 1000 },
    ];
    const put = await w.request('PUT', '/v1/operator/cells', { key: opA.apiKey, body: { cells } });
    expect(put.status).toBe(200);
    for (const [name, riskLevel, lon, lat] of [
      ['Border compound', 'high', 102.5, 14.5],
      ['City centre', 'low', 100.5, 13.0],
    ] as const) {
      const zone = await officer.request('POST', '/v1/zones', {
        name,
        riskLevel,
        geometry: squareZone(lon, lat),
      });
      expect(zone.status).toBe(201);
    }
    const line = msisdn();
    const records = [
      ...calls(line, 110, T, 5000, { cellId: '520-01-77-1' }),
      ...calls(line, 5, T + 600_000, 20_000, { cellId: '520-01-77-2' }),
    ];
    const fed = await w.request('POST', '/v1/cdrs', {
      key: opA.apiKey,
      body: ndjson(records),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(fed.status).toBe(202);
    const risk = await w.request('GET', `/v1/lines/${encodeURIComponent(line)}/risk`, {
      key: opA.apiKey,
    });
    expect(risk.status).toBe(200);
    const body = (await risk.json()) as {
      highRiskZones: { name: string; cells: string[] }[];
    };
    expect(body.highRiskZones).toEqual([
      expect.objectContaining({ name: 'Border compound', cells: ['520-01-77-1'] }),
    ]);
  });
});
