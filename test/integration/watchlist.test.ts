import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createBank } from '../../src/access/operators.js';
import { consoleSession, type Session } from '../support/console.js';
import { startServer } from '../support/server.js';
import { msisdn, registrationBody } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

const DAY = 86_400_000;
let w: World;
let server: { url: string; close(): Promise<void> };
let op: { operatorId: string; apiKey: string };
let op2: { operatorId: string; apiKey: string };
let bank: { bankId: string; apiKey: string };
let officer: Session;
let analyst: Session;
let auditor: Session;

/** A request over real HTTP to the world's app, with an API key or a console session. */
async function call(
  method: string,
  path: string,
  opts: { key?: string; session?: Session; body?: unknown } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.session) {
    headers.cookie = opts.session.cookie;
    headers['x-csrf-token'] = opts.session.csrf;
  }
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

function listing(value: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'msisdn',
    value,
    category: 'scam_caller',
    confidence: 70,
    tlp: 'amber',
    shareWith: ['LA', 'KH'],
    description: 'calls posing as police',
    ...extra,
  };
}

async function auditRows(action: string) {
  return w.deps.db
    .selectFrom('audit_log')
    .select(['action', 'subject_id', 'subject_type', 'actor_id', 'outcome', 'data'])
    .where('action', '=', action)
    .execute();
}

beforeAll(async () => {
  w = await createWorld({ SIMLINE_COUNTRY: 'TH' });
  server = await startServer(w);
  op = await w.operator('TH');
  op2 = await w.operator('TH');
  bank = await createBank({
    ctx: { db: w.deps.db, actor: 'test', now: w.now() },
    input: { name: 'Example Bank', country: 'TH', bankCode: 'kasi-thbk' },
  });
  officer = await consoleSession(w, 'officer');
  analyst = await consoleSession(w, 'analyst');
  auditor = await consoleSession(w, 'auditor');
});
afterAll(async () => {
  await server.close();
  await w.close();
});

describe('listing', () => {
  it('lists with the type lifetime as default validity and a STIX id', async () => {
    const value = msisdn('KH');
    const res = await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: listing(value.replace(/^(\+\d{3})(\d{2})/, '$1 $2 ')),
    });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^ind_/);
    expect(res.body.stixId).toMatch(
      /^indicator--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(res.body.status).toBe('active');
    expect(res.body.validUntil).toBe(new Date(w.now().getTime() + 90 * DAY).toISOString());
    const row = await w.deps.db
      .selectFrom('watchlist_indicators')
      .selectAll()
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(row.value).toBe(value);
    expect(row.source_country).toBe('TH');
  });

  it('refuses "*" mixed with country codes in shareWith', async () => {
    const res = await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: listing(msisdn(), { shareWith: ['*', 'LA'] }),
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it('refuses a validity past the policy maximum and a bad value naming the rule', async () => {
    const far = await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: listing(msisdn(), {
        validUntil: new Date(w.now().getTime() + 400 * DAY).toISOString(),
      }),
    });
    expect(far.status).toBe(400);
    expect(far.body.errors[0].path).toBe('validUntil');
    const bad = await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: { ...listing('490154203237519'), type: 'imei', category: 'sim_farm_device' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: 'invalid_indicator', rule: 'imei_luhn' });
  });

  it('merges the same value from another source: 200, one indicator, max confidence, longer validity', async () => {
    const value = msisdn();
    const first = await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: listing(value, {
        confidence: 40,
        validUntil: new Date(w.now().getTime() + 10 * DAY).toISOString(),
      }),
    });
    expect(first.status).toBe(201);
    const second = await call('POST', '/v1/watchlist/indicators', {
      key: bank.apiKey,
      body: listing(value, { confidence: 90 }),
    });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.validUntil).toBe(new Date(w.now().getTime() + 90 * DAY).toISOString());
    const sources = await w.deps.db
      .selectFrom('watchlist_indicator_sources')
      .select(['source_org', 'is_owner', 'confidence'])
      .where('indicator_id', '=', first.body.id)
      .orderBy('created_at')
      .orderBy('source_org')
      .execute();
    expect(sources).toHaveLength(2);
    expect(sources.find((s) => s.source_org === op.operatorId)?.is_owner).toBe(true);
    expect(sources.find((s) => s.source_org === bank.bankId)).toMatchObject({
      is_owner: false,
      confidence: 90,
    });
    const found = await call(
      'GET',
      `/v1/watchlist/indicators?type=msisdn&value=${encodeURIComponent(value)}`,
      {
        session: auditor,
      },
    );
    expect(found.status).toBe(200);
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0].confidence).toBe(90);
  });

  it('refuses a warninglisted value (seeded hotline) with 409 warninglisted, audited', async () => {
    const res = await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: listing('+66 2 888 8888'),
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'warninglisted', reason: 'verified_bank' });
    const refused = (await auditRows('watchlist.listed')).filter((r) => r.outcome === 'refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.data).toEqual({ type: 'msisdn' });
  });

  it('lists bank accounts per bank code', async () => {
    const body = {
      type: 'bank_account',
      value: '123-4-567890',
      bankCode: 'KASITHBK',
      category: 'mule_account',
      confidence: 80,
      tlp: 'green',
      shareWith: ['*'],
      description: 'received scam proceeds',
      caseRef: 'TH-CCIB-2026-001',
    };
    const res = await call('POST', '/v1/watchlist/indicators', { key: bank.apiKey, body });
    expect(res.status).toBe(201);
    expect(res.body.validUntil).toBe(new Date(w.now().getTime() + 180 * DAY).toISOString());
    const check = await call(
      'GET',
      '/v1/watchlist/check?type=bank_account&value=1234567890&bankCode=kasithbk',
      { key: op.apiKey },
    );
    expect(check.body).toMatchObject({ listed: true, categories: ['mule_account'] });
    const otherBank = await call(
      'GET',
      '/v1/watchlist/check?type=bank_account&value=1234567890&bankCode=BKKBTHBK',
      { key: op.apiKey },
    );
    expect(otherBank.body.listed).toBe(false);
  });
});

