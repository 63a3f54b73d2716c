import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBank } from '../../src/access/operators.js';
import { addPartner } from '../../src/federation/partners.js';
import { campaignLine, cdr, postCdrs } from '../support/cdrs.js';
import { consoleSession, type Session } from '../support/console.js';
import { msisdn } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let opA: { operatorId: string; apiKey: string };
let opB: { operatorId: string; apiKey: string };
let bankKey: string;
let partnerKey: string;
let auditor: Session;
let officer: Session;

const D1 = Date.parse('2026-11-24T09:00:00Z');
const D2 = Date.parse('2026-11-25T09:00:00Z');
const SHARED_CELL = '520-01-88-8000';
/** Day-one groups of operator A only, then day two's shared group and two more of A's. */
const A_CELLS_D1 = ['520-01-88-8101', '520-01-88-8102', '520-01-88-8103'];
const A_CELLS_D2 = ['520-01-88-8201', '520-01-88-8202'];
/** Raised while a regulator pages through the list. */
const LATE_CELL = '520-01-88-8203';
const linesA = [msisdn(), msisdn()];
/** One handset carrying both of A's lines in the shared group: A's to see, not B's. */
const A_HANDSET = '350000000000777';
const linesB = [msisdn(), msisdn()];
const day1Lines = A_CELLS_D1.map(() => [msisdn(), msisdn(), msisdn()]);

interface Summary {
  id: string;
  rule: string;
  groupKey: string;
  keyKind: string;
  windowStart: string;
  windowEnd: string;
  score: number;
  memberLines: number;
  hiddenMemberLines: number;
  operators: { operatorId: string | null; memberLines: number }[];
  checks: { feature: string; value: number; threshold: number; op: string }[];
}
interface Detail extends Summary {
  shared: { handsets: string[]; distinctTargets: number; startSpreadMin: number };
  members: {
    msisdn: string;
    operatorId: string | null;
    outgoingCalls: number;
    alertId: string | null;
    alertStatus: string | null;
  }[];
}

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status).toBe(status);
  return (await res.json()) as T;
}

async function readAll(get: (path: string) => Promise<Response>, query: string) {
  const seen: Summary[] = [];
  let next: string | null = null;
  let pages = 0;
  do {
    const q = new URLSearchParams(query);
    if (next) q.set('cursor', next);
    const body: { items: Summary[]; next: string | null } = await json(
      await get(`/v1/group-alerts?${q}`),
    );
    seen.push(...body.items);
    next = body.next;
    pages++;
  } while (next && pages < 50);
  return { seen, pages };
}

async function groupReads() {
  return w.deps.db
    .selectFrom('audit_log')
    .select(['actor_type', 'actor_id', 'subject_type', 'subject_id', 'outcome', 'data'])
    .where('action', '=', 'scoring.group_read')
    .execute();
}

beforeAll(async () => {
  w = await createWorld({ SCORING_RELOAD_MS: '0' });
  opA = await w.operator('TH');
  opB = await w.operator('TH');
  const admin = { db: w.deps.db, actor: 'test', now: w.now() };
  bankKey = (
    await createBank({ ctx: admin, input: { name: 'Group Bank', country: 'TH', bankCode: 'GRPB' } })
  ).apiKey;
  partnerKey = (
    await addPartner({
      ctx: { ...admin, country: 'TH' },
      input: { country: 'LA', name: 'Lao simline' },
    })
  ).apiKey;
  auditor = await consoleSession(w, 'auditor');
  officer = await consoleSession(w, 'officer');
  // In event-time order: day one's groups, then day two's.
  await postCdrs(
    w,
    opA.apiKey,
    A_CELLS_D1.flatMap((cell, i) => (day1Lines[i] ?? []).flatMap((l) => campaignLine(l, cell, D1))),
  );
  await postCdrs(w, opA.apiKey, [
    ...linesA.flatMap((l) => campaignLine(l, SHARED_CELL, D2, A_HANDSET)),
    ...A_CELLS_D2.flatMap((cell) =>
      [msisdn(), msisdn(), msisdn()].flatMap((l) => campaignLine(l, cell, D2)),
    ),
  ]);
  await postCdrs(
    w,
    opB.apiKey,
    linesB.flatMap((l) => campaignLine(l, SHARED_CELL, D2)),
  );
});
afterAll(() => w.close());

