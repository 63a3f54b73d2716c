import { type Selectable, sql } from 'kysely';
import type { DbOrTx, Tx } from '../platform/db/client.js';
import type { Database } from '../schema.js';
import type { GroupAlert, GroupExport, GroupImport } from './group/engine.js';
import { type StoredShared, sharedFor } from './group/visibility.js';
import {
  advanceStream,
  flagIdentities,
  STORED_ALERT_COLUMNS,
  type StoredAlert,
  storedAlert,
} from './queries.js';

const jsonb = (v: unknown) => sql<unknown>`${JSON.stringify(v)}::text::jsonb`;

/** Registrations of member lines at one point of sale within this many hours are evidence. */
export const SAME_OUTLET_HOURS = 6;

/** A group stream's changes and alerts, taken from the engine at once. */
export interface GroupCommit {
  stream: string;
  changes: GroupExport;
  nextOffset: number | null;
  generation: number | null;
}

/** A group stream's stored state and the next offset to read (null over HTTP). */
export async function loadGroupStream(
  db: DbOrTx,
  stream: string,
): Promise<{ data: GroupImport; nextOffset: number | null } | undefined> {
  const head = await db
    .selectFrom('scoring_streams')
    .select(['clock', 'next_offset'])
    .where('stream', '=', stream)
    .executeTakeFirst();
  if (!head) return undefined;
  const states = await db
    .selectFrom('scoring_group_state')
    .select(['group_key as key', 'member', 'state'])
    .where('stream', '=', stream)
    .execute();
  const newestDay = (head.clock as { newestDay?: number | null }).newestDay ?? null;
  return {
    data: { newestDay, states },
    nextOffset: head.next_offset === null ? null : Number(head.next_offset),
  };
}

/**
 * Writes group streams' state and offsets, and their alerts, in the caller's transaction: each
 * group alert once per rule, key and day (its members and evidence grown by later additions), and
 * one row per member line in `scoring_alerts` (unique per group key, line, rule and day).
 * Returns the member rows inserted (for the alerts topic and metrics).
 */
export async function commitGroupBatch(
  tx: Tx,
  batch: { streams: GroupCommit[]; alerts: GroupAlert[]; now: Date },
): Promise<StoredAlert[]> {
  for (const s of batch.streams) {
    await advanceStream(tx, {
      stream: s.stream,
      clock: jsonb({ newestDay: s.changes.newestDay }),
      nextOffset: s.nextOffset,
      generation: s.generation,
      now: batch.now,
    });
    const { states, removed, removedMembers } = s.changes;
    // Removals first: a key removed and created again since is in `states` in full.
    if (removed.length > 0)
      await tx
        .deleteFrom('scoring_group_state')
        .where('stream', '=', s.stream)
        .where('group_key', 'in', removed)
        .execute();
    if (removedMembers.length > 0)
      await sql`
        delete from scoring_group_state g
        using unnest(${removedMembers.map((x) => x.key)}::text[], ${removedMembers.map((x) => x.member)}::text[]) as x(k, m)
        where g.stream = ${s.stream} and g.group_key = x.k
          and (g.member = x.m or left(g.member, length(x.m) + 1) = x.m || '#')`.execute(tx);
    if (states.length > 0)
      await sql`
        insert into scoring_group_state (stream, group_key, member, state)
        select ${s.stream}, x.k, x.m, x.s
        from unnest(${states.map((x) => x.key)}::text[], ${states.map((x) => x.member)}::text[], ${states.map((x) => x.state)}::text[]) as x(k, m, s)
        on conflict (stream, group_key, member) do update set state = excluded.state`.execute(tx);
  }
  const inserted: StoredAlert[] = [];
  if (batch.alerts.length === 0) return inserted;
  const outlets = await sameOutletEvidence(tx, [
    ...new Set(batch.alerts.flatMap((a) => a.members.map((m) => m.msisdn))),
  ]);
  for (const a of batch.alerts) {
    const memberLines = a.members.map((m) => m.msisdn);
    const outlet = outletsOf(outlets, memberLines);
    const evidence = { checks: a.checks, shared: { ...a.shared, ...outlet } };
    await tx
      .insertInto('scoring_group_alerts')
      .values({
        rule: a.rule,
        group_key: a.groupKey,
        window_start: new Date(a.windowStart),
        window_end: new Date(a.windowEnd),
        score: a.score,
        members: jsonb(a.members),
        member_count: a.members.length,
        evidence: jsonb(evidence),
        created_at: batch.now,
        updated_at: batch.now,
      })
      .onConflict((oc) =>
        oc.columns(['rule', 'group_key', 'window_end']).doUpdateSet({
          score: (eb) => eb.ref('excluded.score'),
          members: sql`excluded.members`,
          member_count: (eb) => eb.ref('excluded.member_count'),
          evidence: sql`excluded.evidence`,
          updated_at: (eb) => eb.ref('excluded.updated_at'),
        }),
      )
      .execute();
    const added = new Set(a.added);
    const shared: StoredShared = { ...a.shared, ...outlet };
    /** Per operator, what its member rows may show of what the members share. */
    const sharedOf = new Map<string | null, StoredShared>();
    const visibleTo = (operatorId: string | null) => {
      let v = sharedOf.get(operatorId);
      if (v === undefined) {
        const own = a.members.filter((m) => m.operatorId === operatorId);
        v = sharedFor(shared, own, outletsOfLines(outlets, own));
        sharedOf.set(operatorId, v);
      }
      return v;
    };
    const rows = a.members
      .filter((m) => added.has(m.msisdn))
      .map((m) => ({
        subject: `${a.groupKey}|${m.msisdn}`,
        msisdn: m.msisdn,
        imei: null,
        operator_id: m.operatorId,
        person_key: m.personKey,
        rule: a.rule,
        score: a.score,
        window_start: new Date(a.windowStart),
        window_end: new Date(a.windowEnd),
        // What the line's operator may see: the group's totals, what its own lines share with
        // the others, this line's own figures; never the other members' numbers, handsets or
        // points of sale (they may be other operators' lines).
        evidence: jsonb({
          checks: a.checks,
          lineScore: a.score,
          group: {
            key: a.groupKey,
            memberLines: a.members.length,
            shared: visibleTo(m.operatorId),
          },
          member: m,
        }),
        created_at: batch.now,
        group_key: a.groupKey,
      }));
    if (rows.length === 0) continue;
    const out = await tx
      .insertInto('scoring_alerts')
      .values(rows)
      .onConflict((oc) => oc.columns(['subject', 'rule', 'window_end']).doNothing())
      .returning(STORED_ALERT_COLUMNS)
      .execute();
    for (const r of out) inserted.push(storedAlert(r));
  }
  const persons = [
    ...new Set(
      batch.alerts.flatMap((a) => a.members.flatMap((m) => (m.personKey ? [m.personKey] : []))),
    ),
  ];
  if (persons.length > 0) await flagIdentities(tx, persons, batch.now);
  return inserted;
}

