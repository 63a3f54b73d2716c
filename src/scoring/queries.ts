import { type RawBuilder, type Selectable, sql } from 'kysely';
import type { DbOrTx, Tx } from '../platform/db/client.js';
import type { Database } from '../schema.js';
import type { RuleSettings } from './engine.js';
import type { RaisedAlert, Registration } from './line-state.js';
import { DEFAULT_THRESHOLDS, type Thresholds, validateThresholds } from './rules/index.js';
import type { StateRows, StreamExport, StreamImport } from './stored-state.js';

const jsonb = (v: unknown) => sql<unknown>`${JSON.stringify(v)}::text::jsonb`;

/** Rows per multi-row statement, well under Postgres' 65,535 bind parameters. */
const CHUNK = 2000;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Lines that alerted on at least this many distinct lines of one identity flag the identity. */
export const IDENTITY_FLAG_LINES = 2;

/** Thresholds: stored overrides merged over the defaults. */
export async function loadThresholds(db: DbOrTx): Promise<Thresholds> {
  const rows = await db.selectFrom('scoring_thresholds').select(['rule', 'params']).execute();
  const overrides: Record<string, unknown> = {};
  for (const r of rows) overrides[r.rule] = r.params;
  const v = validateThresholds(overrides, DEFAULT_THRESHOLDS);
  return v.ok ? v.thresholds : DEFAULT_THRESHOLDS;
}

/** Thresholds and the whole allowlist, for an engine. */
export async function loadRuleSettings(db: DbOrTx): Promise<RuleSettings> {
  const [thresholds, allow] = await Promise.all([
    loadThresholds(db),
    db.selectFrom('scoring_allowlist').select('msisdn').execute(),
  ]);
  return { thresholds, allowlist: new Set(allow.map((a) => a.msisdn)) };
}

/** Thresholds, and the allowlist as far as one line is concerned (for reading its risk). */
export async function loadRuleSettingsFor(db: DbOrTx, msisdn: string): Promise<RuleSettings> {
  const [thresholds, allowed] = await Promise.all([
    loadThresholds(db),
    db
      .selectFrom('scoring_allowlist')
      .select('msisdn')
      .where('msisdn', '=', msisdn)
      .executeTakeFirst(),
  ]);
  return { thresholds, allowlist: new Set(allowed ? [allowed.msisdn] : []) };
}

/** MCC-MNC -> operator id, for deciding whose line a CDR's `operator` field names. */
export async function loadOperatorNetworks(db: DbOrTx): Promise<Map<string, string>> {
  const rows = await db.selectFrom('operators').select(['id', 'mcc_mnc']).execute();
  const map = new Map<string, string>();
  for (const r of rows) for (const code of r.mcc_mnc) map.set(code, r.id);
  return map;
}

/**
 * The newest registration of each number, and the operator it is active with (null when it was
 * deregistered); one query for a whole batch of lines.
 */
export async function findNewestRegistrations(
  db: DbOrTx,
  msisdns: readonly string[],
): Promise<Map<string, { registration: Registration; activeOperatorId: string | null }>> {
  const found = new Map<string, { registration: Registration; activeOperatorId: string | null }>();
  if (msisdns.length === 0) return found;
  const rows = await sql<{
    msisdn: string;
    created_at: Date;
    person_key: string;
    operator_id: string;
    status: string;
  }>`
    select distinct on (msisdn) msisdn, created_at, person_key, operator_id, status
    from registrations
    where msisdn in (select jsonb_array_elements_text(${JSON.stringify(msisdns)}::text::jsonb))
    order by msisdn, created_at desc`.execute(db);
  for (const r of rows.rows)
    found.set(r.msisdn, {
      registration: { registeredAt: new Date(r.created_at).getTime(), personKey: r.person_key },
      activeOperatorId: r.status === 'active' ? r.operator_id : null,
    });
  return found;
}

/** The newest registration of each number (one query for a whole batch of new lines). */
export async function findRegistrations(
  db: DbOrTx,
  msisdns: readonly string[],
): Promise<Map<string, Registration>> {
  const newest = await findNewestRegistrations(db, msisdns);
  return new Map([...newest].map(([msisdn, n]) => [msisdn, n.registration]));
}