describe('GET /v1/group-alerts for the regulator', () => {
  it('lists every group newest day first, with totals against thresholds and members by operator', async () => {
    const body: { items: Summary[]; next: string | null } = await json(
      await auditor.request('GET', '/v1/group-alerts'),
    );
    expect(body.next).toBeNull();
    expect(body.items).toHaveLength(6);
    expect(body.items.map((g) => g.windowEnd)).toEqual([
      ...Array(3).fill('2026-11-26T00:00:00.000Z'),
      ...Array(3).fill('2026-11-25T00:00:00.000Z'),
    ]);
    const shared = body.items.find((g) => g.groupKey === `cell:${SHARED_CELL}`) as Summary;
    expect(shared).toMatchObject({
      rule: 'coordinated_calling',
      keyKind: 'cell',
      windowStart: '2026-11-25T00:00:00.000Z',
      memberLines: 4,
      hiddenMemberLines: 0,
    });
    expect(shared.operators).toEqual(
      [
        { operatorId: opA.operatorId, memberLines: 2 },
        { operatorId: opB.operatorId, memberLines: 2 },
      ].sort((a, b) => a.operatorId.localeCompare(b.operatorId)),
    );
    expect(shared.checks).toContainEqual({
      feature: 'member_lines',
      value: 4,
      threshold: 3,
      op: '>=',
    });
    expect(shared.score).toBeGreaterThan(0);
  });

  it('filters by rule and by day window', async () => {
    const none: { items: Summary[] } = await json(
      await auditor.request('GET', '/v1/group-alerts?rule=target_sweep'),
    );
    expect(none.items).toEqual([]);
    const day2: { items: Summary[] } = await json(
      await auditor.request(
        'GET',
        `/v1/group-alerts?rule=coordinated_calling&since=${encodeURIComponent('2026-11-25T00:00:00Z')}`,
      ),
    );
    expect(day2.items.map((g) => g.groupKey).sort()).toEqual(
      [SHARED_CELL, ...A_CELLS_D2].map((c) => `cell:${c}`).sort(),
    );
    const day1: { items: Summary[] } = await json(
      await auditor.request(
        'GET',
        `/v1/group-alerts?until=${encodeURIComponent('2026-11-25T00:00:00Z')}`,
      ),
    );
    expect(day1.items.map((g) => g.groupKey).sort()).toEqual(
      A_CELLS_D1.map((c) => `cell:${c}`).sort(),
    );
  });

  it('pages with the cursor without losing or repeating a group', async () => {
    const whole: { items: Summary[] } = await json(
      await auditor.request('GET', '/v1/group-alerts?limit=200'),
    );
    for (const limit of [1, 2, 4]) {
      const { seen, pages } = await readAll((p) => auditor.request('GET', p), `limit=${limit}`);
      expect(pages).toBe(Math.ceil(6 / limit));
      expect(seen.map((g) => g.id)).toEqual(whole.items.map((g) => g.id));
    }
    // A group raised between two pages (newest day: it sorts before the cursor) moves nothing.
    const first: { items: Summary[]; next: string } = await json(
      await auditor.request('GET', '/v1/group-alerts?limit=2'),
    );
    await postCdrs(
      w,
      opA.apiKey,
      [msisdn(), msisdn(), msisdn()].flatMap((l) => campaignLine(l, LATE_CELL, D2 + 20 * 60_000)),
    );
    const rest = await readAll((p) => auditor.request('GET', p), `limit=2&cursor=${first.next}`);
    expect([...first.items, ...rest.seen].map((g) => g.id)).toEqual(whole.items.map((g) => g.id));
    const now: { items: Summary[] } = await json(
      await auditor.request('GET', '/v1/group-alerts?limit=200'),
    );
    expect(now.items.map((g) => g.groupKey)).toContain(`cell:${LATE_CELL}`);
    expect(now.items).toHaveLength(7);

    const bad = await auditor.request('GET', '/v1/group-alerts?cursor=bm9wZQ');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('invalid_cursor');
  });

  it('shows a whole group: its key, window, what the members share and every member line', async () => {
    const list: { items: Summary[] } = await json(await officer.request('GET', '/v1/group-alerts'));
    const id = (list.items.find((g) => g.groupKey === `cell:${SHARED_CELL}`) as Summary).id;
    const g: Detail = await json(await officer.request('GET', `/v1/group-alerts/${id}`));
    expect(g).toMatchObject({
      id,
      rule: 'coordinated_calling',
      groupKey: `cell:${SHARED_CELL}`,
      windowStart: '2026-11-25T00:00:00.000Z',
      windowEnd: '2026-11-26T00:00:00.000Z',
      memberLines: 4,
      hiddenMemberLines: 0,
    });
    expect(g.shared.distinctTargets).toBeGreaterThan(0);
    expect(g.shared.handsets).toEqual([A_HANDSET]);
    expect(g.members.map((m) => m.msisdn).sort()).toEqual([...linesA, ...linesB].sort());
    for (const m of g.members) {
      expect(m.operatorId).toBe(linesA.includes(m.msisdn) ? opA.operatorId : opB.operatorId);
      expect(m.outgoingCalls).toBe(30);
      expect(m.alertStatus).toBe('open');
      expect(m.alertId).toMatch(/^\d+$/);
    }
    const missing = await officer.request('GET', '/v1/group-alerts/999999');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });

  it("audits a regulator's read of several operators' members, and not a read of one operator's", async () => {
    const list: { items: Summary[] } = await json(await auditor.request('GET', '/v1/group-alerts'));
    const shared = list.items.find((g) => g.groupKey === `cell:${SHARED_CELL}`) as Summary;
    const own = list.items.find((g) => g.groupKey === `cell:${A_CELLS_D2[0]}`) as Summary;
    const before = await groupReads();
    await json(await auditor.request('GET', `/v1/group-alerts/${own.id}`));
    expect(await groupReads()).toHaveLength(before.length);
    await json(await auditor.request('GET', `/v1/group-alerts/${shared.id}`));
    const after = await groupReads();
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toEqual({
      actor_type: 'user',
      actor_id: auditor.userId,
      subject_type: 'group_alert',
      subject_id: shared.id,
      outcome: 'success',
      data: {
        rule: 'coordinated_calling',
        operators: [opA.operatorId, opB.operatorId].sort(),
        memberLines: 4,
      },
    });
    // The audit row carries no member line.
    expect(JSON.stringify(after)).not.toContain(linesA[0]);
  });
});