type OutletRows = Map<string, { outlet: string; at: number; person: string }>;

/** The points of sale where `lines` were registered (newest registration of each). */
export function outletsOfLines(
  rows: OutletRows,
  lines: readonly { msisdn: string }[],
): Set<string> {
  const out = new Set<string>();
  for (const l of lines) {
    const r = rows.get(l.msisdn);
    if (r !== undefined) out.add(r.outlet);
  }
  return out;
}

/** The newest registration's point of sale and time of each line. */
export async function sameOutletEvidence(tx: Tx, msisdns: string[]): Promise<OutletRows> {
  const found: OutletRows = new Map();
  if (msisdns.length === 0) return found;
  const rows = await sql<{
    msisdn: string;
    pos_outlet_id: string;
    created_at: Date;
    person_key: string;
  }>`
    select distinct on (msisdn) msisdn, pos_outlet_id, created_at, person_key
    from registrations
    where msisdn in (select jsonb_array_elements_text(${JSON.stringify(msisdns)}::text::jsonb))
    order by msisdn, created_at desc`.execute(tx);
  for (const r of rows.rows)
    found.set(r.msisdn, {
      outlet: r.pos_outlet_id,
      at: new Date(r.created_at).getTime(),
      person: r.person_key,
    });
  return found;
}

/**
 * Registration facts of a group: points of sale where two or more distinct persons registered
 * member lines within `SAME_OUTLET_HOURS` of each other, and how many member lines that covers.
 */
function outletsOf(rows: OutletRows, members: readonly string[]) {
  const byOutlet = new Map<string, { at: number; person: string; msisdn: string }[]>();
  let registered = 0;
  for (const msisdn of members) {
    const r = rows.get(msisdn);
    if (r === undefined) continue;
    registered++;
    const list = byOutlet.get(r.outlet) ?? [];
    list.push({ at: r.at, person: r.person, msisdn });
    byOutlet.set(r.outlet, list);
  }
  const outlets: string[] = [];
  let lines = 0;
  for (const [outlet, list] of byOutlet) {
    list.sort((x, y) => x.at - y.at);
    const close = new Set<string>();
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as { at: number; person: string; msisdn: string };
      const b = list[i] as { at: number; person: string; msisdn: string };
      if (a.person !== b.person && b.at - a.at <= SAME_OUTLET_HOURS * 3_600_000) {
        close.add(a.msisdn);
        close.add(b.msisdn);
      }
    }
    if (close.size === 0) continue;
    outlets.push(outlet);
    lines += close.size;
  }
  return {
    registeredLines: registered,
    sameOutletWithinHours: outlets.sort(),
    sameOutletLines: lines,
  };
}