/** A stream's stored state; with `lock`, its head row stays locked for the caller's transaction. */
export async function loadStream(db: DbOrTx, stream: string, opts: { lock?: boolean } = {}) {
  const q = db
    .selectFrom('scoring_streams')
    .select(['clock', 'next_offset'])
    .where('stream', '=', stream);
  const head = await (opts.lock ? q.forUpdate() : q).executeTakeFirst();
  if (!head) return undefined;
  const lines = await db
    .selectFrom('scoring_line_state')
    .select(['msisdn', 'state'])
    .where('stream', '=', stream)
    .execute();
  const hours = await db
    .selectFrom('scoring_line_hours')
    .select(['msisdn', 'hour', 'state'])
    .where('stream', '=', stream)
    .execute();
  const imeis = await db
    .selectFrom('scoring_imei_state')
    .select(['imei', 'state'])
    .where('stream', '=', stream)
    .execute();
  const data: StreamImport = { clock: head.clock, lines, hours, imeis };
  /** bigint arrives as a string from postgres.js. */
  const nextOffset = head.next_offset === null ? null : Number(head.next_offset);
  return { data, nextOffset };
}

/** The names of the stored streams that start with `prefix`. */
export async function listStreams(db: DbOrTx, prefix: string): Promise<string[]> {
  const rows = await db
    .selectFrom('scoring_streams')
    .select('stream')
    .where(sql<boolean>`starts_with(stream, ${prefix})`)
    .orderBy('stream')
    .execute();
  return rows.map((r) => r.stream);
}

/** Deletes a stream: its head, line, hour and IMEI rows. */
export async function deleteStream(tx: Tx, stream: string): Promise<void> {
  await tx.deleteFrom('scoring_line_hours').where('stream', '=', stream).execute();
  await tx.deleteFrom('scoring_line_state').where('stream', '=', stream).execute();
  await tx.deleteFrom('scoring_imei_state').where('stream', '=', stream).execute();
  await tx.deleteFrom('scoring_streams').where('stream', '=', stream).execute();
}

/**
 * Rows of binary state for one statement: their states back to back in `bytes`, each one's
 * 1-based start there and its length.
 */
export interface StateChunk {
  /** Line numbers, or IMEIs. */
  keys: string[];
  /** Hour buckets only. */
  hours: number[];
  starts: number[];
  lengths: number[];
  bytes: Buffer;
}

/**
 * Hour buckets are stored in a ring of slots per line (hour mod 64), so a new hour overwrites one
 * that left every window: rows are updated in place, never inserted and deleted hour by hour.
 * A line keeps at most 24 + lateness + 1 hours, so the lateness is capped at 24 hours (config).
 */
export const HOUR_SLOTS = 64;

/** Rows per state statement: a few megabytes each. */
const STATE_CHUNK = 10_000;

function stateChunks(rows: StateRows): StateChunk[] {
  const { keys, hours, ends, bytes } = rows;
  const out: StateChunk[] = [];
  for (let first = 0; first < keys.length; first += STATE_CHUNK) {
    const last = Math.min(keys.length, first + STATE_CHUNK);
    const from = first === 0 ? 0 : (ends[first - 1] as number);
    const starts: number[] = [];
    const lengths: number[] = [];
    for (let i = first, at = from; i < last; i++) {
      const end = ends[i] as number;
      starts.push(at - from + 1);
      lengths.push(end - at);
      at = end;
    }
    out.push({
      keys: keys.slice(first, last),
      hours: hours.slice(first, last),
      starts,
      lengths,
      bytes: bytes.subarray(from, ends[last - 1]),
    });
  }
  return out;
}

/**
 * Line numbers as one parameter: they are E.164 (`decodeCdr` checks every record), so a comma
 * never occurs in them, and one joined string costs the client far less than a text[] literal
 * escaped element by element.
 */
const lineKeys = (keys: readonly string[]) => sql`string_to_array(${keys.join(',')}, ',')`;

