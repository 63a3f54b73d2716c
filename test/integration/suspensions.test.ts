import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/platform/audit.js';
import { consoleSession, LONG_SESSIONS, type Session, squareZone } from '../support/console.js';
import { createWorld, type World } from '../support/world.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LON = 102.6;
const LAT = 14.13;

let world: World;
let officer: Session;
let approver: Session;
let approver2: Session;
let auditor: Session;
let opA: { operatorId: string; apiKey: string };
let opB: { operatorId: string; apiKey: string };
let zoneId: string;

const at = (ms: number) => new Date(world.now().getTime() + ms).toISOString();

function draftBody(overrides: Record<string, unknown> = {}) {
  return {
    zoneId,
    measure: 'full_suspension',
    services: ['voice', 'sms', 'data'],
    operatorIds: [opA.operatorId, opB.operatorId],
    startsAt: at(2 * HOUR),
    endsAt: at(5 * DAY),
    legalBasis: 'Telecommunications Act s.77; cabinet resolution 12/2026',
    reasons: 'Scam compound confirmed by police raid; calls traced to cells in this zone.',
    exemptCells: ['A-hospital'],
    ...overrides,
  };
}

async function issuedOrder(overrides: Record<string, unknown> = {}) {
  const res = await officer.request('POST', '/v1/suspension-orders', draftBody(overrides));
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  expect((await officer.request('POST', `/v1/suspension-orders/${id}/submit`)).status).toBe(200);
  const approved = await approver.request('POST', `/v1/suspension-orders/${id}/approve`);
  expect(approved.status).toBe(200);
  return (await approved.json()) as { id: string; status: string; impact: { cells: number } };
}

beforeAll(async () => {
  /** The clock jumps days ahead here; session timeouts have their own tests. */
  world = await createWorld({
    ...LONG_SESSIONS,
  });
  officer = await consoleSession(world, 'officer');
  approver = await consoleSession(world, 'approver');
  approver2 = await consoleSession(world, 'approver');
  auditor = await consoleSession(world, 'auditor');
  opA = await world.operator('TH', 'Operator A');
  opB = await world.operator('TH', 'Operator B');
  const cellsA = {
    cells: [
      { cellId: 'A-in-1', radio: 'lte', lat: LAT, lon: LON, rangeM: 2000 },
      { cellId: 'A-in-2', radio: 'nr', lat: LAT + 0.005, lon: LON + 0.005, rangeM: 500 },
      { cellId: 'A-hospital', radio: 'lte', lat: LAT - 0.005, lon: LON, rangeM: 500 },
      { cellId: 'A-far', radio: 'gsm', lat: LAT + 1, lon: LON + 1, rangeM: 5000 },
    ],
  };
  const put = await world.request('PUT', '/v1/operator/cells', { key: opA.apiKey, body: cellsA });
  expect(put.status).toBe(200);
  expect(await put.json()).toMatchObject({ count: 4 });
  const csv =
    'cellId,radio,lat,lon,rangeM\nB-in-1,umts,14.131,102.601,1500\nB-edge,lte,14.16,102.6,9000\n';
  const putB = await world.request('PUT', '/v1/operator/cells', {
    key: opB.apiKey,
    body: csv,
    headers: { 'content-type': 'text/csv' },
  });
  expect(putB.status).toBe(200);
  const zone = await officer.request('POST', '/v1/zones', {
    name: 'Border compound zone',
    riskLevel: 'high',
    geometry: squareZone(LON, LAT, 4),
  });
  expect(zone.status).toBe(201);
  const body = (await zone.json()) as { id: string; version: number };
  expect(body.version).toBe(1);
  zoneId = body.id;
});

afterAll(async () => {
  await world?.close();
});