describe('GET /v1/group-alerts for an operator', () => {
  it("lists only groups holding its lines, counting the other operators' members without naming them", async () => {
    const res = await w.request('GET', '/v1/group-alerts', { key: opB.apiKey });
    const text = await res.text();
    expect(res.status).toBe(200);
    const body = JSON.parse(text) as { items: Summary[] };
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({
      groupKey: `cell:${SHARED_CELL}`,
      memberLines: 4,
      hiddenMemberLines: 2,
      operators: [{ operatorId: opB.operatorId, memberLines: 2 }],
    });
    for (const l of linesA) expect(text).not.toContain(l.slice(1));
    expect(text).not.toContain(opA.operatorId);
  });

  it('reads only its own members of a shared group, and no group without one of its lines', async () => {
    const list: { items: Summary[] } = await json(
      await w.request('GET', '/v1/group-alerts', { key: opB.apiKey }),
    );
    const id = (list.items[0] as Summary).id;
    const res = await w.request('GET', `/v1/group-alerts/${id}`, { key: opB.apiKey });
    const text = await res.text();
    expect(res.status).toBe(200);
    const g = JSON.parse(text) as Detail;
    expect(g.members.map((m) => m.msisdn).sort()).toEqual([...linesB].sort());
    expect(g).toMatchObject({ memberLines: 4, hiddenMemberLines: 2 });
    for (const l of linesA) expect(text).not.toContain(l.slice(1));
    expect(text).not.toContain(opA.operatorId);
    // A handset only A's lines used is A's to see: not in B's view of the group, nor in the
    // evidence of B's own member alerts; A sees it in both.
    expect(g.shared.handsets).toEqual([]);
    expect(text).not.toContain(A_HANDSET);
    const alertsB = await w.request('GET', '/v1/alerts?rule=coordinated_calling&limit=200', {
      key: opB.apiKey,
    });
    const alertsBText = await alertsB.text();
    expect(alertsBText).toContain(linesB[0] as string);
    expect(alertsBText).not.toContain(A_HANDSET);
    const fromAShared: Detail = await json(
      await w.request('GET', `/v1/group-alerts/${id}`, { key: opA.apiKey }),
    );
    expect(fromAShared.shared.handsets).toEqual([A_HANDSET]);
    const alertsA = await w.request('GET', '/v1/alerts?rule=coordinated_calling&limit=200', {
      key: opA.apiKey,
    });
    expect(await alertsA.text()).toContain(A_HANDSET);

    const all: { items: Summary[] } = await json(
      await auditor.request('GET', '/v1/group-alerts?limit=200'),
    );
    const onlyA = all.items.find((x) => x.groupKey === `cell:${A_CELLS_D1[0]}`) as Summary;
    const hidden = await w.request('GET', `/v1/group-alerts/${onlyA.id}`, { key: opB.apiKey });
    expect(hidden.status).toBe(404);
    const hiddenText = await hidden.text();
    for (const l of day1Lines[0] ?? []) expect(hiddenText).not.toContain(l.slice(1));
    const fromA = await w.request('GET', `/v1/group-alerts/${onlyA.id}`, { key: opA.apiKey });
    expect(((await fromA.json()) as Detail).members).toHaveLength(3);
  });

  it('pages its own groups with the cursor', async () => {
    const { seen } = await readAll((p) => w.request('GET', p, { key: opA.apiKey }), 'limit=2');
    expect(seen).toHaveLength(7);
    expect(new Set(seen.map((g) => g.id)).size).toBe(7);
  });
});