/** Integers as one comma-separated parameter, for the same reason. */
const ints = (xs: readonly number[]) => sql`string_to_array(${xs.join(',')}, ',')::int[]`;

/** A line's stored state in every stream that holds it: its own fields and its hour buckets. */
export async function loadLineState(db: DbOrTx, msisdn: string) {
  const states = await db
    .selectFrom('scoring_line_state')
    .select(['stream', 'state'])
    .where('msisdn', '=', msisdn)
    .execute();
  if (states.length === 0) return { states, hours: [] };
  const hours = await db
    .selectFrom('scoring_line_hours')
    .select(['stream', 'hour', 'state'])
    .where(
      'stream',
      'in',
      states.map((s) => s.stream),
    )
    .where('msisdn', '=', msisdn)
    .execute();
  return { states, hours };
}

/** One stream's changes, serialised when taken, so the engine may go on while they are written. */
export interface StreamCommit {
  stream: string;
  clock: string;
  /** Lines whose own fields changed, and changed hour buckets, in chunks of binary states. */
  lines: StateChunk[];
  hours: StateChunk[];
  /** Changed IMEIs. */
  imeis: StateChunk[];
  removedLines: string | null;
  removedImeis: string | null;
  /** Hour buckets of remaining lines to delete, as lines and hours; null when none. */
  removedHours: { keys: string[]; hours: number[] } | null;
  /** The next offset to consume, or null for streams without offsets (HTTP). */
  nextOffset: number | null;
  /** The owner's generation (Kafka partitions): the write is refused if another took over. */
  generation: number | null;
}

export class FencedError extends Error {
  constructor(readonly stream: string) {
    super(`stream ${stream} was taken over by another scorer`);
    this.name = 'FencedError';
  }
}