describe('zones and cells', () => {
  it('lists the cells inside the zone, and with reach also sites whose coverage touches it', async () => {
    const inside = await officer.request('GET', `/v1/zones/${zoneId}/cells`);
    expect(inside.status).toBe(200);
    const ids = ((await inside.json()) as { cells: { cellId: string }[] }).cells.map(
      (c) => c.cellId,
    );
    expect(ids.sort()).toEqual(['A-hospital', 'A-in-1', 'A-in-2', 'B-in-1']);
    const reach = await officer.request('GET', `/v1/zones/${zoneId}/cells?coverage=reach`);
    const reachIds = ((await reach.json()) as { cells: { cellId: string }[] }).cells.map(
      (c) => c.cellId,
    );
    expect(reachIds).toContain('B-edge');
    expect(reachIds).not.toContain('A-far');
  });

  it('refuses an open ring with the failing path, and bad cell uploads atomically', async () => {
    const res = await officer.request('POST', '/v1/zones', {
      name: 'broken',
      riskLevel: 'high',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [1, 1],
            [2, 1],
            [2, 2],
            [1, 2],
          ],
        ],
      },
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; errors: { path: string }[] };
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors.some((e) => e.path.startsWith('geometry'))).toBe(true);
    const bad = await world.request('PUT', '/v1/operator/cells', {
      key: opA.apiKey,
      body: { cells: [{ cellId: 'x', radio: 'lte', lat: 95, lon: 0, rangeM: 1 }] },
    });
    expect(bad.status).toBe(400);
    const after = await officer.request('GET', `/v1/zones/${zoneId}/cells`);
    expect(((await after.json()) as { cells: unknown[] }).cells).toHaveLength(4);
  });

  it('versions a zone when it is redrawn', async () => {
    const res = await officer.request('POST', '/v1/zones', {
      name: 'Versioned',
      riskLevel: 'medium',
      geometry: squareZone(100, 15, 2),
    });
    const { id } = (await res.json()) as { id: string };
    const v2 = await officer.request('POST', `/v1/zones/${id}/versions`, {
      name: 'Versioned (wider)',
      riskLevel: 'high',
      geometry: squareZone(100, 15, 6),
    });
    expect(await v2.json()).toEqual({ id, version: 2 });
    const got = (await (await officer.request('GET', `/v1/zones/${id}`)).json()) as {
      version: number;
      name: string;
    };
    expect(got).toMatchObject({ version: 2, name: 'Versioned (wider)' });
    const high = await officer.request('GET', '/v1/zones?riskLevel=high');
    const names = ((await high.json()) as { zones: { name: string; riskLevel: string }[] }).zones;
    expect(names.map((n) => n.name)).toEqual(
      expect.arrayContaining(['Border compound zone', 'Versioned (wider)']),
    );
    expect(names.every((n) => n.riskLevel === 'high')).toBe(true);
  });
});