describe('listing races and relisting', () => {
  it('concurrent listings of one value by several sources make one indicator', async () => {
    const value = msisdn();
    const results = await Promise.all(
      [op, op2, bank].map((o, i) =>
        call('POST', '/v1/watchlist/indicators', {
          key: o.apiKey,
          body: listing(value, { confidence: 50 + i * 10 }),
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const id = results[0]?.body.id as string;
    const row = await w.deps.db
      .selectFrom('watchlist_indicators')
      .select('confidence')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.confidence).toBe(70);
    const sources = await w.deps.db
      .selectFrom('watchlist_indicator_sources')
      .select(['source_org', 'is_owner'])
      .where('indicator_id', '=', id)
      .execute();
    expect(sources).toHaveLength(3);
    expect(sources.filter((s) => s.is_owner)).toHaveLength(1);
    const audited = [
      ...(await auditRows('watchlist.listed')),
      ...(await auditRows('watchlist.source_added')),
    ].filter((r) => r.subject_id === id);
    expect(audited).toHaveLength(3);
    for (const r of audited) expect(r.data).toEqual({ type: 'msisdn' });
  });

  it('a revoked indicator listed again comes back active under the same id', async () => {
    const value = msisdn();
    const first = await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: listing(value),
    });
    await call('POST', `/v1/watchlist/indicators/${first.body.id}/revoke`, {
      key: op.apiKey,
      body: { reason: 'mistaken' },
    });
    const again = await call('POST', '/v1/watchlist/indicators', {
      key: op2.apiKey,
      body: listing(value, { confidence: 20 }),
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, status: 'active' });
    const check = await call(
      'GET',
      `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(value)}`,
      {
        key: bank.apiKey,
      },
    );
    expect(check.body).toMatchObject({ listed: true, risk: 'medium' });
  });
});

describe('check', () => {
  it('answers risk bands from confidence and stops matching at expiry', async () => {
    const bands: [number, string][] = [
      [30, 'medium'],
      [60, 'high'],
      [84, 'high'],
      [85, 'very_high'],
    ];
    for (const [confidence, risk] of bands) {
      const value = msisdn();
      await call('POST', '/v1/watchlist/indicators', {
        session: analyst,
        body: listing(value, { confidence }),
      });
      const res = await call(
        'GET',
        `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(value)}`,
        {
          key: bank.apiKey,
        },
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ listed: true, risk, categories: ['scam_caller'] });
      expect(Object.keys(res.body).sort()).toEqual([
        'categories',
        'indicatorIds',
        'listed',
        'risk',
      ]);
    }
    const none = await call(
      'GET',
      `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(msisdn())}`,
      {
        key: bank.apiKey,
      },
    );
    expect(none.body).toEqual({ listed: false, risk: 'none', categories: [], indicatorIds: [] });

    const value = msisdn();
    await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: { ...listing(value), type: 'msisdn' },
    });
    const start = w.now();
    try {
      w.setNow(new Date(start.getTime() + 91 * DAY));
      const expired = await call(
        'GET',
        `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(value)}`,
        {
          key: op.apiKey,
        },
      );
      expect(expired.body.listed).toBe(false);
    } finally {
      w.setNow(start);
    }
  });

  it('audits each check with the indicator ids and type only', async () => {
    const value = msisdn();
    const listed = await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: listing(value),
    });
    await call('GET', `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(value)}`, {
      key: op2.apiKey,
    });
    const rows = (await auditRows('watchlist.checked')).filter(
      (r) => r.subject_id === listed.body.id,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_id: op2.operatorId,
      outcome: 'matched',
      data: { type: 'msisdn' },
    });
    const everything = JSON.stringify(
      await w.deps.db.selectFrom('audit_log').select('data').execute(),
    );
    expect(everything).not.toContain(value);
    expect(everything).not.toContain('posing as police');
  });

  it('spreads one key’s checks over several audit chains, so concurrent lookups do not queue on one', async () => {
    const values = Array.from({ length: 24 }, () => msisdn());
    const answers = await Promise.all(
      values.map((v) =>
        call('GET', `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(v)}`, {
          key: op2.apiKey,
        }),
      ),
    );
    for (const a of answers) expect(a.status).toBe(200);
    const shards = await w.deps.db
      .selectFrom('audit_log')
      .select('shard')
      .distinct()
      .where('action', '=', 'watchlist.checked')
      .where('actor_id', '=', op2.operatorId)
      .execute();
    expect(shards.length).toBeGreaterThan(4);
  });
});