/** Every member line of the group alerts raised since `since` (for `cdr evaluate`). */
export async function listGroupAlertMembers(
  db: DbOrTx,
  { since }: { since: Date },
): Promise<{ rule: string; groupKey: string; windowEnd: Date; msisdn: string }[]> {
  const rows = await db
    .selectFrom('scoring_alerts')
    .select(['rule', 'group_key', 'window_end', 'msisdn'])
    .where('group_key', 'is not', null)
    .where('window_end', '>', since)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    rule: r.rule,
    groupKey: r.group_key as string,
    windowEnd: r.window_end,
    msisdn: r.msisdn,
  }));
}

/** A group alert as `scoring_group_alerts` stores it. */
export type GroupAlertRow = Selectable<Database['scoring_group_alerts']>;

/** Where a page of group alerts continues: below this window end and id. */
export interface GroupAlertPosition {
  windowEnd: Date;
  id: number;
}

/**
 * Group alerts, newest day first (then newest raised first), one more than `limit` so the caller
 * knows whether a page follows; with `operatorId`, only groups holding one of its lines.
 */
export async function listGroupAlertRows(
  db: DbOrTx,
  f: {
    operatorId?: string;
    rule?: string;
    since?: Date;
    until?: Date;
    after?: GroupAlertPosition;
    limit: number;
  },
): Promise<GroupAlertRow[]> {
  let q = db.selectFrom('scoring_group_alerts').selectAll();
  if (f.operatorId !== undefined)
    q = q.where(sql<boolean>`members @> ${jsonb([{ operatorId: f.operatorId }])}`);
  if (f.rule) q = q.where('rule', '=', f.rule);
  if (f.since) q = q.where('window_end', '>', f.since);
  if (f.until) q = q.where('window_start', '<', f.until);
  if (f.after) {
    const { windowEnd, id } = f.after;
    q = q.where(sql<boolean>`(window_end, id) < (${windowEnd}::timestamptz, ${id}::bigint)`);
  }
  return q
    .orderBy('window_end', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .execute();
}

export async function findGroupAlertRow(
  db: DbOrTx,
  { id }: { id: number },
): Promise<GroupAlertRow | undefined> {
  return db.selectFrom('scoring_group_alerts').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The member lines' own alert rows of one group alert (its rule, key and day), found by their
 * subjects (`<group key>|<line>`) through the alerts' unique key.
 */
export async function findGroupMemberAlerts(
  db: DbOrTx,
  g: { rule: string; groupKey: string; windowEnd: Date; msisdns: readonly string[] },
): Promise<{ id: number; msisdn: string; status: string }[]> {
  if (g.msisdns.length === 0) return [];
  return db
    .selectFrom('scoring_alerts')
    .select(['id', 'msisdn', 'status'])
    .where(
      'subject',
      'in',
      g.msisdns.map((m) => `${g.groupKey}|${m}`),
    )
    .where('rule', '=', g.rule)
    .where('window_end', '=', g.windowEnd)
    .execute();
}

/**
 * The group alerts of these rules, keys and days as they stand now (their score and member count
 * grow as members are added; a member's own alert row keeps those of when it joined), by
 * `groupAlertRef`.
 */
export async function findGroupAlertsByRef(
  db: DbOrTx,
  refs: readonly { rule: string; groupKey: string; windowEnd: Date }[],
): Promise<Map<string, { id: number; score: number; memberCount: number }>> {
  if (refs.length === 0) return new Map();
  const rows = await db
    .selectFrom('scoring_group_alerts')
    .select(['id', 'rule', 'group_key', 'window_end', 'score', 'member_count'])
    .where((eb) =>
      eb.or(
        refs.map((r) =>
          eb.and([
            eb('rule', '=', r.rule),
            eb('group_key', '=', r.groupKey),
            eb('window_end', '=', r.windowEnd),
          ]),
        ),
      ),
    )
    .execute();
  return new Map(
    rows.map((r) => [
      groupAlertRef({ rule: r.rule, groupKey: r.group_key, windowEnd: r.window_end }),
      { id: r.id, score: r.score, memberCount: r.member_count },
    ]),
  );
}

/** One group alert's identity as a string: its rule, key and day. */
export function groupAlertRef(r: { rule: string; groupKey: string; windowEnd: Date }): string {
  return `${r.rule}|${r.groupKey}|${r.windowEnd.toISOString()}`;
}