describe('cell uploads', () => {
  const put = (key: string, body: unknown, type?: string) =>
    world.request('PUT', '/v1/operator/cells', {
      key,
      body,
      headers: type ? { 'content-type': type } : undefined,
    });
  const readBack = async (key: string) =>
    (
      (await (await world.request('GET', '/v1/operator/cells', { key })).json()) as {
        cells: { cellId: string; radio: string; lat: number; lon: number; rangeM: number }[];
      }
    ).cells;

  it('take radio values in any case, in JSON and CSV, and keep them in lower case', async () => {
    const op = await world.operator('TH');
    const json = await put(op.apiKey, {
      cells: [
        { cellId: 'C-1', radio: 'LTE', lat: 1, lon: 2, rangeM: 10 },
        { cellId: 'C-2', radio: 'Nr', lat: 1, lon: 2, rangeM: 10 },
      ],
    });
    expect(json.status).toBe(200);
    expect((await readBack(op.apiKey)).map((c) => c.radio)).toEqual(['lte', 'nr']);
    const csv = 'cellId,radio,lat,lon,rangeM\r\n"C-3",GSM,1,2,10\r\nC-4,"Umts",1,2,10\r\n';
    expect((await put(op.apiKey, csv, 'text/csv')).status).toBe(200);
    expect((await readBack(op.apiKey)).map((c) => [c.cellId, c.radio])).toEqual([
      ['C-3', 'gsm'],
      ['C-4', 'umts'],
    ]);
  });

  it("take OpenCellID's CSV layout, told apart by its header", async () => {
    const op = await world.operator('TH');
    const csv = [
      'radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal',
      'LTE,520,1,12345,67890123,0,100.5012,13.7563,1500,12,1,1459692064,1525697280,0',
      'GSM,520,4,512,30011,0,100.6,13.8,3000,3,1,1459692064,1525697280,-71',
      'NR,520,18,7,1,,"100.7","13.9",500,1,1,1459692064,1525697280,0',
    ].join('\n');
    const res = await put(op.apiKey, csv, 'text/csv; charset=utf-8');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ count: 3 });
    expect(await readBack(op.apiKey)).toEqual([
      { cellId: '520-01-12345-67890123', radio: 'lte', lat: 13.7563, lon: 100.5012, rangeM: 1500 },
      { cellId: '520-04-512-30011', radio: 'gsm', lat: 13.8, lon: 100.6, rangeM: 3000 },
      { cellId: '520-18-7-1', radio: 'nr', lat: 13.9, lon: 100.7, rangeM: 500 },
    ]);
  });

  it('need a body, declared required, in JSON or CSV', async () => {
    const op = await world.operator('TH');
    const none = await world.request('PUT', '/v1/operator/cells', { key: op.apiKey });
    expect(none.status).toBe(415);
    const notJson = await put(op.apiKey, '{"cells": [', 'application/json');
    expect(((await notJson.json()) as { code: string }).code).toBe('bad_request');
    const wrong = await put(op.apiKey, { cells: [{ cellId: 'x', radio: 'lte', lat: 1 }] });
    expect(wrong.status).toBe(400);
    const problem = (await wrong.json()) as { code: string; errors: { path: string }[] };
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors.map((e) => e.path)).toEqual(['cells.0.lon', 'cells.0.rangeM']);
    const doc = (await (await world.request('GET', '/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody: {
              required?: boolean;
              content: Record<string, { schema: { pattern?: string } }>;
            };
          }
        >
      >;
    };
    const body = doc.paths['/v1/operator/cells']?.put?.requestBody;
    expect(body?.required).toBe(true);
    const header = new RegExp(body?.content['text/csv']?.schema.pattern ?? '^$');
    expect(header.test('cellId,radio,lat,lon,rangeM\nC-1,lte,1,2,3')).toBe(true);
    expect(
      header.test(
        'RADIO,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\r\n',
      ),
    ).toBe(true);
    expect(header.test('id,lat,lon\n')).toBe(false);
  });

  it('name the CSV line of every error, and keep the cells they had', async () => {
    const op = await world.operator('TH');
    expect(
      (await put(op.apiKey, 'cellId,radio,lat,lon,rangeM\nK-1,lte,1,2,3\n', 'text/csv')).status,
    ).toBe(200);
    const cases: [string, { path: string; message: RegExp }][] = [
      ['cellId,radio,lat\nK-2,lte,1\n', { path: 'line 1', message: /OpenCellID/ }],
      ['cellId,radio,lat,lon,rangeM\n\nK-2,lte,1,2\n', { path: 'line 3', message: /5 fields/ }],
      [
        'cellId,radio,lat,lon,rangeM\nK-2,lte,1,2,3\nK-3,lte,95,2,3\n',
        { path: 'line 3: lat', message: /latitude/ },
      ],
      [
        'cellId,radio,lat,lon,rangeM\nK-2,lte,1,2,3\n"K-3,lte,1,2,3\n',
        { path: 'line 3', message: /[Qq]uote/ },
      ],
      [
        'radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\nLTE,520,x1,1,1,0,100,13,10,1,1,0,0,0\n',
        { path: 'line 2', message: /net must be digits/ },
      ],
      ['cellId,radio,lat,lon,rangeM\nK-2,cdma,1,2,3\n', { path: 'line 2: radio', message: /gsm/ }],
    ];
    for (const [csv, error] of cases) {
      const res = await put(op.apiKey, csv, 'text/csv');
      expect(res.status, csv).toBe(400);
      const problem = (await res.json()) as {
        code: string;
        errors: { path: string; message: string }[];
      };
      expect(problem.code, csv).toBe('validation_failed');
      expect(problem.errors[0], csv).toEqual({
        path: error.path,
        message: expect.stringMatching(error.message),
      });
    }
    expect((await readBack(op.apiKey)).map((c) => c.cellId)).toEqual(['K-1']);
  });
});

