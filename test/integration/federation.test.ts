/**
 * Two instances, two countries: TH and LA, each its own database and its own `npm start`
 * process on loopback (ports 43310-43311), partners created both ways with the CLI, LA pulling
 * TH's TAXII collection every 200 ms.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  type Instance,
  type InstanceEnv,
  instanceEnv,
  partnerToPull,
  startInstance,
} from '../../load/lib/instance.js';
import { cdr, ndjson } from '../support/cdrs.js';
import { msisdn } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

const TH_PORT = 43310;
const LA_PORT = 43311;
/** What the test waits at most for a change in TH to be usable in LA. */
const LAG_BUDGET_MS = 15_000;

interface PartnerStatus {
  partnerId: string;
  pull: {
    counts: { imported: number; refused: number };
    lag: { p95Ms: number };
    lastError: string | null;
  } | null;
}

let thDb: World;
let laDb: World;
let thEnv: InstanceEnv;
let laEnv: InstanceEnv;
let th: Instance;
let la: Instance;
/** TH's key for LA (LA pulls with it and posts sightings with it). */
let laReadsTh: { partnerId: string; apiKey: string };
/** LA's partner record of TH. */
let thAtLa: { partnerId: string };
let thOperator: { operatorId: string; apiKey: string };
let laOperator: { operatorId: string; apiKey: string };

