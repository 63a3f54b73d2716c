import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createOperator } from '../../src/access/operators.js';
import { buildApp } from '../../src/app.js';
import { ScoringEngine } from '../../src/scoring/engine.js';
import { takeBatch, writeBatch } from '../../src/scoring/pipeline.js';
import { claimStream, FencedError } from '../../src/scoring/queries.js';
import { addAllowlisted, setThresholds } from '../../src/scoring/service.js';
import { calls, cdr, ndjson } from '../support/cdrs.js';
import { idemKey, msisdn, registrationBody, thaiSubscriber } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let opA: { operatorId: string; apiKey: string };
let opB: { operatorId: string; apiKey: string };
const T = Date.parse('2026-11-25T10:00:00Z');

beforeAll(async () => {
  w = await createWorld({ SCORING_RELOAD_MS: '0' });
  opA = await w.operator('TH');
  opB = await w.operator('TH');
});
afterAll(() => w.close());

async function post(key: string, body: string, type = 'application/x-ndjson') {
  const res = await w.request('POST', '/v1/cdrs', { key, body, headers: { 'content-type': type } });
  return { res, json: (await res.json()) as Record<string, unknown> };
}

interface AlertJson {
  id: string;
  msisdn: string;
  rule: string;
  evidence: { checks: unknown[]; imei?: string; imsis?: string[] };
}
interface Answer {
  items: AlertJson[];
  next: string | null;
  code: string;
  features: Record<string, number>;
  enhancedMonitoring: boolean;
  score: number;
  openAlerts: AlertJson[];
}

async function get(key: string, path: string) {
  const res = await w.request('GET', path, { key });
  return { res, json: (await res.json()) as Answer };
}