describe('order lifecycle', () => {
  it('goes draft → pending → scheduled → active → expired, by time, with four eyes', async () => {
    const drafted = await officer.request('POST', '/v1/suspension-orders', draftBody());
    expect(drafted.status).toBe(201);
    const order = (await drafted.json()) as {
      id: string;
      status: string;
      version: number;
      impact: { cells: number; frozen: boolean };
    };
    expect(order).toMatchObject({ status: 'draft', version: 1 });
    expect(order.impact).toMatchObject({ cells: 3, frozen: false });

    const early = await approver.request('POST', `/v1/suspension-orders/${order.id}/approve`);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { code: string }).code).toBe('invalid_transition');

    const submitted = await officer.request('POST', `/v1/suspension-orders/${order.id}/submit`);
    expect(((await submitted.json()) as { status: string }).status).toBe('pending_approval');

    const self = await officer.request('POST', `/v1/suspension-orders/${order.id}/approve`);
    expect(self.status).toBe(403);
    expect(((await self.json()) as { code: string }).code).toBe('forbidden');

    const approved = await approver.request('POST', `/v1/suspension-orders/${order.id}/approve`);
    expect(approved.status).toBe(200);
    const view = (await approved.json()) as {
      status: string;
      impact: { cells: number; frozen: boolean; byOperator: Record<string, number> };
      operators: { operatorId: string; overdue: boolean }[];
    };
    expect(view.status).toBe('scheduled');
    expect(view.impact).toMatchObject({ cells: 3, frozen: true });
    expect(view.impact.byOperator).toEqual({ [opA.operatorId]: 2, [opB.operatorId]: 1 });

    const start = world.now();
    try {
      world.setNow(new Date(start.getTime() + 3 * HOUR));
      const active = await auditor.request('GET', `/v1/suspension-orders/${order.id}`);
      expect(((await active.json()) as { status: string }).status).toBe('active');
      world.setNow(new Date(start.getTime() + 6 * DAY));
      const expired = await auditor.request('GET', `/v1/suspension-orders/${order.id}`);
      expect(((await expired.json()) as { status: string }).status).toBe('expired');
    } finally {
      world.setNow(start);
    }
  });

  it('lets only one of two simultaneous approvals through', async () => {
    const res = await officer.request('POST', '/v1/suspension-orders', draftBody());
    const { id } = (await res.json()) as { id: string };
    await officer.request('POST', `/v1/suspension-orders/${id}/submit`);
    const [a, b] = await Promise.all([
      approver.request('POST', `/v1/suspension-orders/${id}/approve`),
      approver2.request('POST', `/v1/suspension-orders/${id}/approve`),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const cells = await world.deps.db
      .selectFrom('order_cells')
      .select('cell_id')
      .where('order_id', '=', id)
      .execute();
    expect(cells).toHaveLength(3);
  });

  it('refuses approval by the drafter even when the drafter is an admin', async () => {
    const admin = await consoleSession(world, 'admin');
    const res = await admin.request('POST', '/v1/suspension-orders', draftBody());
    const { id } = (await res.json()) as { id: string };
    await admin.request('POST', `/v1/suspension-orders/${id}/submit`);
    const self = await admin.request('POST', `/v1/suspension-orders/${id}/approve`);
    expect(self.status).toBe(403);
    expect(((await self.json()) as { code: string }).code).toBe('four_eyes_violation');
    const refused = await world.deps.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id', 'data'])
      .where('subject_id', '=', id)
      .where('outcome', '=', 'refused')
      .execute();
    expect(refused).toEqual([
      {
        action: 'order.approve',
        actor_id: admin.userId,
        data: expect.objectContaining({ decision: 'four_eyes_violation' }),
      },
    ]);
    const state = await admin.request('GET', `/v1/suspension-orders/${id}`);
    expect(((await state.json()) as { status: string }).status).toBe('pending_approval');
  });

  it('enforces the policy: 15 days at most, reasons and legal basis, notes on reject', async () => {
    const long = await officer.request(
      'POST',
      '/v1/suspension-orders',
      draftBody({ endsAt: at(2 * HOUR + 15 * DAY + 1000) }),
    );
    expect(long.status).toBe(400);
    const p = (await long.json()) as { errors: { path: string; message: string }[] };
    expect(p.errors).toContainEqual(expect.objectContaining({ path: 'endsAt' }));
    const backdated = await officer.request(
      'POST',
      '/v1/suspension-orders',
      draftBody({ startsAt: at(-HOUR) }),
    );
    expect(((await backdated.json()) as { errors: { path: string }[] }).errors).toEqual([
      expect.objectContaining({ path: 'startsAt' }),
    ]);
    const bare = await officer.request(
      'POST',
      '/v1/suspension-orders',
      draftBody({ reasons: ' ', legalBasis: '' }),
    );
    const paths = ((await bare.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['reasons', 'legalBasis']));

    const res = await officer.request('POST', '/v1/suspension-orders', draftBody());
    const { id } = (await res.json()) as { id: string };
    await officer.request('POST', `/v1/suspension-orders/${id}/submit`);
    const noNote = await approver.request('POST', `/v1/suspension-orders/${id}/reject`, {});
    expect(noNote.status).toBe(422);
    expect(((await noNote.json()) as { code: string }).code).toBe('note_required');
    const rejected = await approver.request('POST', `/v1/suspension-orders/${id}/reject`, {
      note: 'Legal basis cites a repealed section.',
    });
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toMatchObject({
      status: 'rejected',
      decisionNote: 'Legal basis cites a repealed section.',
    });
  });

  it('lets roles act only within their rights', async () => {
    const draft = await auditor.request('POST', '/v1/suspension-orders', draftBody());
    expect(draft.status).toBe(403);
    const zone = await auditor.request('POST', '/v1/zones', {
      name: 'x',
      riskLevel: 'low',
      geometry: squareZone(LON, LAT),
    });
    expect(zone.status).toBe(403);
    const approverDraft = await approver.request('POST', '/v1/suspension-orders', draftBody());
    expect(approverDraft.status).toBe(403);
    // Analysts work the watchlist: order actions and zones grant them nothing.
    const analyst = await consoleSession(world, 'analyst');
    expect((await analyst.request('POST', '/v1/suspension-orders', draftBody())).status).toBe(403);
    const analystZone = await analyst.request('POST', '/v1/zones', {
      name: 'x',
      riskLevel: 'low',
      geometry: squareZone(LON, LAT),
    });
    expect(analystZone.status).toBe(403);
    const drafted = await officer.request('POST', '/v1/suspension-orders', draftBody());
    const { id: draftedId } = (await drafted.json()) as { id: string };
    expect(
      (await officer.request('POST', `/v1/suspension-orders/${draftedId}/submit`)).status,
    ).toBe(200);
    expect(
      (await analyst.request('POST', `/v1/suspension-orders/${draftedId}/approve`)).status,
    ).toBe(403);
    // Each refusal is in the audit log: who tried which route.
    const denied = await world.deps.db
      .selectFrom('audit_log')
      .select(['actor_id', 'subject_id'])
      .where('action', '=', 'access.denied')
      .where('actor_id', 'in', [auditor.userId, approver.userId])
      .execute();
    expect(denied.map((d) => [d.actor_id, d.subject_id])).toEqual(
      expect.arrayContaining([
        [auditor.userId, 'POST /v1/suspension-orders'],
        [auditor.userId, 'POST /v1/zones'],
        [approver.userId, 'POST /v1/suspension-orders'],
      ]),
    );
    const list = await auditor.request('GET', '/v1/suspension-orders?status=scheduled,draft');
    const statuses = ((await list.json()) as { orders: { status: string }[] }).orders.map(
      (o) => o.status,
    );
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 'scheduled' || s === 'draft')).toBe(true);
    const bad = await auditor.request('GET', '/v1/suspension-orders?status=asleep');
    expect(bad.status).toBe(400);
  });

  it('lifts early with a reason, and amends with a new version listing changed cells', async () => {
    const order = await issuedOrder();
    const amend = await approver.request('POST', `/v1/suspension-orders/${order.id}/amend`, {
      exemptCells: [],
      operatorIds: [opA.operatorId],
    });
    expect(amend.status).toBe(201);
    const v2 = (await amend.json()) as {
      id: string;
      version: number;
      amendsId: string;
      status: string;
      cellChanges: { added: string[]; removed: string[] };
    };
    expect(v2).toMatchObject({ version: 2, amendsId: order.id, status: 'pending_approval' });
    expect(v2.cellChanges).toEqual({
      added: [`${opA.operatorId}/A-hospital`],
      removed: [`${opB.operatorId}/B-in-1`],
    });
    const self = await approver.request('POST', `/v1/suspension-orders/${v2.id}/approve`);
    expect(((await self.json()) as { code: string }).code).toBe('four_eyes_violation');
    const ok = await approver2.request('POST', `/v1/suspension-orders/${v2.id}/approve`);
    expect(((await ok.json()) as { status: string }).status).toBe('scheduled');
    const old = await auditor.request('GET', `/v1/suspension-orders/${order.id}`);
    expect(((await old.json()) as { status: string }).status).toBe('superseded');

    const noReason = await approver.request('POST', `/v1/suspension-orders/${v2.id}/lift`);
    expect(noReason.status).toBe(422);
    const lifted = await approver.request('POST', `/v1/suspension-orders/${v2.id}/lift`, {
      note: 'Compound evacuated; police confirm.',
    });
    expect(await lifted.json()).toMatchObject({ status: 'lifted', liftNote: expect.any(String) });
  });

  it('takes the maximum duration and acknowledgement deadline from configuration', async () => {
    const strict = await createWorld({ ORDER_MAX_DAYS: '3', ORDER_ACK_DEADLINE_HOURS: '2' });
    try {
      const o = await consoleSession(strict, 'officer');
      const a = await consoleSession(strict, 'approver');
      const op = await strict.operator('TH', 'Strict Mobile');
      const z = await o.request('POST', '/v1/zones', {
        name: 'Strict zone',
        riskLevel: 'high',
        geometry: squareZone(LON, LAT),
      });
      const zone = ((await z.json()) as { id: string }).id;
      const body = (days: number) => ({
        ...draftBody({ zoneId: zone, operatorIds: [op.operatorId], exemptCells: [] }),
        startsAt: new Date(strict.now().getTime() + HOUR).toISOString(),
        endsAt: new Date(strict.now().getTime() + HOUR + days * DAY).toISOString(),
      });
      const long = await o.request('POST', '/v1/suspension-orders', body(4));
      expect(
        ((await long.json()) as { errors: { message: string }[] }).errors[0]?.message,
      ).toContain('3 days');
      const ok = await o.request('POST', '/v1/suspension-orders', body(3));
      const { id } = (await ok.json()) as { id: string };
      await o.request('POST', `/v1/suspension-orders/${id}/submit`);
      await a.request('POST', `/v1/suspension-orders/${id}/approve`);
      strict.setNow(new Date(strict.now().getTime() + 3 * HOUR));
      const list = await strict.request('GET', '/v1/operator/suspension-orders', {
        key: op.apiKey,
      });
      const [order] = ((await list.json()) as { orders: { acknowledgementOverdue: boolean }[] })
        .orders;
      expect(order?.acknowledgementOverdue).toBe(true);
    } finally {
      await strict.close();
    }
  });

  it('records a review by someone other than the approver, due 5 days after approval', async () => {
    const order = await issuedOrder({ endsAt: at(10 * DAY) });
    const view = (await (
      await auditor.request('GET', `/v1/suspension-orders/${order.id}`)
    ).json()) as {
      decidedAt: string;
      review: { dueAt: string; overdue: boolean; reviewedAt: string | null };
    };
    expect(new Date(view.review.dueAt).getTime() - new Date(view.decidedAt).getTime()).toBe(
      5 * DAY,
    );
    expect(view.review).toMatchObject({ overdue: false, reviewedAt: null });
    const path = `/v1/suspension-orders/${order.id}/review`;
    const byApprover = await approver.request('POST', path, { note: 'Reviewed my own order.' });
    expect(((await byApprover.json()) as { code: string }).code).toBe('four_eyes_violation');
    const byOfficer = await officer.request('POST', path, { note: 'Reviewed, still needed.' });
    expect(byOfficer.status).toBe(403);
    const short = await approver2.request('POST', path, { note: 'ok' });
    expect(((await short.json()) as { code: string }).code).toBe('note_required');
    const start = world.now();
    try {
      world.setNow(new Date(start.getTime() + 6 * DAY));
      const late = await approver2.request('POST', path, {
        note: 'Committee met; compound still operating, order stays.',
      });
      expect(late.status).toBe(200);
      expect(((await late.json()) as { review: unknown }).review).toMatchObject({
        reviewedBy: approver2.userId,
        overdue: true,
      });
      const again = await approver2.request('POST', path, { note: 'Second review attempt here.' });
      expect(again.status).toBe(409);
    } finally {
      world.setNow(start);
    }
  });

  it('refuses an exemption naming no registered cell of the order operators', async () => {
    const res = await officer.request(
      'POST',
      '/v1/suspension-orders',
      draftBody({ exemptCells: ['A-hospital', 'A-hospitl'], operatorIds: [opB.operatorId] }),
    );
    expect(res.status).toBe(400);
    const errors = ((await res.json()) as { errors: { path: string; message: string }[] }).errors;
    expect(errors.map((e) => [e.path, e.message.split(' ')[0]])).toEqual([
      ['exemptCells', 'A-hospital'],
      ['exemptCells', 'A-hospitl'],
    ]);
  });

  it('refuses to approve a first version after its start (no backdating)', async () => {
    const res = await officer.request('POST', '/v1/suspension-orders', draftBody());
    const { id } = (await res.json()) as { id: string };
    expect((await officer.request('POST', `/v1/suspension-orders/${id}/submit`)).status).toBe(200);
    const start = world.now();
    try {
      world.setNow(new Date(start.getTime() + 3 * HOUR));
      const late = await approver.request('POST', `/v1/suspension-orders/${id}/approve`);
      expect(late.status).toBe(409);
      expect(((await late.json()) as { code: string }).code).toBe('order_window_passed');
    } finally {
      world.setNow(start);
    }
  });

  it('refuses to stretch an order past the maximum by amendment', async () => {
    const order = await issuedOrder({ endsAt: at(14 * DAY) });
    const res = await approver.request('POST', `/v1/suspension-orders/${order.id}/amend`, {
      endsAt: at(2 * HOUR + 16 * DAY),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe('endsAt');
  });
});