describe('sightings, review and revocation', () => {
  async function listed(key = op.apiKey) {
    const value = msisdn();
    const res = await call('POST', '/v1/watchlist/indicators', {
      key,
      body: listing(value, { validUntil: new Date(w.now().getTime() + 5 * DAY).toISOString() }),
    });
    return { id: res.body.id as string, value };
  }

  it('seen extends validity by the type lifetime', async () => {
    const { id } = await listed();
    const res = await call('POST', `/v1/watchlist/indicators/${id}/sightings`, {
      key: op2.apiKey,
      body: { kind: 'seen', note: 'called a subscriber today' },
    });
    expect(res.status).toBe(201);
    expect(res.body.validUntil).toBe(new Date(w.now().getTime() + 90 * DAY).toISOString());
  });

  it('a false positive from another organisation is recorded without suspending', async () => {
    const { id, value } = await listed();
    const res = await call('POST', `/v1/watchlist/indicators/${id}/sightings`, {
      key: op2.apiKey,
      body: { kind: 'false_positive', note: 'our customer' },
    });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('active');
    const check = await call(
      'GET',
      `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(value)}`,
      {
        key: op2.apiKey,
      },
    );
    expect(check.body.listed).toBe(true);
  });

  it('a false positive from the owner suspends matching until the owner reviews', async () => {
    const { id, value } = await listed();
    const fp = await call('POST', `/v1/watchlist/indicators/${id}/sightings`, {
      key: op.apiKey,
      body: { kind: 'false_positive', note: 'number reassigned' },
    });
    expect(fp.body.status).toBe('suspended');
    const check = () =>
      call('GET', `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(value)}`, {
        key: op2.apiKey,
      });
    expect((await check()).body.listed).toBe(false);
    const byOther = await call('POST', `/v1/watchlist/indicators/${id}/review`, {
      key: op2.apiKey,
      body: { decision: 'reinstate', note: 'still scamming' },
    });
    expect(byOther.status).toBe(403);
    const reinstated = await call('POST', `/v1/watchlist/indicators/${id}/review`, {
      key: op.apiKey,
      body: { decision: 'reinstate', note: 'confirmed by a new report' },
    });
    expect(reinstated.status).toBe(200);
    expect(reinstated.body.status).toBe('active');
    expect((await check()).body.listed).toBe(true);
    const again = await call('POST', `/v1/watchlist/indicators/${id}/review`, {
      key: op.apiKey,
      body: { decision: 'reinstate', note: 'twice' },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('indicator_not_active');
  });

  it('shows sources and sightings to console users only', async () => {
    const { id } = await listed();
    await call('POST', `/v1/watchlist/indicators/${id}/sightings`, {
      key: op2.apiKey,
      body: { kind: 'seen', note: 'seen in our traffic' },
    });
    const forAuditor = await call('GET', `/v1/watchlist/indicators/${id}`, { session: auditor });
    expect(forAuditor.status).toBe(200);
    expect(forAuditor.body.sources).toEqual([
      expect.objectContaining({ sourceOrg: op.operatorId, owner: true, confidence: 70 }),
    ]);
    expect(forAuditor.body.sightings).toEqual([
      expect.objectContaining({ kind: 'seen', byOrg: op2.operatorId, note: 'seen in our traffic' }),
    ]);
    const forBank = await call('GET', `/v1/watchlist/indicators/${id}`, { key: bank.apiKey });
    expect(forBank.status).toBe(200);
    expect(forBank.body).toMatchObject({ id, sources: null, sightings: null });
    const rows = (await auditRows('watchlist.read')).filter((r) => r.subject_id === id);
    expect(rows).toHaveLength(2);
  });

  it("a console officer's false positive suspends; the review can revoke", async () => {
    const { id } = await listed();
    const fp = await call('POST', `/v1/watchlist/indicators/${id}/sightings`, {
      session: officer,
      body: { kind: 'false_positive', note: 'complaint upheld' },
    });
    expect(fp.body.status).toBe('suspended');
    const revoked = await call('POST', `/v1/watchlist/indicators/${id}/review`, {
      session: officer,
      body: { decision: 'revoke', note: 'listed in error' },
    });
    expect(revoked.body).toMatchObject({ status: 'revoked', revokeReason: 'listed in error' });
    expect((await auditRows('watchlist.suspended')).some((r) => r.subject_id === id)).toBe(true);
  });

  it('revokes with a reason; a revoked indicator takes no sighting and stops matching', async () => {
    const { id, value } = await listed();
    const byOther = await call('POST', `/v1/watchlist/indicators/${id}/revoke`, {
      key: bank.apiKey,
      body: { reason: 'not ours to revoke' },
    });
    expect(byOther.status).toBe(403);
    const res = await call('POST', `/v1/watchlist/indicators/${id}/revoke`, {
      session: analyst,
      body: { reason: 'court order' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'revoked', revokeReason: 'court order' });
    const sighting = await call('POST', `/v1/watchlist/indicators/${id}/sightings`, {
      key: op.apiKey,
      body: { kind: 'seen', note: '' },
    });
    expect(sighting.status).toBe(409);
    const check = await call(
      'GET',
      `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(value)}`,
      {
        key: op.apiKey,
      },
    );
    expect(check.body.listed).toBe(false);
    const rows = (await auditRows('watchlist.revoked')).filter((r) => r.subject_id === id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.data).toEqual({ type: 'msisdn' });
    const missing = await call('POST', '/v1/watchlist/indicators/ind_AAAAAAAAAAAAAAAA/revoke', {
      session: analyst,
      body: { reason: 'x' },
    });
    expect(missing.status).toBe(404);
  });
});

describe('who may', () => {
  it('auditors read but cannot list; approvers neither', async () => {
    const list = await call('POST', '/v1/watchlist/indicators', {
      session: auditor,
      body: listing(msisdn()),
    });
    expect(list.status).toBe(403);
    const read = await call('GET', '/v1/watchlist/indicators?limit=2', { session: auditor });
    expect(read.status).toBe(200);
    const approver = await consoleSession(w, 'approver');
    expect((await call('GET', '/v1/watchlist/indicators', { session: approver })).status).toBe(403);
  });

  it('a bank key cannot reach operator routes (registrations, cdrs, cells)', async () => {
    const reg = await call('POST', '/v1/registrations', {
      key: bank.apiKey,
      body: registrationBody(w.now()),
    });
    expect(reg.status).toBe(403);
    const cdrs = await call('POST', '/v1/cdrs', { key: bank.apiKey, body: {} });
    expect(cdrs.status).toBe(403);
    const cells = await call('GET', '/v1/operator/cells', { key: bank.apiKey });
    expect(cells.status).toBe(403);
  });

  it("a bank's further keys carry only the watchlist and webhook scopes", async () => {
    const ctx = { db: w.deps.db, actor: 'test', now: w.now() };
    await expect(
      createApiKey({ ctx, input: { operatorId: bank.bankId, scopes: ['registrations:write'] } }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    const key = await createApiKey({ ctx, input: { operatorId: bank.bankId } });
    const row = await w.deps.db
      .selectFrom('api_keys')
      .select('scopes')
      .where('id', '=', key.keyId)
      .executeTakeFirstOrThrow();
    expect(row.scopes).toEqual(['watchlist:read', 'watchlist:write', 'webhooks:manage']);
  });

  it('an operator key without the watchlist scopes is refused (403)', async () => {
    const key = await createApiKey({
      ctx: { db: w.deps.db, actor: 'test', now: w.now() },
      input: { operatorId: op.operatorId, scopes: ['watchlist:read'] },
    });
    const write = await call('POST', '/v1/watchlist/indicators', {
      key: key.apiKey,
      body: listing(msisdn()),
    });
    expect(write.status).toBe(403);
    const none = await createApiKey({
      ctx: { db: w.deps.db, actor: 'test', now: w.now() },
      input: { operatorId: op.operatorId, scopes: ['alerts:read'] },
    });
    const check = await call(
      'GET',
      `/v1/watchlist/check?type=msisdn&value=${encodeURIComponent(msisdn())}`,
      {
        key: none.apiKey,
      },
    );
    expect(check.status).toBe(403);
    expect((await call('GET', '/v1/watchlist/indicators')).status).toBe(401);
  });

  it('an analyst lists but cannot draw zones', async () => {
    const zone = await call('POST', '/v1/zones', {
      session: analyst,
      body: {
        name: 'z',
        riskLevel: 'high',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [100, 13],
              [100.1, 13],
              [100.1, 13.1],
              [100, 13],
            ],
          ],
        },
      },
    });
    expect(zone.status).toBe(403);
  });
});

describe('search pages', () => {
  it('pages with a cursor, newest first, filtered by status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      w.setNow(new Date(w.now().getTime() + 1000));
      const res = await call('POST', '/v1/watchlist/indicators', {
        key: op.apiKey,
        body: { ...listing(`203.0.113.${i}`), type: 'ip', category: 'scam_server' },
      });
      ids.push(res.body.id);
    }
    const first = await call('GET', '/v1/watchlist/indicators?type=ip&status=active&limit=2', {
      key: op2.apiKey,
    });
    expect(first.body.items.map((i: { id: string }) => i.id)).toEqual([ids[2], ids[1]]);
    const second = await call(
      'GET',
      `/v1/watchlist/indicators?type=ip&status=active&limit=2&cursor=${first.body.next}`,
      { key: op2.apiKey },
    );
    expect(second.body.items.map((i: { id: string }) => i.id)).toEqual([ids[0]]);
    expect(second.body.next).toBeNull();
    const bad = await call('GET', '/v1/watchlist/indicators?cursor=nope', { key: op2.apiKey });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_cursor');
  });

  it('filters by category', async () => {
    const phishing = await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: { ...listing('phish-category.example'), type: 'domain', category: 'phishing' },
    });
    const server = await call('POST', '/v1/watchlist/indicators', {
      key: op.apiKey,
      body: { ...listing('server-category.example'), type: 'domain', category: 'scam_server' },
    });
    const found = await call('GET', '/v1/watchlist/indicators?type=domain&category=phishing', {
      key: op2.apiKey,
    });
    const ids = found.body.items.map((i: { id: string }) => i.id);
    expect(ids).toContain(phishing.body.id);
    expect(ids).not.toContain(server.body.id);
    expect(found.body.items.every((i: { category: string }) => i.category === 'phishing')).toBe(
      true,
    );
    const bad = await call('GET', '/v1/watchlist/indicators?category=spam', { key: op2.apiKey });
    expect(bad.status).toBe(400);
  });
});
