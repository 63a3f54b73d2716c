import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { listGroupAlertMembers } from '../../src/scoring/group-queries.js';
import { setThresholds } from '../../src/scoring/service.js';
import { campaignLine, ndjson, postCdrs } from '../support/cdrs.js';
import { consoleSession } from '../support/console.js';
import { msisdn } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let opA: { operatorId: string; apiKey: string };
let opB: { operatorId: string; apiKey: string };
const T = Date.parse('2026-11-25T09:00:00Z');
const CELL = '520-01-77-7001';

beforeAll(async () => {
  w = await createWorld({ SCORING_RELOAD_MS: '0' });
  opA = await w.operator('TH');
  opB = await w.operator('TH');
});
afterAll(() => w.close());

/** A campaign line from one compound's cell at T. */
const line = (msisdn: string, cellId = CELL) => campaignLine(msisdn, cellId, T);

interface AlertJson {
  msisdn: string;
  rule: string;
  windowEnd: string;
  evidence: {
    lineScore: number;
    group?: { key: string; memberLines: number; shared: Record<string, unknown> };
    member?: { msisdn: string; outgoingCalls: number };
  };
}

describe('group alerts over POST /v1/cdrs', () => {
  const linesA = [msisdn(), msisdn()];
  const linesB = [msisdn(), msisdn()];

  it('raises coordinated_calling once for a cell shared by two operators, each member line showing it', async () => {
    const since = new Date(T - 86_400_000);
    // Each line alone is far under every line rule; two lines a cell are not a group yet.
    await postCdrs(
      w,
      opA.apiKey,
      linesA.flatMap((l) => line(l)),
    );
    expect(await listGroupAlertMembers(w.deps.db, { since })).toEqual([]);
    await postCdrs(
      w,
      opB.apiKey,
      linesB.flatMap((l) => line(l)),
    );
    const members = await listGroupAlertMembers(w.deps.db, { since });
    expect(members.map((m) => m.msisdn).sort()).toEqual([...linesA, ...linesB].sort());
    for (const m of members)
      expect(m).toMatchObject({
        rule: 'coordinated_calling',
        groupKey: `cell:${CELL}`,
        windowEnd: new Date('2026-11-26T00:00:00Z'),
      });
    const groups = await w.deps.db.selectFrom('scoring_group_alerts').selectAll().execute();
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ rule: 'coordinated_calling', member_count: 4 });

    // An operator sees its own member lines only, with the group's totals but not the others.
    const own = (await (
      await w.request('GET', '/v1/alerts?rule=coordinated_calling', { key: opA.apiKey })
    ).json()) as { items: AlertJson[] };
    expect(own.items.map((a) => a.msisdn).sort()).toEqual([...linesA].sort());
    const first = own.items[0] as AlertJson;
    expect(first.evidence.group).toMatchObject({ key: `cell:${CELL}`, memberLines: 4 });
    expect(first.evidence.member).toMatchObject({ msisdn: first.msisdn, outgoingCalls: 30 });
    expect(JSON.stringify(own.items)).not.toContain(linesB[0]);

    const risk = await w.request(
      'GET',
      `/v1/lines/${encodeURIComponent(linesB[0] as string)}/risk`,
      {
        key: opB.apiKey,
      },
    );
    const body = (await risk.json()) as { openAlerts: AlertJson[]; enhancedMonitoring: boolean };
    expect(body.enhancedMonitoring).toBe(true);
    expect(body.openAlerts.map((a) => a.rule)).toEqual(['coordinated_calling']);

    // The regulator sees every member line.
    const auditor = await consoleSession(w, 'auditor');
    const all = (await (
      await auditor.request('GET', '/v1/alerts?rule=coordinated_calling')
    ).json()) as { items: AlertJson[] };
    expect(all.items.map((a) => a.msisdn).sort()).toEqual([...linesA, ...linesB].sort());
  });

  it('adds a line that joins the group later, after a restart, and raises nothing twice', async () => {
    const since = new Date(T - 86_400_000);
    // A new app loads the group state from PostgreSQL, as a restarted process does.
    const app = buildApp(w.deps);
    const late = msisdn();
    const res = await app.request('/v1/cdrs', {
      method: 'POST',
      headers: { authorization: `Bearer ${opA.apiKey}`, 'content-type': 'application/x-ndjson' },
      body: ndjson([...line(late), ...linesA.flatMap((l) => line(l))]),
    });
    expect(res.status).toBe(202);
    const members = await listGroupAlertMembers(w.deps.db, { since });
    expect(members.map((m) => m.msisdn).sort()).toEqual([...linesA, ...linesB, late].sort());
    const groups = await w.deps.db.selectFrom('scoring_group_alerts').selectAll().execute();
    expect(groups.map((g) => g.member_count)).toEqual([5]);
  });

  it('reads thresholds set at run time (thresholds set)', async () => {
    const ctx = { db: w.deps.db, actor: 'test', now: w.now() };
    const result = await setThresholds({
      ctx,
      input: { rule: 'coordinated_calling', params: { membersAtLeast: 6 } },
    });
    expect(result.thresholds).toMatchObject({ membersAtLeast: 6 });
    const cell = '520-01-77-7002';
    const lines = [msisdn(), msisdn(), msisdn(), msisdn()];
    await postCdrs(
      w,
      opA.apiKey,
      lines.flatMap((l) => line(l, cell)),
    );
    const members = await listGroupAlertMembers(w.deps.db, { since: new Date(T - 86_400_000) });
    expect(members.filter((m) => m.groupKey === `cell:${cell}`)).toEqual([]);
    await postCdrs(
      w,
      opA.apiKey,
      [msisdn(), msisdn()].flatMap((l) => line(l, cell)),
    );
    const after = await listGroupAlertMembers(w.deps.db, { since: new Date(T - 86_400_000) });
    expect(after.filter((m) => m.groupKey === `cell:${cell}`)).toHaveLength(6);
  });
});