describe('operators', () => {
  it('see only their own orders and cells, acknowledge, and report compliance per cell', async () => {
    const order = await issuedOrder();
    const listA = await world.request('GET', '/v1/operator/suspension-orders', { key: opA.apiKey });
    const mine = (
      (await listA.json()) as {
        orders: { id: string; cells: { cellId: string }[]; acknowledgementOverdue: boolean }[];
      }
    ).orders.find((o) => o.id === order.id);
    expect(mine?.cells.map((c) => c.cellId)).toEqual(['A-in-1', 'A-in-2']);
    expect(mine?.acknowledgementOverdue).toBe(false);

    const start = world.now();
    world.setNow(new Date(start.getTime() + 3 * HOUR));
    try {
      const ack = await world.request(
        'POST',
        `/v1/operator/suspension-orders/${order.id}/acknowledge`,
        { key: opA.apiKey },
      );
      expect(await ack.json()).toMatchObject({ orderId: order.id, late: false });
      const report = await world.request(
        'POST',
        `/v1/operator/suspension-orders/${order.id}/compliance`,
        {
          key: opA.apiKey,
          body: {
            suspended: ['A-in-1'],
            failed: [{ cellId: 'A-in-2', cause: 'site unreachable' }],
          },
        },
      );
      expect(report.status).toBe(200);
      const foreign = await world.request(
        'POST',
        `/v1/operator/suspension-orders/${order.id}/compliance`,
        { key: opA.apiKey, body: { suspended: ['B-in-1'] } },
      );
      expect(foreign.status).toBe(400);

      const view = (await (
        await auditor.request('GET', `/v1/suspension-orders/${order.id}`)
      ).json()) as {
        operators: {
          operatorId: string;
          acknowledgedAt: string | null;
          overdue: boolean;
          cells: Record<string, number>;
        }[];
      };
      const a = view.operators.find((o) => o.operatorId === opA.operatorId);
      expect(a?.cells).toMatchObject({ total: 2, suspended: 1, failed: 1, pending: 0 });
      expect(a?.acknowledgedAt).not.toBeNull();

      world.setNow(new Date(start.getTime() + 25 * HOUR));
      const later = (await (
        await auditor.request('GET', `/v1/suspension-orders/${order.id}`)
      ).json()) as { operators: { operatorId: string; overdue: boolean }[] };
      expect(later.operators.find((o) => o.operatorId === opB.operatorId)?.overdue).toBe(true);
      expect(later.operators.find((o) => o.operatorId === opA.operatorId)?.overdue).toBe(false);
    } finally {
      world.setNow(start);
    }
  });

  it('report suspended cells only while the order is active, restored ones once it ended', async () => {
    const order = await issuedOrder({ operatorIds: [opA.operatorId] });
    const report = async (body: Record<string, unknown>) => {
      const res = await world.request(
        'POST',
        `/v1/operator/suspension-orders/${order.id}/compliance`,
        { key: opA.apiKey, body },
      );
      return res.status === 200 ? 200 : ((await res.json()) as { code: string }).code;
    };
    const start = world.now();
    try {
      expect(await report({ restored: ['A-in-1'] })).toBe('invalid_transition');
      world.setNow(new Date(start.getTime() + 3 * HOUR));
      expect(await report({ restored: ['A-in-1'] })).toBe('invalid_transition');
      expect(await report({ failed: [{ cellId: 'A-in-1', cause: '   ' }] })).toBe(
        'validation_failed',
      );
      expect(await report({ suspended: ['A-in-1', 'A-in-2'] })).toBe(200);
      world.setNow(new Date(start.getTime() + 6 * DAY));
      expect(await report({ suspended: ['A-in-1'] })).toBe('invalid_transition');
      expect(await report({ restored: ['A-in-1', 'A-in-2'] })).toBe(200);
    } finally {
      world.setNow(start);
    }
  });

  it('read back only their own cells', async () => {
    const res = await world.request('GET', '/v1/operator/cells', { key: opB.apiKey });
    const cells = ((await res.json()) as { cells: { cellId: string; rangeM: number }[] }).cells;
    expect(cells).toEqual([
      { cellId: 'B-edge', radio: 'lte', lat: 14.16, lon: 102.6, rangeM: 9000 },
      { cellId: 'B-in-1', radio: 'umts', lat: 14.131, lon: 102.601, rangeM: 1500 },
    ]);
  });

  it("answer 404 for another operator's order and never list it", async () => {
    const order = await issuedOrder({ operatorIds: [opA.operatorId] });
    const listB = await world.request('GET', '/v1/operator/suspension-orders', { key: opB.apiKey });
    const ids = ((await listB.json()) as { orders: { id: string }[] }).orders.map((o) => o.id);
    expect(ids).not.toContain(order.id);
    for (const path of ['acknowledge', 'compliance']) {
      const res = await world.request(
        'POST',
        `/v1/operator/suspension-orders/${order.id}/${path}`,
        {
          key: opB.apiKey,
          body: path === 'compliance' ? { suspended: ['A-in-1'] } : undefined,
        },
      );
      expect(res.status).toBe(404);
    }
    const draft = await officer.request('POST', '/v1/suspension-orders', draftBody());
    const { id: draftId } = (await draft.json()) as { id: string };
    const unissued = await world.request(
      'POST',
      `/v1/operator/suspension-orders/${draftId}/acknowledge`,
      { key: opA.apiKey },
    );
    expect(unissued.status).toBe(404);
  });

  it('need an API key, and console sessions cannot use the operator API', async () => {
    expect((await world.request('GET', '/v1/operator/suspension-orders')).status).toBe(401);
    expect((await officer.request('GET', '/v1/operator/suspension-orders')).status).toBe(401);
    expect((await world.request('GET', '/v1/suspension-orders', { key: opA.apiKey })).status).toBe(
      401,
    );
  });
});