/** Takes ownership of a stream before loading it: raises its generation, returns the new one. */
export async function claimStream(db: DbOrTx, stream: string, now: Date): Promise<number> {
  const row = await db
    .insertInto('scoring_streams')
    .values({
      stream,
      clock: sql`${JSON.stringify({ v: 1, maxSeen: null, evaluatedUntil: null })}::text::jsonb`,
      next_offset: null,
      generation: 1,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column('stream').doUpdateSet({ generation: sql`scoring_streams.generation + 1` }),
    )
    .returning('generation')
    .executeTakeFirstOrThrow();
  return Number(row.generation);
}

/** Serialises an engine export for `commitBatch`. */
export function serialiseChanges(
  stream: string,
  changes: StreamExport,
  nextOffset: number | null,
  generation: number | null = null,
): StreamCommit {
  const some = <T>(xs: T[], f: (x: T) => unknown) =>
    xs.length === 0 ? null : JSON.stringify(xs.map(f));
  return {
    stream,
    clock: JSON.stringify(changes.clock),
    lines: stateChunks(changes.lines),
    hours: stateChunks(changes.hours),
    imeis: stateChunks(changes.imeis),
    removedLines: some(changes.removedLines, (x) => x),
    removedImeis: some(changes.removedImeis, (x) => x),
    removedHours: changes.removedHours.keys.length === 0 ? null : changes.removedHours,
    nextOffset,
    generation,
  };
}

export interface StoredAlert {
  id: number;
  msisdn: string;
  operatorId: string | null;
  rule: string;
  score: number;
  windowStart: Date;
  windowEnd: Date;
  evidence: unknown;
  createdAt: Date;
}

export const STORED_ALERT_COLUMNS = [
  'id',
  'msisdn',
  'operator_id',
  'rule',
  'score',
  'window_start',
  'window_end',
  'evidence',
  'created_at',
] as const;

export function storedAlert(r: {
  id: number;
  msisdn: string;
  operator_id: string | null;
  rule: string;
  score: number;
  window_start: Date;
  window_end: Date;
  evidence: unknown;
  created_at: Date;
}): StoredAlert {
  return {
    id: r.id,
    msisdn: r.msisdn,
    operatorId: r.operator_id,
    rule: r.rule,
    score: r.score,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    evidence: r.evidence,
    createdAt: r.created_at,
  };
}

/**
 * Up to `limit` alerts not yet on the alerts topic, oldest first, locked for the caller's
 * transaction: another scorer's publisher skips them instead of sending them twice.
 */
export async function lockUnpublishedAlerts(tx: Tx, limit: number): Promise<StoredAlert[]> {
  const rows = await tx
    .selectFrom('scoring_alerts')
    .select(STORED_ALERT_COLUMNS)
    .where('published_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map(storedAlert);
}

export async function markAlertsPublished(tx: Tx, ids: readonly number[], at: Date) {
  await tx.updateTable('scoring_alerts').set({ published_at: at }).where('id', 'in', ids).execute();
}

/**
 * Writes one batch's effect in the caller's transaction: each stream's state and next offset,
 * new alerts (a replayed alert is skipped by its unique key) and identity flags.
 * Returns the alerts actually inserted.
 */
/**
 * Moves a stream's clock and next offset in the committing transaction. With a `generation`, only
 * the holder of that generation may: another's commit is refused with `FencedError`.
 */
export async function advanceStream(
  tx: Tx,
  s: {
    stream: string;
    clock: RawBuilder<unknown>;
    nextOffset: number | null;
    generation: number | null;
    now: Date;
  },
): Promise<void> {
  const head = await tx
    .insertInto('scoring_streams')
    .values({
      stream: s.stream,
      clock: s.clock,
      next_offset: s.nextOffset,
      generation: s.generation ?? 0,
      updated_at: s.now,
    })
    .onConflict((oc) => {
      const update = oc.column('stream').doUpdateSet({
        clock: sql`excluded.clock`,
        next_offset: (eb) => eb.ref('excluded.next_offset'),
        updated_at: (eb) => eb.ref('excluded.updated_at'),
      });
      return s.generation === null
        ? update
        : update.where('scoring_streams.generation', '=', s.generation);
    })
    .returning('stream')
    .executeTakeFirst();
  if (!head) throw new FencedError(s.stream);
}

export async function commitBatch(
  tx: Tx,
  batch: { streams: StreamCommit[]; alerts: RaisedAlert[]; now: Date },
): Promise<StoredAlert[]> {
  for (const s of batch.streams) {
    await advanceStream(tx, {
      stream: s.stream,
      clock: sql`${s.clock}::text::jsonb`,
      nextOffset: s.nextOffset,
      generation: s.generation,
      now: batch.now,
    });
    // A few statements per table, their rows in array parameters: building thousands of VALUES
    // rows costs far more in the client than Postgres spends reading arrays. Binary states
    // travel as one bytea per chunk, cut by offset; nothing is parsed on either side.
    for (const c of s.lines)
      await sql`
        insert into scoring_line_state (stream, msisdn, state)
        select ${s.stream}, x.m, substring(${c.bytes}::bytea from x.o for x.l)
        from unnest(${lineKeys(c.keys)}, ${ints(c.starts)}, ${ints(c.lengths)}) as x(m, o, l)
        on conflict (stream, msisdn) do update set state = excluded.state`.execute(tx);
    for (const c of s.hours)
      await sql`
        insert into scoring_line_hours (stream, msisdn, slot, hour, state)
        select ${s.stream}, x.m, x.h % ${HOUR_SLOTS}, x.h, substring(${c.bytes}::bytea from x.o for x.l)
        from unnest(${lineKeys(c.keys)}, ${ints(c.hours)}, ${ints(c.starts)}, ${ints(c.lengths)})
          as x(m, h, o, l)
        on conflict (stream, msisdn, slot) do update set hour = excluded.hour, state = excluded.state`.execute(
        tx,
      );
    for (const c of s.imeis)
      await sql`
        insert into scoring_imei_state (stream, imei, state)
        select ${s.stream}, x.i, substring(${c.bytes}::bytea from x.o for x.l)
        from unnest(${c.keys}::text[], ${ints(c.starts)}, ${ints(c.lengths)}) as x(i, o, l)
        on conflict (stream, imei) do update set state = excluded.state`.execute(tx);
    if (s.removedLines !== null) {
      await sql`delete from scoring_line_state where stream = ${s.stream} and msisdn in (
        select jsonb_array_elements_text(${s.removedLines}::text::jsonb))`.execute(tx);
      await sql`delete from scoring_line_hours where stream = ${s.stream} and msisdn in (
        select jsonb_array_elements_text(${s.removedLines}::text::jsonb))`.execute(tx);
    }
    if (s.removedHours !== null)
      await sql`
        delete from scoring_line_hours lh
        using unnest(${lineKeys(s.removedHours.keys)}, ${ints(s.removedHours.hours)}) as x(m, h)
        where lh.stream = ${s.stream} and lh.msisdn = x.m and lh.slot = x.h % ${HOUR_SLOTS}
          and lh.hour = x.h`.execute(tx);
    if (s.removedImeis !== null)
      await sql`delete from scoring_imei_state where stream = ${s.stream} and imei in (
        select jsonb_array_elements_text(${s.removedImeis}::text::jsonb))`.execute(tx);
  }
  const inserted: StoredAlert[] = [];
  for (const part of chunks(batch.alerts, 1000)) {
    const rows = await tx
      .insertInto('scoring_alerts')
      .values(
        part.map((a) => ({
          subject: alertSubject(a),
          msisdn: a.msisdn,
          imei: a.evidence.imei ?? null,
          operator_id: a.operatorId,
          person_key: a.personKey,
          rule: a.rule,
          score: a.score,
          window_start: new Date(a.windowStart),
          window_end: new Date(a.windowEnd),
          evidence: jsonb(a.evidence),
          created_at: batch.now,
        })),
      )
      .onConflict((oc) => oc.columns(['subject', 'rule', 'window_end']).doNothing())
      .returning(STORED_ALERT_COLUMNS)
      .execute();
    for (const r of rows) inserted.push(storedAlert(r));
  }
  const persons = [
    ...new Set(batch.alerts.flatMap((a) => (a.personKey === null ? [] : [a.personKey]))),
  ];
  if (persons.length > 0) await flagIdentities(tx, persons, batch.now);
  return inserted;
}

/**
 * What an alert is raised once per window for: the line, the IMEI, or for a watchlist alert the
 * line and the indicator it matched.
 */
function alertSubject(a: RaisedAlert): string {
  if (a.evidence.indicator !== undefined) return `${a.msisdn}|${a.evidence.indicator.id}`;
  return a.evidence.imei === undefined ? a.msisdn : `imei:${a.evidence.imei}`;
}

/** Flags each identity whose registered lines raised alerts on enough distinct lines. */
export async function flagIdentities(tx: Tx, personKeys: string[], now: Date): Promise<void> {
  const rows = await tx
    .selectFrom('scoring_alerts')
    .select([
      'person_key',
      sql<number>`count(distinct msisdn)::int`.as('lines'),
      sql<string[]>`array_agg(distinct rule)`.as('rules'),
    ])
    .where('person_key', 'in', personKeys)
    .groupBy('person_key')
    .having(sql`count(distinct msisdn)`, '>=', IDENTITY_FLAG_LINES)
    .execute();
  for (const r of rows) {
    if (r.person_key === null) continue;
    await tx
      .updateTable('persons')
      .set({
        flagged_at: sql`coalesce(flagged_at, ${now})`,
        flag_reason: `alerts on ${r.lines} registered lines: ${r.rules.sort().join(', ')}`,
      })
      .where('person_key', '=', r.person_key)
      .execute();
  }
}

/** The columns of an alert the API shows, and its group key (a group alert's member row). */
const ALERT_COLUMNS = [
  'id',
  'msisdn',
  'rule',
  'score',
  'window_start',
  'window_end',
  'evidence',
  'status',
  'created_at',
  'closed_at',
  'group_key',
] as const;

/** An alert as `scoring_alerts` stores it, in `ALERT_COLUMNS`. */
export type AlertRow = Pick<Selectable<Database['scoring_alerts']>, (typeof ALERT_COLUMNS)[number]>;

/** Alerts newest first, one more than `limit` so the caller knows whether a page follows. */
export async function listAlertRows(
  db: DbOrTx,
  f: {
    operatorId?: string;
    rule?: string;
    msisdn?: string;
    status?: 'open' | 'closed';
    since?: Date;
    beforeId?: number;
    limit: number;
  },
): Promise<AlertRow[]> {
  let q = db.selectFrom('scoring_alerts').select(ALERT_COLUMNS);
  if (f.operatorId !== undefined) q = q.where('operator_id', '=', f.operatorId);
  if (f.rule) q = q.where('rule', '=', f.rule);
  if (f.msisdn) q = q.where('msisdn', '=', f.msisdn);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.since) q = q.where('created_at', '>=', f.since);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  return q
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .execute();
}

/** A line's open alerts, newest first; of one operator's lines when `operatorId` is given. */
export async function findOpenAlerts(
  db: DbOrTx,
  { msisdn, operatorId }: { msisdn: string; operatorId?: string },
): Promise<AlertRow[]> {
  let q = db
    .selectFrom('scoring_alerts')
    .select(ALERT_COLUMNS)
    .where('msisdn', '=', msisdn)
    .where('status', '=', 'open');
  if (operatorId !== undefined) q = q.where('operator_id', '=', operatorId);
  return q.orderBy('id', 'desc').execute();
}

/** An alert locked for update; of one operator's lines when `operatorId` is given. */
export async function lockAlert(
  tx: Tx,
  { id, operatorId }: { id: number; operatorId?: string },
): Promise<AlertRow | undefined> {
  let q = tx.selectFrom('scoring_alerts').select(ALERT_COLUMNS).where('id', '=', id);
  if (operatorId !== undefined) q = q.where('operator_id', '=', operatorId);
  return q.forUpdate().executeTakeFirst();
}

export async function markAlertClosed(
  tx: Tx,
  { id, at, by, reason }: { id: number; at: Date; by: string; reason: string },
): Promise<AlertRow> {
  return tx
    .updateTable('scoring_alerts')
    .set({ status: 'closed', closed_at: at, closed_by: by, close_reason: reason })
    .where('id', '=', id)
    .returning(ALERT_COLUMNS)
    .executeTakeFirstOrThrow();
}

/** The stored thresholds of one rule (only those set, not the defaults). */
export async function findThresholdParams(
  db: DbOrTx,
  { rule }: { rule: string },
): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .selectFrom('scoring_thresholds')
    .select('params')
    .where('rule', '=', rule)
    .executeTakeFirst();
  return row?.params as Record<string, unknown> | undefined;
}