describe('who may not read group alerts', () => {
  it('refuses bank and partner keys with 403 problem+json', async () => {
    for (const key of [bankKey, partnerKey]) {
      for (const path of ['/v1/group-alerts', '/v1/group-alerts/1']) {
        const res = await w.request('GET', path, { key });
        expect(res.status).toBe(403);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(((await res.json()) as { code: string }).code).toBe('forbidden');
      }
    }
  });

  it('refuses console roles that do not read campaigns, and requests without credentials', async () => {
    const approver = await consoleSession(w, 'approver');
    const res = await approver.request('GET', '/v1/group-alerts');
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('forbidden');
    const anonymous = await w.request('GET', '/v1/group-alerts');
    expect(anonymous.status).toBe(401);
  });

  it('documents both routes with their schemas and errors in /openapi.json', async () => {
    const doc = (await (await w.request('GET', '/openapi.json')).json()) as {
      paths: Record<string, { get?: { operationId: string; responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths['/v1/group-alerts']?.get?.operationId).toBe('listGroupAlerts');
    expect(Object.keys(doc.paths['/v1/group-alerts']?.get?.responses ?? {}).sort()).toEqual(
      ['200', '400', '401', '403', '429', '431'].sort(),
    );
    expect(doc.paths['/v1/group-alerts/{id}']?.get?.operationId).toBe('getGroupAlert');
    expect(Object.keys(doc.paths['/v1/group-alerts/{id}']?.get?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '403', '404']),
    );
    for (const s of ['GroupAlertList', 'GroupAlertSummary', 'GroupAlertDetail', 'GroupMember'])
      expect(doc.components.schemas[s]).toBeDefined();
  });
});

describe("a line's risk with its group alerts", () => {
  interface Risk {
    score: number;
    rules: string[];
    windowEnd: string | null;
    openAlerts: { rule: string; score: number; windowEnd: string }[];
  }

  it('adds the open group alerts of the current window’s day to the score', async () => {
    const line = linesB[0] as string;
    const risk: Risk = await json(
      await w.request('GET', `/v1/lines/${encodeURIComponent(line)}/risk`, { key: opB.apiKey }),
    );
    // No line rule fires on a campaign member: its score is the group rule's alone.
    expect(risk.rules).toEqual([]);
    expect(risk.windowEnd).toBe('2026-11-25T10:00:00.000Z');
    const group = risk.openAlerts.find((a) => a.rule === 'coordinated_calling');
    expect(group).toBeDefined();
    expect(group?.score).toBeGreaterThan(0);
    expect(risk.score).toBeCloseTo(group?.score ?? Number.NaN, 12);

    // The regulator sees the same score.
    const regulator: Risk = await json(
      await auditor.request('GET', `/v1/lines/${encodeURIComponent(line)}/risk`),
    );
    expect(regulator.score).toBeCloseTo(risk.score, 12);

    // Closed after review, the group alert no longer counts.
    const alerts: { items: { id: string }[] } = await json(
      await w.request('GET', `/v1/alerts?msisdn=${encodeURIComponent(line)}`, { key: opB.apiKey }),
    );
    for (const a of alerts.items)
      await json(
        await w.request('POST', `/v1/alerts/${a.id}/close`, {
          key: opB.apiKey,
          body: { reason: 'reviewed with the whole campaign' },
        }),
      );
    const closed: Risk = await json(
      await w.request('GET', `/v1/lines/${encodeURIComponent(line)}/risk`, { key: opB.apiKey }),
    );
    expect(closed.openAlerts).toEqual([]);
    expect(closed.score).toBe(0);
  });

  it('counts the group with its score as it stands after more lines join', async () => {
    const line = linesB[1] as string;
    const own = async () =>
      (
        (await json(
          await w.request('GET', `/v1/alerts?msisdn=${encodeURIComponent(line)}`, {
            key: opB.apiKey,
          }),
        )) as { items: { score: number }[] }
      ).items[0]?.score;
    const joinedWith = await own();
    // A fifth line joins the shared cell later that morning: the group's score grows.
    await postCdrs(w, opB.apiKey, campaignLine(msisdn(), SHARED_CELL, D2 + 20 * 60_000));
    const list: { items: Summary[] } = await json(await auditor.request('GET', '/v1/group-alerts'));
    const group = list.items.find((g) => g.groupKey === `cell:${SHARED_CELL}`) as Summary;
    expect(group.memberLines).toBe(5);
    expect(group.score).toBeGreaterThan(joinedWith ?? 1);
    expect(await own()).toBe(joinedWith);
    const risk: Risk = await json(
      await w.request('GET', `/v1/lines/${encodeURIComponent(line)}/risk`, { key: opB.apiKey }),
    );
    expect(risk.score).toBeCloseTo(group.score, 12);
  });

  it("leaves out a group alert of an earlier day once the line's window has moved on", async () => {
    const line = (day1Lines[1] as string[])[0] as string;
    const before: Risk = await json(
      await w.request('GET', `/v1/lines/${encodeURIComponent(line)}/risk`, { key: opA.apiKey }),
    );
    expect(before.windowEnd).toBe('2026-11-24T10:00:00.000Z');
    expect(before.score).toBeGreaterThan(0);
    // A few ordinary answered calls the next day move its current window to that day.
    await postCdrs(
      w,
      opA.apiKey,
      Array.from({ length: 3 }, (_, i) =>
        cdr({ msisdn: line, cellId: '520-01-88-8999', startedAt: D2 + 50 * 60_000 + i * 60_000 }),
      ),
    );
    const after: Risk = await json(
      await w.request('GET', `/v1/lines/${encodeURIComponent(line)}/risk`, { key: opA.apiKey }),
    );
    expect(after.windowEnd).toBe('2026-11-25T10:00:00.000Z');
    expect(after.openAlerts.map((a) => a.rule)).toEqual(['coordinated_calling']);
    expect(after.rules).toEqual([]);
    expect(after.score).toBe(0);
  });
});