describe('POST /v1/cdrs and GET /v1/alerts', () => {
  it('raises one high_volume_calling alert with evidence, visible to its operator only', async () => {
    const line = msisdn();
    // Within 15 minutes of the server's clock (10:05): later records would be refused as future.
    const { res, json } = await post(opA.apiKey, ndjson(calls(line, 101, T, 5000)));
    expect(res.status).toBe(202);
    expect(json).toMatchObject({ accepted: 101, rejected: 0, duplicates: 0, errors: [] });
    await post(opA.apiKey, ndjson(calls(line, 20, T + 10 * 60_000)));
    const mine = await get(opA.apiKey, `/v1/alerts?msisdn=${encodeURIComponent(line)}`);
    expect(mine.res.status).toBe(200);
    expect(mine.json.items).toHaveLength(1);
    expect(mine.json.items[0]).toMatchObject({
      msisdn: line,
      rule: 'high_volume_calling',
      windowEnd: '2026-11-25T11:00:00.000Z',
      windowStart: '2026-11-24T11:00:00.000Z',
      status: 'open',
    });
    expect(mine.json.items[0]?.evidence.checks).toContainEqual({
      feature: 'outgoing_calls_24h',
      value: 101,
      threshold: 100,
      op: '>',
    });
    const theirs = await get(opB.apiKey, `/v1/alerts?msisdn=${encodeURIComponent(line)}`);
    expect(theirs.json.items).toEqual([]);
    expect((await get(opB.apiKey, `/v1/lines/${encodeURIComponent(line)}/risk`)).res.status).toBe(
      404,
    );
  });

  it('counts duplicates once and reports malformed lines by number', async () => {
    const line = msisdn();
    const batch = calls(line, 30, T);
    const body = `${ndjson(batch.slice(0, 10))}\n{"recordId":1}\n\nnot json\n${ndjson(batch.slice(10))}`;
    const first = await post(opA.apiKey, body);
    expect(first.json).toMatchObject({ accepted: 30, rejected: 2, duplicates: 0 });
    expect(first.json.errors).toEqual([
      { line: 11, error: expect.stringMatching(/^recordId:/) },
      { line: 13, error: 'value: not valid JSON' },
    ]);
    const again = await post(opA.apiKey, ndjson(batch));
    expect(again.json).toMatchObject({ accepted: 30, duplicates: 30 });
    const risk = await get(opA.apiKey, `/v1/lines/${encodeURIComponent(line)}/risk`);
    expect(risk.json.features.outgoing_calls_24h).toBe(30);
    expect(risk.json.enhancedMonitoring).toBe(false);
  });

  it('refuses other media types, oversized batches and missing keys with problem+json', async () => {
    const wrong = await post(opA.apiKey, '{}', 'text/csv');
    expect(wrong.res.status).toBe(415);
    expect(wrong.json.code).toBe('unsupported_media_type');
    const tooMany = await post(opA.apiKey, Array.from({ length: 10_001 }, () => '{}').join('\n'));
    expect(tooMany.res.status).toBe(413);
    expect(tooMany.json.code).toBe('too_many_records');
    const anon = await w.request('POST', '/v1/cdrs', {
      body: '{}',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(anon.status).toBe(401);
    const badCursor = await get(opA.apiKey, '/v1/alerts?cursor=nope');
    expect(badCursor.json.code).toBe('invalid_cursor');
  });

  it('keeps a line under enhanced monitoring until its alert is closed', async () => {
    const line = msisdn();
    await post(opA.apiKey, ndjson(calls(line, 60, T, 1000, { type: 'sms', containsUrl: true })));
    const risk = await get(opA.apiKey, `/v1/lines/${encodeURIComponent(line)}/risk`);
    expect(risk.json.enhancedMonitoring).toBe(true);
    expect(risk.json.score).toBeGreaterThan(0.4);
    const alert = risk.json.openAlerts.find((a) => a.rule === 'sms_blast_urls');
    expect(alert).toBeDefined();
    const path = `/v1/alerts/${alert?.id}/close`;
    expect(
      (await w.request('POST', path, { key: opB.apiKey, body: { reason: 'reviewed' } })).status,
    ).toBe(404);
    const readOnly = await createApiKey({
      ctx: { db: w.deps.db, actor: 'test', now: w.now() },
      input: { operatorId: opA.operatorId, scopes: ['alerts:read'] },
    });
    const refused = await w.request('POST', path, {
      key: readOnly.apiKey,
      body: { reason: 'reviewed' },
    });
    expect(refused.status).toBe(403);
    const closed = await w.request('POST', path, {
      key: opA.apiKey,
      body: { reason: 'reviewed, spam' },
    });
    expect(closed.status).toBe(200);
    expect(
      (await w.request('POST', path, { key: opA.apiKey, body: { reason: 'again' } })).status,
    ).toBe(409);
    const after = await get(opA.apiKey, `/v1/lines/${encodeURIComponent(line)}/risk`);
    expect(after.json.enhancedMonitoring).toBe(false);
  });

  it('applies threshold changes and the allowlist without a restart', async () => {
    const line = msisdn();
    const bank = msisdn();
    const ctx = { db: w.deps.db, actor: 'test', now: w.now() };
    await setThresholds({
      ctx,
      input: { rule: 'sms_blast_urls', params: { urlSmsAtLeast: 5, distinctRecipientsAtLeast: 5 } },
    });
    await addAllowlisted({ ctx, input: { msisdn: bank, reason: 'bank OTP sender' } });
    await post(
      opA.apiKey,
      ndjson([
        ...calls(line, 6, T, 1000, { type: 'sms', containsUrl: true }),
        ...calls(bank, 200, T, 1000, { type: 'sms', containsUrl: true }),
      ]),
    );
    const rules = async (m: string) =>
      (await get(opA.apiKey, `/v1/alerts?msisdn=${encodeURIComponent(m)}`)).json.items.map(
        (a: { rule: string }) => a.rule,
      );
    expect(await rules(line)).toEqual(['sms_blast_urls']);
    expect(await rules(bank)).toEqual([]);
    await setThresholds({
      ctx,
      input: {
        rule: 'sms_blast_urls',
        params: { urlSmsAtLeast: 50, distinctRecipientsAtLeast: 40 },
      },
    });
  });

  it('flags an identity whose registered lines raise alerts, and pages through alerts', async () => {
    const subscriber = thaiSubscriber();
    const lines: string[] = [];
    for (let i = 0; i < 2; i++) {
      const body = registrationBody(w.now(), { subscriber });
      const res = await w.request('POST', '/v1/registrations', {
        key: opA.apiKey,
        body,
        headers: { 'idempotency-key': idemKey() },
      });
      expect(res.status).toBe(201);
      lines.push(body.msisdn);
    }
    const records = lines.flatMap((l) => calls(l, 45, T + 10 * 60_000, 10_000));
    await post(opA.apiKey, ndjson(records));
    const flagged = await w.deps.db
      .selectFrom('registrations as r')
      .innerJoin('persons as p', 'p.person_key', 'r.person_key')
      .select(['p.flagged_at', 'p.flag_reason'])
      .where('r.msisdn', '=', lines[0] as string)
      .executeTakeFirstOrThrow();
    expect(flagged.flagged_at).not.toBeNull();
    expect(flagged.flag_reason).toContain('new_line_burst');
    const page1 = await get(opA.apiKey, '/v1/alerts?rule=new_line_burst&limit=1');
    expect(page1.json.items).toHaveLength(1);
    expect(page1.json.next).toEqual(expect.any(String));
    const page2 = await get(
      opA.apiKey,
      `/v1/alerts?rule=new_line_burst&limit=1&cursor=${page1.json.next}`,
    );
    expect(page2.json.items).toHaveLength(1);
    expect(page2.json.items[0]?.id).not.toBe(page1.json.items[0]?.id);
    expect(new Set([page1.json.items[0]?.msisdn, page2.json.items[0]?.msisdn])).toEqual(
      new Set(lines),
    );
  });

  it("refuses records of another operator's line or network, so no operator takes a line over", async () => {
    const body = registrationBody(w.now());
    const registered = await w.request('POST', '/v1/registrations', {
      key: opA.apiKey,
      body,
      headers: { 'idempotency-key': idemKey() },
    });
    expect(registered.status).toBe(201);
    const line = body.msisdn;
    expect((await post(opA.apiKey, ndjson(calls(line, 1, T)))).json).toMatchObject({
      accepted: 1,
    });
    const own = msisdn();
    const taking = await post(
      opB.apiKey,
      ndjson([...calls(line, 45, T + 60_000), ...calls(own, 1, T)]),
    );
    expect(taking.res.status).toBe(202);
    expect(taking.json).toMatchObject({ accepted: 1, rejected: 45 });
    expect((taking.json.errors as unknown[]).length).toBe(20);
    expect((taking.json.errors as unknown[])[0]).toEqual({
      line: 1,
      error: "msisdn: the line is another operator's",
    });
    const path = `/v1/lines/${encodeURIComponent(line)}/risk`;
    const mine = await get(opA.apiKey, path);
    expect(mine.res.status).toBe(200);
    expect(mine.json.features.outgoing_calls_24h).toBe(1);
    expect((await get(opB.apiKey, path)).res.status).toBe(404);

    // Unregistered, a line is its first feeder's.
    const loose = msisdn();
    await post(opA.apiKey, ndjson(calls(loose, 1, T)));
    expect((await post(opB.apiKey, ndjson(calls(loose, 1, T + 1000)))).json).toMatchObject({
      accepted: 0,
      rejected: 1,
    });

    await w.deps.db
      .updateTable('operators')
      .set({ mcc_mnc: ['520-93'] })
      .where('id', '=', opA.operatorId)
      .execute();
    const fresh = ndjson(calls(msisdn(), 1, T, 1000, { operator: '520-93' }));
    expect((await post(opB.apiKey, fresh)).json).toMatchObject({
      accepted: 0,
      rejected: 1,
      errors: [{ line: 1, error: "operator: 520-93 is another operator's network" }],
    });
    expect((await post(opA.apiKey, fresh)).json).toMatchObject({ accepted: 1, rejected: 0 });
  });

  it('raises imei_multi_sim when one handset carries many SIMs', async () => {
    const imei = `35${Date.now()}`.slice(0, 15);
    const records = Array.from({ length: 6 }, (_, i) =>
      cdr({
        msisdn: msisdn(),
        imei,
        imsi: `52001${String(i).padStart(10, '0')}`,
        startedAt: T + i * 60_000,
      }),
    );
    await post(opA.apiKey, ndjson(records));
    const alerts = await get(opA.apiKey, '/v1/alerts?rule=imei_multi_sim');
    const mine = alerts.json.items.filter(
      (a: { evidence: { imei?: string } }) => a.evidence.imei === imei,
    );
    expect(mine).toHaveLength(1);
    expect(mine[0]?.evidence.imsis).toHaveLength(5);
  });

  it('refuses a commit from a partition owner that another scorer superseded', async () => {
    const stream = 'fencing-test:0';
    const old = await claimStream(w.deps.db, stream, w.now());
    const current = await claimStream(w.deps.db, stream, w.now());
    expect(current).toBe(old + 1);
    const engine = new ScoringEngine();
    engine.ingest(stream, cdr({ msisdn: msisdn(), startedAt: T }), null);
    const stale = takeBatch(engine, new Map([[stream, 1]]), new Map([[stream, old]]));
    await expect(writeBatch(w.deps.db, stale, w.now())).rejects.toBeInstanceOf(FencedError);
    engine.ingest(stream, cdr({ msisdn: msisdn(), startedAt: T }), null);
    const fresh = takeBatch(engine, new Map([[stream, 2]]), new Map([[stream, current]]));
    await writeBatch(w.deps.db, fresh, w.now());
    const head = await w.deps.db
      .selectFrom('scoring_streams')
      .select(['next_offset', 'generation'])
      .where('stream', '=', stream)
      .executeTakeFirstOrThrow();
    expect([Number(head.next_offset), Number(head.generation)]).toEqual([2, current]);
  });
});

describe('one record never blinds the scorer', () => {
  const DAY = 24 * 3_600_000;
  const iso = (t: number) => new Date(t).toISOString();
  const alertRules = async (key: string, line: string) =>
    (await get(key, `/v1/alerts?msisdn=${encodeURIComponent(line)}`)).json.items.map((a) => a.rule);
  /** Thirty one-second unanswered calls to distinct foreign numbers from `from` on. */
  const wangiri = (line: string, from: number) =>
    Array.from({ length: 30 }, (_, i) =>
      cdr({
        msisdn: line,
        startedAt: from + i * 2000,
        answered: false,
        durationSec: 1,
        otherParty: `+23276${String(i).padStart(6, '0')}`,
      }),
    );
  /** The same records to a second app over the same database: a restarted server. */
  const restarted = () => {
    const app = buildApp(w.deps);
    return async (key: string, records: readonly unknown[]) => {
      const res = await app.request('/v1/cdrs', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
        body: ndjson(records),
      });
      return (await res.json()) as Record<string, unknown>;
    };
  };

  it("refuses a record dated ahead of the clock as future; another operator's current traffic still alerts", async () => {
    const attacker = await w.operator('TH');
    const victim = await w.operator('TH');
    const ahead = w.now().getTime() + 2 * DAY;
    const poison = await post(
      attacker.apiKey,
      ndjson([cdr({ msisdn: msisdn(), startedAt: ahead })]),
    );
    expect(poison.res.status).toBe(202);
    expect(poison.json).toEqual({
      accepted: 0,
      rejected: 1,
      duplicates: 0,
      late: 0,
      future: 1,
      errors: [
        {
          line: 1,
          error: `startedAt: ${iso(ahead)} is more than 15 minutes ahead of the server's clock`,
        },
      ],
    });
    // Within the skew is fine: 14 minutes ahead is accepted.
    const near = await post(
      attacker.apiKey,
      ndjson([cdr({ msisdn: msisdn(), startedAt: w.now().getTime() + 14 * 60_000 })]),
    );
    expect(near.json).toMatchObject({ accepted: 1, future: 0 });

    const line = msisdn();
    const fed = await post(victim.apiKey, ndjson(wangiri(line, T)));
    expect(fed.json).toMatchObject({ accepted: 30, late: 0, future: 0 });
    // The window 10:00-11:00 closes once the victim's own records pass 11:10.
    w.setNow(new Date(T + 75 * 60_000));
    await post(victim.apiKey, ndjson([cdr({ msisdn: line, startedAt: T + 71 * 60_000 })]));
    expect(await alertRules(victim.apiKey, line)).toContain('wangiri');

    const burst = msisdn();
    await post(attacker.apiKey, ndjson(calls(burst, 101, T + 60 * 60_000, 5000)));
    expect(await alertRules(attacker.apiKey, burst)).toEqual(['high_volume_calling']);
  });

  it("scores each operator's records on its own clock: another's newer records make none late", async () => {
    const current = await w.operator('TH');
    const backlog = await w.operator('TH');
    await post(current.apiKey, ndjson(calls(msisdn(), 5, w.now().getTime() - 60_000)));
    // A day and a half behind the other operator's records: late on one shared clock.
    const from = w.now().getTime() - 36 * 3_600_000;
    const line = msisdn();
    const fed = await post(backlog.apiKey, ndjson(calls(line, 101, from, 5000)));
    expect(fed.json).toMatchObject({ accepted: 101, late: 0, rejected: 0 });
    expect(await alertRules(backlog.apiKey, line)).toEqual(['high_volume_calling']);
    const streams = await w.deps.db
      .selectFrom('scoring_streams')
      .select('stream')
      .where('stream', 'in', [`http:${current.operatorId}`, `http:${backlog.operatorId}`])
      .execute();
    expect(streams).toHaveLength(2);
  });

  it('repairs at start a shared stream a future record poisoned, split by operator', async () => {
    const a = await w.operator('TH');
    const b = await w.operator('TH');
    const now = w.now().getTime();
    // The stored state of the one `http` stream of before: a's line, then b's record two days
    // ahead that moved the shared watermark.
    const aLine = msisdn();
    const before = new ScoringEngine();
    for (const r of calls(aLine, 3, now - 30 * 60_000)) before.ingest('http', r, a.operatorId);
    await writeBatch(w.deps.db, takeBatch(before, new Map()), w.now());
    const poisoned = new ScoringEngine();
    poisoned.ingest('http', cdr({ msisdn: msisdn(), startedAt: now + 2 * DAY }), b.operatorId);
    await writeBatch(w.deps.db, takeBatch(poisoned, new Map()), w.now());

    const post2 = restarted();
    const line = msisdn();
    const fed = await post2(b.apiKey, calls(line, 101, now - 20 * 60_000, 5000));
    expect(fed).toMatchObject({ accepted: 101, late: 0, future: 0 });
    expect(await alertRules(b.apiKey, line)).toEqual(['high_volume_calling']);

    const streams = await w.deps.db
      .selectFrom('scoring_streams')
      .select(['stream', 'clock'])
      .where('stream', 'in', ['http', `http:${a.operatorId}`, `http:${b.operatorId}`])
      .orderBy('stream')
      .execute();
    expect(streams.map((s) => s.stream).sort()).toEqual(
      [`http:${a.operatorId}`, `http:${b.operatorId}`].sort(),
    );
    for (const s of streams)
      expect((s.clock as { maxSeen: number }).maxSeen).toBeLessThanOrEqual(now);
    // a's line moved to a's stream whole, and is still a's.
    const risk = await get(a.apiKey, `/v1/lines/${encodeURIComponent(aLine)}/risk`);
    expect(risk.json.features.outgoing_calls_24h).toBe(3);
    expect(await post2(b.apiKey, calls(aLine, 1, now))).toMatchObject({
      accepted: 0,
      errors: [{ line: 1, error: "msisdn: the line is another operator's" }],
    });
    // Restarted again, the per-operator streams load as they were stored.
    const post3 = restarted();
    expect(await post3(a.apiKey, calls(aLine, 1, now))).toMatchObject({ accepted: 1, late: 0 });
    const after = await get(a.apiKey, `/v1/lines/${encodeURIComponent(aLine)}/risk`);
    expect(after.json.features.outgoing_calls_24h).toBe(4);
  });

  it("repairs at start an operator's stream, deleting the hours dated ahead of the clock", async () => {
    const op = await w.operator('TH');
    const now = w.now().getTime();
    const line = msisdn();
    const poisoned = new ScoringEngine();
    poisoned.ingest(
      `http:${op.operatorId}`,
      cdr({ msisdn: line, startedAt: now - 60_000 }),
      op.operatorId,
    );
    poisoned.ingest(
      `http:${op.operatorId}`,
      cdr({ msisdn: line, startedAt: now + 3 * 3_600_000 }),
      op.operatorId,
    );
    await writeBatch(w.deps.db, takeBatch(poisoned, new Map()), w.now());
    const hours = () =>
      w.deps.db
        .selectFrom('scoring_line_hours')
        .select('hour')
        .where('msisdn', '=', line)
        .orderBy('hour')
        .execute();
    expect(await hours()).toHaveLength(2);
    const fed = await restarted()(op.apiKey, calls(line, 2, now - 120_000, 1000));
    expect(fed).toMatchObject({ accepted: 2, late: 0 });
    expect((await hours()).map((h) => h.hour)).toEqual([Math.floor(now / 3_600_000)]);
    const risk = await get(op.apiKey, `/v1/lines/${encodeURIComponent(line)}/risk`);
    expect(risk.json.features.outgoing_calls_24h).toBe(3);
  });
});

describe('line risk and records without operator', () => {
  it('marks a distinct count that reached its cap as a lower bound', async () => {
    const op = await w.operator('TH');
    const busy = msisdn();
    const quiet = msisdn();
    const start = w.now().getTime() - 20 * 60_000;
    await post(op.apiKey, ndjson([...calls(busy, 110, start, 5000), ...calls(quiet, 30, start)]));
    const many = await get(op.apiKey, `/v1/lines/${encodeURIComponent(busy)}/risk`);
    expect(many.json.features.distinct_callees_24h).toBe(51);
    expect((many.json as unknown as { lowerBounds: string[] }).lowerBounds).toEqual([
      'distinct_callees_24h',
    ]);
    const few = await get(op.apiKey, `/v1/lines/${encodeURIComponent(quiet)}/risk`);
    expect(few.json.features.distinct_callees_24h).toBe(30);
    expect((few.json as unknown as { lowerBounds: string[] }).lowerBounds).toEqual([]);
    const spec = (await (await w.request('GET', '/openapi.json')).json()) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(spec.components.schemas.LineRisk?.properties.lowerBounds).toMatchObject({
      type: 'array',
      items: { enum: expect.arrayContaining(['distinct_callees_24h']) },
    });
  });

  it("takes a record without operator as the operator's when it has one network, else names the field", async () => {
    const ctx = { db: w.deps.db, actor: 'test', now: w.now() };
    const one = await createOperator({
      ctx,
      input: { name: 'One Net', country: 'TH', mccMnc: ['520-41'] },
    });
    const two = await createOperator({
      ctx,
      input: { name: 'Two Nets', country: 'TH', mccMnc: ['520-42', '520-43'] },
    });
    const { operator: _, ...bare } = cdr({ msisdn: msisdn(), startedAt: w.now().getTime() });
    expect((await post(one.apiKey, ndjson([bare]))).json).toMatchObject({
      accepted: 1,
      rejected: 0,
    });
    expect((await post(two.apiKey, ndjson([{ ...bare, msisdn: msisdn() }]))).json).toMatchObject({
      accepted: 0,
      rejected: 1,
      errors: [
        {
          line: 1,
          error:
            'operator: missing; required as your operator has several networks (520-42, 520-43)',
        },
      ],
    });
  });
});