async function call(base: string, method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function taxii(path: string) {
  const res = await fetch(`${th.url}/taxii2${path}`, {
    headers: {
      authorization: `Bearer ${laReadsTh.apiKey}`,
      accept: 'application/taxii+json;version=2.1',
    },
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function listInTh(value: string, tlp: string, shareWith: string[]) {
  const res = await call(th.url, 'POST', '/v1/watchlist/indicators', thOperator.apiKey, {
    type: 'msisdn',
    value,
    category: 'scam_caller',
    confidence: 85,
    tlp,
    shareWith,
    description: 'impersonates a bank officer',
  });
  expect(res.status).toBe(201);
  return res.json as { id: string; stixId: string };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  budgetMs = LAG_BUDGET_MS,
) {
  const start = Date.now();
  for (;;) {
    const got = await probe();
    if (got !== undefined) return { value: got, ms: Date.now() - start };
    if (Date.now() - start > budgetMs) throw new Error(`${what}: not within ${budgetMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function laRow(stixId: string) {
  return laDb.deps.db
    .selectFrom('watchlist_indicators')
    .selectAll()
    .where('stix_id', '=', stixId)
    .executeTakeFirst();
}

/** Posts one call from a new LA line to `from` over LA's CDR API; the LA line. */
async function callInLa(from: string): Promise<string> {
  const line = msisdn('LA');
  const res = await fetch(`${la.url}/v1/cdrs`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${laOperator.apiKey}`,
      'content-type': 'application/x-ndjson',
    },
    body: ndjson([
      cdr({
        msisdn: line,
        otherParty: from,
        direction: 'mt',
        operator: '457-03',
        imsi: '457030000000001',
        cellId: '457-03-1-1',
        startedAt: Date.now() - 1000,
      }),
    ]),
  });
  expect(res.status).toBe(202);
  return line;
}

async function laAlerts(line: string) {
  const res = await call(
    la.url,
    'GET',
    `/v1/alerts?msisdn=${encodeURIComponent(line)}&rule=watchlist_contact`,
    laOperator.apiKey,
  );
  expect(res.status).toBe(200);
  return res.json.items as { evidence: { indicator?: { id: string } } }[];
}

beforeAll(async () => {
  [thDb, laDb] = await Promise.all([createWorld(), createWorld()]);
  thEnv = instanceEnv({
    databaseUrl: thDb.url,
    country: 'TH',
    port: TH_PORT,
    extra: { FEDERATION_PULL_MS: '200', WATCHLIST_RELOAD_MS: '200' },
  });
  laEnv = instanceEnv({
    databaseUrl: laDb.url,
    country: 'LA',
    port: LA_PORT,
    extra: { FEDERATION_PULL_MS: '200', WATCHLIST_RELOAD_MS: '200' },
  });
  let partners: Awaited<ReturnType<typeof partnerToPull>>;
  [partners, thOperator, laOperator] = await Promise.all([
    partnerToPull({
      publisher: thEnv,
      publisherName: 'Thailand simline',
      puller: laEnv,
      pullerName: 'Lao PDR simline',
    }),
    cli<{ operatorId: string; apiKey: string }>(
      thEnv,
      'operators',
      'create',
      '--name',
      'AIS',
      '--country',
      'TH',
    ),
    cli<{ operatorId: string; apiKey: string }>(
      laEnv,
      'operators',
      'create',
      '--name',
      'Unitel',
      '--country',
      'LA',
      '--mcc-mnc',
      '457-03',
    ),
  ]);
  laReadsTh = partners.pullerKey;
  thAtLa = partners.publisherAtPuller;
  [th, la] = await Promise.all([startInstance(thEnv), startInstance(laEnv)]);
}, 180_000);

afterAll(async () => {
  await Promise.all([th?.stop(), la?.stop()]);
  await Promise.all([thDb?.close(), laDb?.close()]);
});

describe('STIX over TAXII between TH and LA', () => {
  let amber: { id: string; stixId: string; value: string };
  let red: { id: string; stixId: string; value: string };

  it('matches an amber number listed in TH for LA in LA’s traffic within the lag; a red one never reaches LA', async () => {
    const redValue = msisdn();
    red = { ...(await listInTh(redValue, 'red', ['LA'])), value: redValue };
    const amberValue = msisdn();
    const listedAt = Date.now();
    amber = { ...(await listInTh(amberValue, 'amber', ['LA'])), value: amberValue };
    const imported = await until('the amber listing in LA', () => laRow(amber.stixId));
    expect(imported.value).toMatchObject({
      value: amberValue,
      source_country: 'TH',
      tlp: 'amber',
      share_with: ['LA'],
      status: 'active',
    });
    const matched = await until('a watchlist_contact in LA', async () => {
      const line = await callInLa(amberValue);
      const alerts = await laAlerts(line);
      return alerts.length > 0 ? alerts : undefined;
    });
    expect(matched.value[0]?.evidence.indicator?.id).toBe(imported.value.id);
    expect(Date.now() - listedAt).toBeLessThan(LAG_BUDGET_MS);
    expect(await laRow(red.stixId)).toBeUndefined();
    const redLine = await callInLa(redValue);
    await new Promise((r) => setTimeout(r, 500));
    expect(await laAlerts(redLine)).toEqual([]);
    const status = (await cli<PartnerStatus[]>(laEnv, 'partners', 'list')).find(
      (p) => p.partnerId === thAtLa.partnerId,
    );
    expect(status?.pull?.counts.imported).toBeGreaterThanOrEqual(1);
    expect(status?.pull?.lag.p95Ms).toBeLessThan(LAG_BUDGET_MS);
  });

  it('LA’s partner key cannot read the red listing through any TAXII endpoint nor any /v1/watchlist endpoint', async () => {
    const root = (await taxii('/')).json as { api_roots?: string[] };
    expect(root.api_roots?.length).toBeGreaterThan(0);
    const collections = (await taxii('/api/collections/')).json as {
      collections: { id: string }[];
    };
    const cid = collections.collections[0]?.id;
    const objects = (await taxii(`/api/collections/${cid}/objects/`)).json as {
      objects?: { id: string }[];
    };
    const ids = (objects.objects ?? []).map((o) => o.id);
    expect(ids).toContain(amber.stixId);
    expect(ids).not.toContain(red.stixId);
    const manifest = (await taxii(`/api/collections/${cid}/manifest/`)).json as {
      objects?: { id: string }[];
    };
    expect((manifest.objects ?? []).map((o) => o.id)).not.toContain(red.stixId);
    expect((await taxii(`/api/collections/${cid}/objects/${red.stixId}/`)).status).toBe(404);
    expect((await taxii(`/api/collections/${cid}/objects/${red.stixId}/versions/`)).status).toBe(
      404,
    );
    expect(
      (await taxii(`/api/collections/${cid}/objects/?match[id]=${red.stixId}`)).json.objects ?? [],
    ).toEqual([]);
    for (const path of [
      `/v1/watchlist/indicators/${red.id}`,
      '/v1/watchlist/indicators',
      `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(red.value)}`,
    ]) {
      const res = await call(th.url, 'GET', path, laReadsTh.apiKey);
      expect(res.status, path).toBe(403);
    }
  });

  it('sends the match and the sightings in LA back to TH, aggregated, and nothing stays owed', async () => {
    const row = await laRow(amber.stixId);
    for (const kind of ['seen', 'false_positive']) {
      const res = await call(
        la.url,
        'POST',
        `/v1/watchlist/indicators/${row?.id}/sightings`,
        laOperator.apiKey,
        { kind, note: 'reported by a subscriber' },
      );
      expect(res.status).toBe(201);
    }
    const arrived = await until('LA’s sightings in TH', async () => {
      const rows = await thDb.deps.db
        .selectFrom('watchlist_sightings')
        .select('kind')
        .where('indicator_id', '=', amber.id)
        .where('by_org', '=', laReadsTh.partnerId)
        .execute();
      return rows.some((s) => s.kind === 'false_positive') ? rows : undefined;
    });
    expect(arrived.value.some((s) => s.kind === 'seen')).toBe(true);
    const sent = await until('nothing owed in LA', async () => {
      const rows = await laDb.deps.db
        .selectFrom('federation_sighting_outbox')
        .select(['count', 'sent_count'])
        .execute();
      return rows.every((o) => o.count === o.sent_count) ? rows : undefined;
    });
    expect(sent.value.reduce((n, o) => n + o.count, 0)).toBeGreaterThanOrEqual(3);
    const th = await thDb.deps.db
      .selectFrom('watchlist_indicators')
      .select('status')
      .where('id', '=', amber.id)
      .executeTakeFirstOrThrow();
    expect(th.status).toBe('active');
  });

  it('imports every one of many listings that share one timestamp, over several pages', async () => {
    const at = new Date();
    const rows = Array.from({ length: 700 }, () => ({
      id: `ind_${randomBytes(12).toString('base64url')}`,
      stix_id: `indicator--${randomUUID()}`,
      type: 'msisdn',
      value: msisdn(),
      bank_code: '',
      category: 'scam_caller',
      confidence: 60,
      tlp: 'amber',
      share_with: ['LA'],
      status: 'active',
      valid_until: new Date(at.getTime() + 30 * 86_400_000),
      description: 'one batch',
      source_country: 'TH',
      created_at: at,
      updated_at: at,
    }));
    await thDb.deps.db.insertInto('watchlist_indicators').values(rows).execute();
    const ids = rows.map((r) => r.stix_id);
    const imported = await until(
      'the batch in LA',
      async () => {
        const { n } = await laDb.deps.db
          .selectFrom('federation_imports')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('stix_id', 'in', ids)
          .executeTakeFirstOrThrow();
        return Number(n) === ids.length ? Number(n) : undefined;
      },
      60_000,
    );
    expect(imported.value).toBe(700);
  });

  it('refuses, counts and shows a listing whose value is warninglisted in LA, and goes on', async () => {
    const hotline = msisdn();
    await cli(
      laEnv,
      'warninglist',
      'add',
      '--type',
      'msisdn',
      '--value',
      hotline,
      '--reason',
      'verified_bank',
      '--description',
      'BCEL call centre',
      '--source',
      'bcel.com.la',
    );
    const refused = await listInTh(hotline, 'amber', ['LA']);
    const after = await listInTh(msisdn(), 'green', ['*']);
    await until('the listing after it in LA', () => laRow(after.stixId));
    expect(await laRow(refused.stixId)).toBeUndefined();
    const status = (await cli<PartnerStatus[]>(laEnv, 'partners', 'list')).find(
      (p) => p.partnerId === thAtLa.partnerId,
    );
    expect(status?.pull?.counts.refused).toBeGreaterThanOrEqual(1);
    expect(status?.pull?.lastError).toContain(refused.stixId);
    expect(status?.pull?.lastError).toContain('warninglist');
  });

  it('stops matches in LA once TH revokes', async () => {
    const res = await call(
      th.url,
      'POST',
      `/v1/watchlist/indicators/${amber.id}/revoke`,
      thOperator.apiKey,
      { reason: 'the number was reassigned' },
    );
    expect(res.status).toBe(200);
    await until('the revocation in LA', async () =>
      (await laRow(amber.stixId))?.status === 'revoked' ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 600));
    const line = await callInLa(amber.value);
    await new Promise((r) => setTimeout(r, 500));
    expect(await laAlerts(line)).toEqual([]);
  });
});
