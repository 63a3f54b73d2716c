import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdr, ndjson } from '../support/cdrs.js';
import { msisdn } from '../support/subjects.js';
import { listIndicator, revokeIndicator } from '../support/watchlist.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let op: { operatorId: string; apiKey: string };
const T = Date.parse('2026-11-25T10:00:00Z');
const RELOAD_MS = 1000;

interface AlertJson {
  msisdn: string;
  rule: string;
  windowStart: string;
  windowEnd: string;
  evidence: { indicator?: { id: string; type: string; category: string }; recordId?: string };
}

beforeAll(async () => {
  w = await createWorld({ SCORING_RELOAD_MS: '0', WATCHLIST_RELOAD_MS: String(RELOAD_MS) });
  op = await w.operator('TH');
});
afterAll(() => w.close());

/** Moves the clock past the reload interval, so the next batch reads watchlist changes. */
function tick(): void {
  w.setNow(new Date(w.now().getTime() + RELOAD_MS));
}

async function post(records: readonly unknown[]) {
  const res = await w.request('POST', '/v1/cdrs', {
    key: op.apiKey,
    body: ndjson(records),
    headers: { 'content-type': 'application/x-ndjson' },
  });
  expect(res.status).toBe(202);
  return (await res.json()) as Record<string, unknown>;
}

async function alertsOf(line: string, rule: string): Promise<AlertJson[]> {
  const res = await w.request('GET', `/v1/alerts?msisdn=${encodeURIComponent(line)}&rule=${rule}`, {
    key: op.apiKey,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: AlertJson[] }).items;
}

describe('watchlist matching over HTTP CDR ingest', () => {
  it('raises watchlist_contact on a line in contact with a listed number, either direction, once a day', async () => {
    const scammer = msisdn();
    const id = await listIndicator(w.deps.db, w.now(), { type: 'msisdn', value: scammer });
    tick();
    const caller = msisdn();
    const called = msisdn();
    const first = cdr({ msisdn: caller, otherParty: scammer, startedAt: T });
    await post([
      first,
      cdr({ msisdn: caller, otherParty: scammer, startedAt: T + 60_000 }),
      cdr({ msisdn: called, otherParty: scammer, direction: 'mt', startedAt: T }),
      cdr({ msisdn: msisdn(), otherParty: msisdn(), startedAt: T }),
    ]);
    const mine = await alertsOf(caller, 'watchlist_contact');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      windowStart: '2026-11-25T00:00:00.000Z',
      windowEnd: '2026-11-26T00:00:00.000Z',
      evidence: {
        indicator: { id, type: 'msisdn', category: 'scam_caller' },
        recordId: first.recordId,
      },
    });
    expect(await alertsOf(called, 'watchlist_contact')).toHaveLength(1);
  });

  it('raises watchlist_line_active when a listed number is a line here', async () => {
    const line = msisdn();
    const id = await listIndicator(w.deps.db, w.now(), { type: 'msisdn', value: line });
    tick();
    await post([cdr({ msisdn: line, otherParty: msisdn(), startedAt: T })]);
    const alerts = await alertsOf(line, 'watchlist_line_active');
    expect(alerts.map((a) => a.evidence.indicator?.id)).toEqual([id]);
  });

  it('raises watchlist_device for a listed IMEI, also when the record carries the IMEISV', async () => {
    // 49015420323751 with its Luhn check digit 8.
    const id = await listIndicator(w.deps.db, w.now(), {
      type: 'imei',
      value: '490154203237518',
      category: 'sim_farm_device',
    });
    tick();
    const line = msisdn();
    await post([cdr({ msisdn: line, imei: '4901542032375199', startedAt: T })]);
    const alerts = await alertsOf(line, 'watchlist_device');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.evidence.indicator).toEqual({
      id,
      type: 'imei',
      category: 'sim_farm_device',
    });
  });

  it('raises watchlist_server for data records reaching a listed range or a listed parent domain, outside the window features', async () => {
    const range = await listIndicator(w.deps.db, w.now(), {
      type: 'ip',
      value: '203.0.113.0/24',
      category: 'scam_server',
    });
    const domain = await listIndicator(w.deps.db, w.now(), {
      type: 'domain',
      value: 'evil-bank.example',
      category: 'phishing',
    });
    tick();
    const a = msisdn();
    const b = msisdn();
    const c = msisdn();
    const data = (line: string, remoteIp: string, host?: string) => ({
      recordId: `d-${line}-${remoteIp}`,
      type: 'data',
      msisdn: line,
      remoteIp,
      host,
      imsi: '520010000000009',
      imei: '350000000000009',
      cellId: '520-01-1-1',
      startedAt: new Date(T).toISOString(),
      operator: '520-01',
    });
    const result = await post([
      data(a, '203.0.113.77'),
      data(b, '198.51.100.1', 'Login.Evil-Bank.example.'),
      data(c, '198.51.100.2', 'evil-bank.example.org'),
    ]);
    expect(result).toMatchObject({ accepted: 3, rejected: 0 });
    expect((await alertsOf(a, 'watchlist_server'))[0]?.evidence.indicator?.id).toBe(range);
    expect((await alertsOf(b, 'watchlist_server'))[0]?.evidence.indicator?.id).toBe(domain);
    expect(await alertsOf(c, 'watchlist_server')).toEqual([]);
    const risk = await w.request('GET', `/v1/lines/${encodeURIComponent(a)}/risk`, {
      key: op.apiKey,
    });
    const body = (await risk.json()) as { features: Record<string, number> | null };
    expect(body.features?.outgoing_calls_24h ?? 0).toBe(0);
    expect(body.features?.sms_sent_24h ?? 0).toBe(0);
  });

  it('refuses a data record without a valid remoteIp', async () => {
    const result = await post([
      {
        recordId: 'bad-data',
        type: 'data',
        msisdn: msisdn(),
        imsi: '1',
        imei: '2',
        cellId: '',
        startedAt: T,
        operator: '520-01',
        remoteIp: 'nope',
      },
    ]);
    expect(result).toMatchObject({ accepted: 0, rejected: 1 });
    expect(JSON.stringify(result.errors)).toContain('remoteIp');
  });

  it('stops matching a revoked indicator within the reload interval, and an expired one at once', async () => {
    const revoked = msisdn();
    const id = await listIndicator(w.deps.db, w.now(), { type: 'msisdn', value: revoked });
    const expiring = msisdn();
    await listIndicator(w.deps.db, w.now(), {
      type: 'msisdn',
      value: expiring,
      validUntil: new Date(w.now().getTime() + 2 * RELOAD_MS),
    });
    tick();
    const before = msisdn();
    await post([
      cdr({ msisdn: before, otherParty: revoked, startedAt: T }),
      cdr({ msisdn: before, otherParty: expiring, startedAt: T }),
    ]);
    expect(await alertsOf(before, 'watchlist_contact')).toHaveLength(2);

    await revokeIndicator(w.deps.db, id, w.now());
    tick();
    tick();
    const after = msisdn();
    await post([
      cdr({ msisdn: after, otherParty: revoked, startedAt: T + 60_000 }),
      cdr({ msisdn: after, otherParty: expiring, startedAt: T + 60_000 }),
    ]);
    expect(await alertsOf(after, 'watchlist_contact')).toEqual([]);
  });
});