export async function upsertThresholds(
  tx: Tx,
  { rule, params, by, at }: { rule: string; params: unknown; by: string; at: Date },
): Promise<void> {
  const value = jsonb(params);
  await tx
    .insertInto('scoring_thresholds')
    .values({ rule, params: value, updated_by: by, updated_at: at })
    .onConflict((oc) =>
      oc.column('rule').doUpdateSet({ params: value, updated_by: by, updated_at: at }),
    )
    .execute();
}

export async function upsertAllowlisted(
  tx: Tx,
  e: { msisdn: string; operatorId: string | null; reason: string; by: string; at: Date },
): Promise<void> {
  await tx
    .insertInto('scoring_allowlist')
    .values({
      msisdn: e.msisdn,
      operator_id: e.operatorId,
      reason: e.reason,
      added_by: e.by,
      created_at: e.at,
    })
    .onConflict((oc) => oc.column('msisdn').doUpdateSet({ reason: e.reason, added_by: e.by }))
    .execute();
}

/**
 * The line alerts (not group members) of windows ending after `since`, for `cdr evaluate`: the
 * line, the rule and, for imei_multi_sim, the handset.
 */
export async function listLineAlertSubjects(
  db: DbOrTx,
  { since }: { since: Date },
): Promise<{ msisdn: string; rule: string; imei: string | null }[]> {
  return db
    .selectFrom('scoring_alerts')
    .select(['msisdn', 'rule', 'imei'])
    .where('group_key', 'is', null)
    .where('window_end', '>', since)
    .execute();
}
