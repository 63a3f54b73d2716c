import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/access/operators.js';
import { addPartner } from '../../src/federation/partners.js';
import { instanceIdentityId, TLP_MARKINGS, toStix } from '../../src/federation/stix.js';
import { INDICATORS_COLLECTION_ID } from '../../src/federation/taxii.js';
import type { Db } from '../../src/platform/db/client.js';
import {
  addSighting,
  listIndicator,
  reviewIndicator,
  revokeIndicator,
  type WatchActor,
} from '../../src/watchlist/service.js';
import { createWorld, type World } from '../support/world.js';

const TAXII = 'application/taxii+json;version=2.1';
const COLL = `/taxii2/api/collections/${INDICATORS_COLLECTION_ID}`;
const TS_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const STIX_ID =
  /^[a-z][a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let w: World;
let la: { partnerId: string; apiKey: string };
let kh: { partnerId: string; apiKey: string };
let vn: { partnerId: string; apiKey: string };

let n = 0;
/** An indicator row as the watchlist stores it; the federation trigger stamps its change. */
async function indicator(
  db: Db,
  now: Date,
  v: {
    tlp: string;
    shareWith: string[];
    sourceCountry?: string;
    type?: string;
    value?: string;
    bankCode?: string;
    status?: string;
  },
) {
  n++;
  const id = `ind_tx${String(n).padStart(6, '0')}${randomUUID().slice(0, 7)}`;
  const stixId = `indicator--${randomUUID()}`;
  await db
    .insertInto('watchlist_indicators')
    .values({
      id,
      stix_id: stixId,
      type: v.type ?? 'msisdn',
      value: v.value ?? `+8562055${String(n).padStart(6, '0')}`,
      bank_code: v.bankCode ?? '',
      category: 'scam_caller',
      confidence: 80,
      tlp: v.tlp,
      share_with: v.shareWith,
      status: v.status ?? 'active',
      valid_until: new Date(now.getTime() + 90 * 86_400_000),
      description: 'calls posing as police',
      case_ref: 'CASE-SECRET-1',
      source_country: v.sourceCountry ?? 'TH',
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { id, stixId };
}

/** An indicator whose validity, cut to a day from `now`, a seen sighting visibly extends. */
async function validForADay(db: Db, now: Date, v: Parameters<typeof indicator>[2]) {
  const made = await indicator(db, now, v);
  await db
    .updateTable('watchlist_indicators')
    .set({ valid_until: new Date(now.getTime() + 86_400_000) })
    .where('id', '=', made.id)
    .execute();
  return made;
}

function headersFor(key: string | undefined, extra: Record<string, string> = {}) {
  return { accept: TAXII, ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra };
}

async function get(path: string, key: string | undefined, extra: Record<string, string> = {}) {
  const res = await w.app.request(path, { headers: headersFor(key, extra) });
  const text = await res.text();
  return { res, status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function post(path: string, key: string, body: unknown, type = TAXII) {
  const res = await w.app.request(path, {
    method: 'POST',
    headers: headersFor(key, { 'content-type': type }),
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { res, status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Every page of the collection for `key`, following `next` from `from`; returns the objects and
 * the token of the last page, which a puller keeps for its next poll.
 */
async function drain(key: string, query = '', limit = 50, from?: string) {
  const objects: Record<string, unknown>[] = [];
  let next = from;
  let pages = 0;
  for (let i = 0; i < 1000; i++) {
    const q = `${query}&limit=${limit}${next ? `&next=${encodeURIComponent(next)}` : ''}`;
    const page = await get(`${COLL}/objects/?${q.replace(/^&/, '')}`, key);
    expect(page.status).toBe(200);
    const objs = page.body.objects ?? [];
    expect(objs.length).toBeLessThanOrEqual(limit);
    objects.push(...objs);
    pages++;
    next = page.body.next ?? next;
    if (!page.body.more) return { objects, next, pages };
    expect(typeof page.body.next).toBe('string');
  }
  throw new Error('paging did not end');
}

/**
 * Pulls as a puller does, from `from`, until `done` holds for what arrived: a change is served
 * once every transaction older than it has ended (in this whole test cluster), so a poll may
 * have to come back.
 */
async function pullUntil(
  key: string,
  query: string,
  limit: number,
  from: string | undefined,
  done: (objects: Record<string, unknown>[]) => boolean,
) {
  const objects: Record<string, unknown>[] = [];
  let next = from;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const page = await drain(key, query, limit, next);
    objects.push(...page.objects);
    next = page.next;
    if (done(objects) || Date.now() > deadline) return { objects, next };
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A GET repeated until `done` holds for its body (see pullUntil), or 20 s pass. */
async function getUntil(
  path: string,
  key: string,
  done: (body: Record<string, unknown>) => boolean,
) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await get(path, key);
    if (r.status !== 200 || done(r.body) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
}

const ids = (objs: Record<string, unknown>[]) => objs.map((o) => o.id as string);
const indicators = (objs: Record<string, unknown>[]) => objs.filter((o) => o.type === 'indicator');

async function auditRows(action: string) {
  return w.deps.db
    .selectFrom('audit_log')
    .select(['action', 'actor_id', 'subject_id', 'outcome', 'data'])
    .where('action', '=', action)
    .execute();
}

beforeAll(async () => {
  w = await createWorld({ SIMLINE_COUNTRY: 'TH' });
  const ctx = { db: w.deps.db, actor: 'test', now: w.now(), country: 'TH' };
  la = await addPartner({ ctx, input: { country: 'LA', name: 'Lao simline' } });
  kh = await addPartner({ ctx, input: { country: 'KH', name: 'Cambodia simline' } });
  vn = await addPartner({ ctx, input: { country: 'VN', name: 'Viet Nam simline' } });
});
afterAll(() => w.close());

describe('partners', () => {
  it('refuses a partner in the instance own country and audits creation', async () => {
    await expect(
      addPartner({
        ctx: { db: w.deps.db, actor: 'test', now: w.now(), country: 'TH' },
        input: { country: 'TH', name: 'Self' },
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    const rows = await auditRows('partner.created');
    expect(rows.map((r) => r.subject_id)).toEqual(
      expect.arrayContaining([la.partnerId, kh.partnerId, vn.partnerId]),
    );
    const keys = await w.deps.db
      .selectFrom('api_keys')
      .select('scopes')
      .where('operator_id', '=', la.partnerId)
      .execute();
    expect(keys.map((k) => k.scopes)).toEqual([['taxii:read', 'taxii:write']]);
  });

  it("a partner's further keys carry only the TAXII scopes", async () => {
    const ctx = { db: w.deps.db, actor: 'test', now: w.now() };
    const key = await createApiKey({ ctx, input: { operatorId: la.partnerId } });
    const row = await w.deps.db
      .selectFrom('api_keys')
      .select('scopes')
      .where('id', '=', key.keyId)
      .executeTakeFirstOrThrow();
    expect(row.scopes).toEqual(['taxii:read', 'taxii:write']);
    await expect(
      createApiKey({ ctx, input: { operatorId: la.partnerId, scopes: ['watchlist:read'] } }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('a partner key is refused on every other route; other keys are refused on TAXII', async () => {
    const check = await w.request('GET', '/v1/watchlist/check?type=msisdn&value=%2B85620551234', {
      key: la.apiKey,
    });
    expect(check.status).toBe(403);
    const alerts = await w.request('GET', '/v1/alerts', { key: la.apiKey });
    expect(alerts.status).toBe(403);
    const op = await w.operator('TH');
    const taxii = await get('/taxii2/', op.apiKey);
    expect(taxii.status).toBe(403);
    expect(taxii.res.headers.get('content-type')).toBe(TAXII);
    expect(taxii.body).toMatchObject({ error_code: 'forbidden', http_status: '403' });
  });

  it('partners add and partners list from the CLI', () => {
    const bin = join(resolve('.'), 'bin/simline.js');
    const run = (args: string[]) =>
      spawnSync(process.execPath, [bin, ...args], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          DATABASE_URL: w.url,
          LOG_LEVEL: 'warn',
          SIMLINE_COUNTRY: 'TH',
          ...w.secretEnv(),
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const added = run(['partners', 'add', '--country', 'MM', '--name', 'Myanmar simline']);
    expect(added.status, added.stderr).toBe(0);
    const out = JSON.parse(added.stdout);
    expect(out).toMatchObject({
      partnerId: expect.stringMatching(/^ptn_/),
      keyId: expect.any(String),
    });
    expect(out.apiKey).toMatch(/^slk_/);
    const self = run(['partners', 'add', '--country', 'TH', '--name', 'Self']);
    expect(self.status).not.toBe(0);
    const listed = run(['partners', 'list']);
    expect(listed.status, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).map((p: { country: string }) => p.country)).toEqual(
      expect.arrayContaining(['LA', 'KH', 'VN', 'MM']),
    );
  });
});

describe('discovery, API root, collections and media types', () => {
  it('serves discovery, the API root and the one collection in the TAXII media type', async () => {
    const d = await get('/taxii2/', la.apiKey);
    expect(d.status).toBe(200);
    expect(d.res.headers.get('content-type')).toBe(TAXII);
    expect(d.body).toMatchObject({ default: '/taxii2/api/', api_roots: ['/taxii2/api/'] });
    const root = await get('/taxii2/api/', la.apiKey);
    expect(root.body).toMatchObject({ versions: [TAXII], max_content_length: expect.any(Number) });
    const colls = await get('/taxii2/api/collections/', la.apiKey);
    expect(colls.body.collections).toEqual([
      expect.objectContaining({
        id: INDICATORS_COLLECTION_ID,
        can_read: true,
        can_write: true,
        media_types: ['application/stix+json;version=2.1'],
      }),
    ]);
    const one = await get(`${COLL}/`, la.apiKey);
    expect(one.body.id).toBe(INDICATORS_COLLECTION_ID);
    const unknown = await get(`/taxii2/api/collections/${randomUUID()}/`, la.apiKey);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error_code: 'not_found', http_status: '404' });
  });

  it('answers 406 to a client that does not accept TAXII 2.1, and 415 to a body of another type', async () => {
    const json = await get('/taxii2/', la.apiKey, { accept: 'application/json' });
    expect(json.status).toBe(406);
    expect(json.res.headers.get('content-type')).toBe(TAXII);
    expect(json.body).toMatchObject({ error_code: 'not_acceptable', http_status: '406' });
    const v20 = await get('/taxii2/', la.apiKey, { accept: 'application/taxii+json;version=2.0' });
    expect(v20.status).toBe(406);
    const bare = await get('/taxii2/', la.apiKey, { accept: 'application/taxii+json' });
    expect(bare.status).toBe(200);
    const posted = await post(`${COLL}/objects/`, la.apiKey, { objects: [] }, 'application/json');
    expect(posted.status).toBe(415);
    expect(posted.body.error_code).toBe('unsupported_media_type');
  });

  it('answers the checks made before any route (body bytes, size) as TAXII errors, as documented', async () => {
    const path = `${COLL}/objects/`;
    const send = (body: Uint8Array | string) =>
      w.app.request(path, {
        method: 'POST',
        headers: headersFor(la.apiKey, { 'content-type': TAXII }),
        body,
      });
    const notUtf8 = await send(new Uint8Array([0x7b, 0xee, 0x7d]));
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.headers.get('content-type')).toBe(TAXII);
    expect(await notUtf8.json()).toMatchObject({ error_code: 'invalid_utf8', http_status: '400' });
    const tooLarge = await send(JSON.stringify({ objects: [], pad: 'x'.repeat(2 * 1024 * 1024) }));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('content-type')).toBe(TAXII);
    expect(await tooLarge.json()).toMatchObject({
      error_code: 'payload_too_large',
      details: { limit: 1024 * 1024 },
    });
    const doc = (await (await w.request('GET', '/openapi.json')).json()) as {
      paths: Record<string, { post: { responses: Record<string, { content: object }> } }>;
    };
    const responses = doc.paths['/taxii2/api/collections/{id}/objects/']?.post.responses ?? {};
    for (const status of ['400', '413', '415'])
      expect(Object.keys(responses[status]?.content ?? {})).toEqual([TAXII]);
  });

  it('takes the key as Bearer or as the Basic password; no key is a TAXII 401', async () => {
    const basic = Buffer.from(`lao:${la.apiKey}`).toString('base64');
    const ok = await get('/taxii2/', undefined, { authorization: `Basic ${basic}` });
    expect(ok.status).toBe(200);
    const none = await get('/taxii2/', undefined);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error_code: 'unauthorized', http_status: '401' });
    expect(typeof none.body.title).toBe('string');
  });
});

describe('STIX 2.1 mapping', () => {
  const base = {
    stix_id: 'indicator--6c1d4e5f-8a9b-4c2d-9e1f-0a1b2c3d4e5f',
    category: 'mule_account',
    confidence: 75,
    tlp: 'amber',
    share_with: ['LA'],
    status: 'active',
    valid_until: new Date('2027-02-23T10:05:00.000Z'),
    description: 'mule account of a call-centre gang',
    source_country: 'TH',
    created_at: new Date('2026-11-25T10:05:00.000Z'),
    updated_at: new Date('2026-11-26T08:00:00.123Z'),
  };
  it.each([
    ['msisdn', '+85512345678', '', "[phone-number:value = '+85512345678']"],
    ['imei', '490154203237518', '', "[imei:value = '490154203237518']"],
    [
      'bank_account',
      '1234567890',
      'KASITHBK',
      "[bank-account:account_number = '1234567890' AND bank-account:bic = 'KASITHBK']",
    ],
    ['ip', '203.0.113.0/24', '', "[ipv4-addr:value = '203.0.113.0/24']"],
    ['ip', '2001:db8::/32', '', "[ipv6-addr:value = '2001:db8::/32']"],
    ['domain', 'xn--e1afmkfd.example', '', "[domain-name:value = 'xn--e1afmkfd.example']"],
    [
      'url',
      "https://x.example/a?q='b'\\c",
      '',
      "[url:value = 'https://x.example/a?q=\\'b\\'\\\\c']",
    ],
  ])('%s %s maps to %s', (type, value, bankCode, pattern) => {
    const s = toStix({ ...base, type, value, bank_code: bankCode }, 'TH');
    expect(s.pattern).toBe(pattern);
    expect(s).toMatchObject({
      type: 'indicator',
      spec_version: '2.1',
      id: base.stix_id,
      created: '2026-11-25T10:05:00.000Z',
      modified: '2026-11-26T08:00:00.123Z',
      pattern_type: 'stix',
      valid_from: '2026-11-25T10:05:00.000Z',
      valid_until: '2027-02-23T10:05:00.000Z',
      confidence: 75,
      revoked: false,
      labels: ['mule_account'],
      indicator_types: ['malicious-activity'],
      object_marking_refs: [TLP_MARKINGS.amber.id],
      created_by_ref: instanceIdentityId('TH'),
      x_simline_category: 'mule_account',
      x_simline_share_with: ['LA'],
      x_simline_source_country: 'TH',
    });
    expect(JSON.stringify(s)).not.toContain('case');
  });

  it('an imported indicator is created by its source country instance', () => {
    const s = toStix(
      { ...base, type: 'msisdn', value: '+85512345678', bank_code: '', source_country: 'KH' },
      'TH',
    );
    expect(s.created_by_ref).toBe(instanceIdentityId('KH'));
    expect(s.created_by_ref).not.toBe(instanceIdentityId('TH'));
    expect(s.x_simline_source_country).toBe('KH');
  });
});

describe('objects', () => {
  it('serves STIX 2.1 objects of valid shape, with the TLP 2.0 markings and the identity', async () => {
    const listed = await indicator(w.deps.db, w.now(), { tlp: 'green', shareWith: ['LA'] });
    const { objects } = await pullUntil(la.apiKey, '', 50, undefined, (o) =>
      ids(o).includes(listed.stixId),
    );
    const marking = objects.find((o) => o.id === TLP_MARKINGS.green.id);
    expect(marking).toMatchObject({
      type: 'marking-definition',
      spec_version: '2.1',
      name: 'TLP:GREEN',
      created: '2022-10-01T00:00:00.000Z',
      extensions: {
        'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': {
          extension_type: 'property-extension',
          tlp_2_0: 'green',
        },
      },
    });
    for (const country of ['TH', 'KH', 'LA', 'MM', 'VN', 'CN'])
      expect(objects.find((o) => o.id === instanceIdentityId(country))).toMatchObject({
        type: 'identity',
        identity_class: 'organization',
        x_simline_country: country,
      });
    const ind = objects.find((o) => o.id === listed.stixId);
    expect(ind).toBeDefined();
    for (const o of objects) {
      expect(o.id).toMatch(STIX_ID);
      expect(o.spec_version).toBe('2.1');
      expect(o.created).toMatch(TS_MS);
      if (o.type === 'indicator') {
        for (const f of ['modified', 'valid_from', 'valid_until']) expect(o[f], f).toMatch(TS_MS);
        for (const f of ['name', 'pattern', 'pattern_type', 'indicator_types'])
          expect(o[f], f).toBeDefined();
        expect(Date.parse(o.valid_until as string)).toBeGreaterThan(
          Date.parse(o.valid_from as string),
        );
        expect(ids(objects)).toContain((o.object_marking_refs as string[])[0]);
        expect(ids(objects)).toContain(o.created_by_ref);
        expect(JSON.stringify(o)).not.toContain('CASE-SECRET');
      }
    }
    const page = await get(`${COLL}/objects/?match[type]=indicator`, la.apiKey);
    expect(page.res.headers.get('x-taxii-date-added-first')).toMatch(TS_MS);
    expect(page.res.headers.get('x-taxii-date-added-last')).toMatch(TS_MS);
  });

  it('pages 500 indicators written in one transaction at one timestamp, each exactly once', async () => {
    const at = new Date('2026-11-27T00:00:00.000Z');
    const { next: kept } = await drain(la.apiKey, 'match[type]=indicator', 1000);
    expect(kept).toBeDefined();
    const written: string[] = [];
    await w.deps.db.transaction().execute(async (tx) => {
      for (let i = 0; i < 500; i++)
        written.push(
          (await indicator(tx as unknown as Db, at, { tlp: 'amber', shareWith: ['*'] })).stixId,
        );
    });
    const fromKept = await pullUntil(
      la.apiKey,
      'match[type]=indicator',
      7,
      kept,
      (o) => o.length >= 500,
    );
    expect(ids(fromKept.objects)).toHaveLength(500);
    expect(new Set(ids(fromKept.objects))).toEqual(new Set(written));
    const fromStart = await drain(la.apiKey, 'match[type]=indicator', 7);
    const got = ids(fromStart.objects).filter((id) => written.includes(id));
    expect(got).toHaveLength(500);
    expect(new Set(got).size).toBe(500);
    const again = await get(
      `${COLL}/objects/?match[type]=indicator&next=${encodeURIComponent(fromKept.next ?? '')}`,
      la.apiKey,
    );
    expect(again.body).toMatchObject({ more: false, objects: [], next: fromKept.next });
  });

  it('never skips a change that commits after a later one was served', async () => {
    const { next: kept } = await drain(la.apiKey, 'match[type]=indicator', 1000);
    // A slow transaction takes its change number first and commits last.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const inserted = new Promise<void>((r) => {
      started = r;
    });
    let slow!: { stixId: string };
    const slowTx = w.deps.db.transaction().execute(async (tx) => {
      slow = await indicator(tx as unknown as Db, w.now(), { tlp: 'amber', shareWith: ['LA'] });
      started();
      await held;
    });
    await inserted;
    const fast = await indicator(w.deps.db, w.now(), { tlp: 'amber', shareWith: ['LA'] });
    const meanwhile = await drain(la.apiKey, 'match[type]=indicator', 1, kept);
    expect(ids(meanwhile.objects)).toEqual([]);
    release();
    await slowTx;
    const after = await pullUntil(
      la.apiKey,
      'match[type]=indicator',
      1,
      meanwhile.next,
      (o) => o.length >= 2,
    );
    expect(ids(after.objects)).toEqual([slow.stixId, fast.stixId]);
  });

  it('filters by added_after (strictly after), match[id], match[version] and match[spec_version]', async () => {
    const t1 = new Date('2026-12-01T00:00:00.000Z');
    const t2 = new Date('2026-12-01T00:00:01.000Z');
    const a = await indicator(w.deps.db, t1, { tlp: 'green', shareWith: ['LA'] });
    const b = await indicator(w.deps.db, t2, { tlp: 'green', shareWith: ['LA'] });
    const since = await getUntil(
      `${COLL}/objects/?added_after=${t1.toISOString()}&match[type]=indicator`,
      la.apiKey,
      (b2) => ids((b2.objects ?? []) as Record<string, unknown>[]).includes(b.stixId),
    );
    expect(ids(since.body.objects)).toContain(b.stixId);
    expect(ids(since.body.objects)).not.toContain(a.stixId);
    const byId = await get(`${COLL}/objects/?match[id]=${a.stixId},${b.stixId}`, la.apiKey);
    expect(ids(byId.body.objects).sort()).toEqual([a.stixId, b.stixId].sort());
    const byVersion = await get(
      `${COLL}/objects/?match[id]=${a.stixId},${b.stixId}&match[version]=${t2.toISOString()}`,
      la.apiKey,
    );
    expect(ids(byVersion.body.objects)).toEqual([b.stixId]);
    const spec20 = await get(`${COLL}/objects/?match[spec_version]=2.0`, la.apiKey);
    expect(spec20.body.objects ?? []).toEqual([]);
    const markings = await get(`${COLL}/objects/?match[type]=marking-definition`, la.apiKey);
    expect(
      markings.body.objects.every((o: { type: string }) => o.type === 'marking-definition'),
    ).toBe(true);
    expect(markings.body.objects).toHaveLength(5);
    const badNext = await get(`${COLL}/objects/?next=nonsense`, la.apiKey);
    expect(badNext.status).toBe(400);
    expect(badNext.body.error_code).toBe('invalid_cursor');
  });
});

describe('distribution through every endpoint', () => {
  let cases: Record<string, { stixId: string; id: string }>;
  beforeAll(async () => {
    const db = w.deps.db;
    const now = w.now();
    cases = {
      redForLa: await indicator(db, now, { tlp: 'red', shareWith: ['LA'] }),
      amberAll: await indicator(db, now, { tlp: 'amber', shareWith: ['*'] }),
      strictAll: await indicator(db, now, { tlp: 'amber+strict', shareWith: ['*'] }),
      strictLa: await indicator(db, now, { tlp: 'amber+strict', shareWith: ['LA'] }),
      greenKh: await indicator(db, now, { tlp: 'green', shareWith: ['KH'] }),
      fromKhGreen: await indicator(db, now, {
        tlp: 'green',
        shareWith: ['*'],
        sourceCountry: 'KH',
      }),
      fromVnAmber: await indicator(db, now, {
        tlp: 'amber',
        shareWith: ['*'],
        sourceCountry: 'VN',
      }),
      fromVnClear: await indicator(db, now, {
        tlp: 'clear',
        shareWith: ['*'],
        sourceCountry: 'VN',
      }),
      fromVnGreenKh: await indicator(db, now, {
        tlp: 'green',
        shareWith: ['KH'],
        sourceCountry: 'VN',
      }),
    };
  });

  const expected: Record<'la' | 'kh' | 'vn', string[]> = {
    la: ['amberAll', 'strictLa', 'fromKhGreen', 'fromVnClear'],
    kh: ['amberAll', 'greenKh', 'fromVnClear', 'fromVnGreenKh'],
    vn: ['amberAll', 'fromKhGreen'],
  };
  const partnerKey = (p: 'la' | 'kh' | 'vn') => ({ la, kh, vn })[p].apiKey;

  it.each(['la', 'kh', 'vn'] as const)(
    '%s reads exactly what its distribution allows',
    async (p) => {
      const mine = new Set(Object.values(cases).map((c) => c.stixId));
      const want = expected[p].map((k) => cases[k]?.stixId).sort();
      const { objects } = await pullUntil(
        partnerKey(p),
        'match[type]=indicator',
        1000,
        undefined,
        (o) => want.every((id) => ids(o).includes(id as string)),
      );
      expect(
        ids(objects)
          .filter((id) => mine.has(id))
          .sort(),
      ).toEqual(want);
      const manifest = await get(`${COLL}/manifest/?limit=1000`, partnerKey(p));
      expect(manifest.status).toBe(200);
      const manifestIds = ids(manifest.body.objects);
      expect(manifestIds.filter((id) => mine.has(id)).sort()).toEqual(want);
      for (const m of manifest.body.objects) {
        expect(m.date_added).toMatch(TS_MS);
        expect(m.media_type).toBe('application/stix+json;version=2.1');
        expect(typeof m.version).toBe('string');
      }
      for (const [name, c] of Object.entries(cases)) {
        const visible = expected[p].includes(name);
        const one = await get(`${COLL}/objects/${c.stixId}/`, partnerKey(p));
        const versions = await get(`${COLL}/objects/${c.stixId}/versions/`, partnerKey(p));
        if (visible) {
          expect(one.status, name).toBe(200);
          expect(ids(one.body.objects)).toEqual([c.stixId]);
          expect(versions.status, name).toBe(200);
          expect(versions.body.versions).toEqual([one.body.objects[0].modified]);
        } else {
          const unknown = await get(`${COLL}/objects/indicator--${randomUUID()}/`, partnerKey(p));
          expect(one.status, name).toBe(404);
          expect(versions.status, name).toBe(404);
          expect({ ...one.body, error_id: '', description: '', details: {} }).toEqual({
            ...unknown.body,
            error_id: '',
            description: '',
            details: {},
          });
        }
      }
    },
  );

  it('a revocation reaches the partner as a new version with revoked: true', async () => {
    const now = new Date(w.now().getTime() + 60_000);
    w.setNow(now);
    const c = cases.amberAll;
    if (!c) throw new Error('no case');
    const { next, objects: before } = await pullUntil(
      la.apiKey,
      'match[type]=indicator',
      1000,
      undefined,
      (o) => ids(o).includes(c.stixId),
    );
    const lastModified = before.find((o) => o.id === c.stixId)?.modified;
    await revokeIndicator({
      ctx: {
        db: w.deps.db,
        now,
        country: 'TH',
        actor: { kind: 'user', userId: 'usr_test', role: 'officer' },
      },
      input: { indicatorId: c.id, reason: 'number reassigned' },
    });
    const since = await pullUntil(la.apiKey, 'match[type]=indicator', 1000, next, (o) =>
      ids(o).includes(c.stixId),
    );
    const revoked = since.objects.find((o) => o.id === c.stixId);
    expect(revoked).toMatchObject({ revoked: true, modified: now.toISOString() });
    expect(revoked?.modified).not.toBe(lastModified);
    const one = await get(`${COLL}/objects/${c.stixId}/`, la.apiKey);
    expect(one.body.objects[0].revoked).toBe(true);
    const red = await get(`${COLL}/objects/${cases.redForLa?.stixId}/`, la.apiKey);
    expect(red.status).toBe(404);
  });

  it('every change through the watchlist verbs is a new version: source added, suspended, reinstated', async () => {
    const user = { kind: 'user' as const, userId: 'usr_officer', role: 'officer' as const };
    const at = (ms: number) => new Date(w.now().getTime() + ms);
    const ctx = (now: Date, actor: WatchActor = user) => ({
      db: w.deps.db,
      now,
      country: 'TH',
      actor,
    });
    const listing = {
      type: 'msisdn' as const,
      value: '+85620559999',
      category: 'scam_caller' as const,
      confidence: 60,
      tlp: 'amber' as const,
      shareWith: ['LA'],
      description: 'calls posing as police',
    };
    const { next: kept } = await drain(la.apiKey, 'match[type]=indicator', 1000);
    const listed = await listIndicator({ ctx: ctx(at(1000)), input: listing });
    const op = await w.operator('TH');
    await listIndicator({
      ctx: ctx(at(2000), { kind: 'organisation', orgId: op.operatorId, keyId: op.keyId }),
      input: { ...listing, confidence: 90 },
    });
    const versions = async (from: string | undefined, count: number) =>
      pullUntil(la.apiKey, 'match[type]=indicator', 1, from, (o) => o.length >= count);
    const first = await versions(kept, 1);
    expect(first.objects).toHaveLength(1);
    expect(first.objects[0]).toMatchObject({
      id: listed.indicator.stixId,
      confidence: 90,
      revoked: false,
      modified: at(2000).toISOString(),
    });
    await addSighting({
      ctx: ctx(at(3000)),
      input: { indicatorId: listed.indicator.id, kind: 'false_positive', note: 'our own hotline' },
    });
    const suspended = await versions(first.next, 1);
    expect(suspended.objects[0]).toMatchObject({ revoked: true, modified: at(3000).toISOString() });
    await reviewIndicator({
      ctx: ctx(at(4000)),
      input: { indicatorId: listed.indicator.id, decision: 'reinstate', note: 'checked' },
    });
    const reinstated = await versions(suspended.next, 1);
    expect(reinstated.objects[0]).toMatchObject({
      revoked: false,
      modified: at(4000).toISOString(),
    });
  });

  it('audits every read with counts, never values', async () => {
    const rows = await auditRows('federation.read');
    expect(rows.length).toBeGreaterThan(0);
    const mine = rows.filter((r) => r.actor_id === vn.partnerId);
    expect(mine.length).toBeGreaterThan(0);
    for (const r of mine) {
      expect(r.data).toMatchObject({ endpoint: expect.any(String), objects: expect.any(Number) });
      expect(JSON.stringify(r.data)).not.toMatch(/\+856|indicator--/);
    }
    expect(new Set(mine.map((r) => (r.data as { endpoint: string }).endpoint))).toEqual(
      new Set(['objects', 'manifest', 'object', 'versions']),
    );
  });
});

describe('sightings from partners', () => {
  function sighting(ref: string, kind: string, extra: Record<string, unknown> = {}) {
    return {
      type: 'sighting',
      spec_version: '2.1',
      id: `sighting--${randomUUID()}`,
      created: '2026-11-25T10:00:00.000Z',
      modified: '2026-11-25T10:00:00.000Z',
      sighting_of_ref: ref,
      count: 3,
      first_seen: '2026-11-24T10:00:00.000Z',
      last_seen: '2026-11-25T09:00:00.000Z',
      x_simline_kind: kind,
      ...extra,
    };
  }

  it('records seen (extends validity) and false_positive (no suspension); invisible ones fail alike', async () => {
    const db = w.deps.db;
    const now = w.now();
    const visible = await validForADay(db, now, { tlp: 'amber', shareWith: ['LA'] });
    const fp = await indicator(db, now, { tlp: 'amber', shareWith: ['LA'] });
    const red = await indicator(db, now, { tlp: 'red', shareWith: ['LA'] });
    const seen = sighting(visible.stixId, 'seen');
    const falsePositive = sighting(fp.stixId, 'false_positive');
    const ofRed = sighting(red.stixId, 'seen');
    const ofUnknown = sighting(`indicator--${randomUUID()}`, 'seen');
    const notSighting = { ...sighting(visible.stixId, 'seen'), type: 'indicator' };
    const res = await post(`${COLL}/objects/`, la.apiKey, {
      objects: [seen, falsePositive, ofRed, ofUnknown, notSighting],
    });
    expect(res.status).toBe(202);
    expect(res.res.headers.get('content-type')).toBe(TAXII);
    expect(res.body).toMatchObject({
      status: 'complete',
      total_count: 5,
      success_count: 2,
      failure_count: 3,
      pending_count: 0,
    });
    expect(res.body.successes.map((s: { id: string }) => s.id)).toEqual([
      seen.id,
      falsePositive.id,
    ]);
    const failures = new Map<string, string>(
      res.body.failures.map((f: { id: string; message: string }) => [f.id, f.message]),
    );
    expect(failures.get(ofRed.id)).toBe(failures.get(ofUnknown.id));
    expect(failures.get(notSighting.id)).toMatch(/sighting/);

    const rows = await db
      .selectFrom('watchlist_indicators')
      .select(['id', 'status', 'valid_until'])
      .where('id', 'in', [visible.id, fp.id, red.id])
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(visible.id)?.valid_until.getTime()).toBeGreaterThan(now.getTime() + 86_400_000);
    expect(byId.get(fp.id)?.status).toBe('active');
    const sightings = await db
      .selectFrom('watchlist_sightings')
      .select(['indicator_id', 'kind', 'by_org'])
      .where('indicator_id', 'in', [visible.id, fp.id, red.id])
      .execute();
    expect(sightings.map((s) => [s.indicator_id, s.kind, s.by_org]).sort()).toEqual(
      [
        [visible.id, 'seen', la.partnerId],
        [fp.id, 'false_positive', la.partnerId],
      ].sort(),
    );
    const audited = await auditRows('federation.sighting');
    expect(
      audited
        .filter((r) => r.actor_id === la.partnerId)
        .map((r) => r.subject_id)
        .sort(),
    ).toEqual([visible.id, fp.id].sort());

    const status = await get(`/taxii2/api/status/${res.body.id}/`, la.apiKey);
    expect(status.status).toBe(200);
    expect(status.body).toEqual(res.body);
    const other = await get(`/taxii2/api/status/${res.body.id}/`, kh.apiKey);
    expect(other.status).toBe(404);
  });

  it('a sighting posted again is acknowledged and not recorded twice', async () => {
    const ind = await indicator(w.deps.db, w.now(), { tlp: 'amber', shareWith: ['LA'] });
    const once = sighting(ind.stixId, 'seen');
    const first = await post(`${COLL}/objects/`, la.apiKey, { objects: [once] });
    const again = await post(`${COLL}/objects/`, la.apiKey, { objects: [once] });
    expect(first.body.success_count).toBe(1);
    expect(again.body.success_count).toBe(1);
    const rows = await w.deps.db
      .selectFrom('watchlist_sightings')
      .select('id')
      .where('indicator_id', '=', ind.id)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('a seen sighting makes a new change the partners receive', async () => {
    const db = w.deps.db;
    const now = w.now();
    const ind = await validForADay(db, now, { tlp: 'green', shareWith: ['*'] });
    const { objects: before } = await pullUntil(
      vn.apiKey,
      'match[type]=indicator',
      1000,
      undefined,
      (o) => ids(o).includes(ind.stixId),
    );
    const count = indicators(before).filter((o) => o.id === ind.stixId).length;
    expect(count).toBe(1);
    const later = new Date(now.getTime() + 120_000);
    w.setNow(later);
    const res = await post(`${COLL}/objects/`, la.apiKey, {
      objects: [sighting(ind.stixId, 'seen')],
    });
    expect(res.body.success_count).toBe(1);
    const since = await getUntil(
      `${COLL}/objects/?match[id]=${ind.stixId}&added_after=${now.toISOString()}`,
      vn.apiKey,
      (b) => ((b.objects ?? []) as unknown[]).length > 0,
    );
    expect(since.body.objects[0].modified).toBe(later.toISOString());
  });
});