describe('transparency and audit', () => {
  it('counts orders by their status as of the scrape in /metrics', async () => {
    const gauge = async (status: string) => {
      const text = await (await world.request('GET', '/metrics')).text();
      const m = new RegExp(`^simline_suspension_orders\\{status="${status}"\\} (\\d+)$`, 'm').exec(
        text,
      );
      return Number(m?.[1] ?? Number.NaN);
    };
    const before = await gauge('scheduled');
    await issuedOrder();
    expect(await gauge('scheduled')).toBe(before + 1);
  });

  it('publishes issued orders without who deliberated, and the audit chain verifies', async () => {
    const first = await issuedOrder();
    const amend = await approver.request('POST', `/v1/suspension-orders/${first.id}/amend`, {
      endsAt: at(4 * DAY),
    });
    const { id: v2 } = (await amend.json()) as { id: string };
    expect((await approver2.request('POST', `/v1/suspension-orders/${v2}/approve`)).status).toBe(
      200,
    );
    const res = await world.request('GET', '/v1/public/suspension-orders');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { orders: Record<string, unknown>[] };
    expect(body.orders.length).toBeGreaterThan(0);
    const text = JSON.stringify(body);
    for (const s of [officer.userId, approver.userId, 'draftedBy', 'decidedBy', 'decisionNote'])
      expect(text).not.toContain(s);
    expect(body.orders[0]).toMatchObject({
      legalBasis: expect.stringContaining('Telecommunications Act'),
      zone: { name: 'Border compound zone' },
    });
    // The replaced version says when it stopped being in force.
    const superseded = body.orders.filter((o) => o.status === 'superseded');
    expect(superseded.length).toBeGreaterThan(0);
    for (const o of superseded) expect(o.supersededAt).toEqual(expect.any(String));
    expect(await verifyAudit(world.deps.db)).toMatchObject({ ok: true });
    const actions = await world.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_type', '=', 'suspension_order')
      .execute();
    const set = new Set(actions.map((a) => a.action));
    for (const a of ['order.drafted', 'order.submitted', 'order.approved', 'order.acknowledged'])
      expect(set).toContain(a);
  });

  it('gives each zone geometry as a GeoJSON object, in the export and to operators', async () => {
    const zone = squareZone(LON, LAT, 4);
    const exported = (await (
      await world.request('GET', '/v1/public/suspension-orders')
    ).json()) as {
      orders: { zone: { name: string; geometry: unknown } }[];
    };
    const border = exported.orders.filter((o) => o.zone.name === 'Border compound zone');
    expect(border.length).toBeGreaterThan(0);
    for (const o of border) expect(o.zone.geometry).toEqual(zone);
    const own = (await (
      await world.request('GET', '/v1/operator/suspension-orders', { key: opA.apiKey })
    ).json()) as { orders: { zone: { geometry: unknown } }[] };
    expect(own.orders.length).toBeGreaterThan(0);
    for (const o of own.orders) expect(o.zone.geometry).toMatchObject({ type: 'Polygon' });
    const doc = (await (await world.request('GET', '/openapi.json')).json()) as {
      components: { schemas: Record<string, unknown> };
    };
    const exportSchema = JSON.stringify(doc.components.schemas.PublicSuspensionOrders);
    expect(exportSchema).toContain('#/components/schemas/ZoneGeometry');
  });

  it('turns geometries stored as JSON strings into objects (migration 0006)', async () => {
    const { sql } = world.deps;
    const [row] = await sql<{ zone_id: string; version: number }[]>`
      select zone_id, version from zone_versions where zone_id = ${zoneId} order by version limit 1`;
    if (!row) throw new Error('no zone version');
    // What zones drawn before the fix hold: the GeoJSON text as a JSON string.
    await sql`update zone_versions set geometry = to_jsonb(geometry::text)
      where zone_id = ${row.zone_id} and version = ${row.version}`;
    const migration = readFileSync(
      new URL('../../migrations/0012_zone_geometry_as_object.sql', import.meta.url),
      'utf8',
    );
    await sql.unsafe(migration);
    const [after] = await sql<{ kind: string; geometry: unknown }[]>`
      select jsonb_typeof(geometry) as kind, geometry from zone_versions
      where zone_id = ${row.zone_id} and version = ${row.version}`;
    expect(after).toEqual({ kind: 'object', geometry: squareZone(LON, LAT, 4) });
  });
});
