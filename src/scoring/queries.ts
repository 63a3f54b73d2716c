import { sql } from 'kysely';
import type { DbOrTx, Tx } from '../platform/db/client.js';
import type {
  RaisedAlert,
  Registration,
  RuleSettings,
  StreamExport,
  StreamImport,
} from './engine.js';
import { DEFAULT_THRESHOLDS, type Thresholds, validateThresholds } from './rules.js';

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

/** Thresholds (stored overrides merged over the defaults) and the allowlist. */
export async function loadRuleSettings(db: DbOrTx): Promise<RuleSettings> {
  const rows = await db.selectFrom('scoring_thresholds').select(['rule', 'params']).execute();
  const overrides: Record<string, unknown> = {};
  for (const r of rows) overrides[r.rule] = r.params;
  const v = validateThresholds(overrides, DEFAULT_THRESHOLDS);
  const thresholds: Thresholds = v.ok ? v.thresholds : DEFAULT_THRESHOLDS;
  const allow = await db.selectFrom('scoring_allowlist').select('msisdn').execute();
  return { thresholds, allowlist: new Set(allow.map((a) => a.msisdn)) };
}

/** MCC-MNC -> operator id, for deciding whose line a CDR's `operator` field names. */
export async function loadOperatorNetworks(db: DbOrTx): Promise<Map<string, string>> {
  const rows = await db.selectFrom('operators').select(['id', 'mcc_mnc']).execute();
  const map = new Map<string, string>();
  for (const r of rows) for (const code of r.mcc_mnc) map.set(code, r.id);
  return map;
}

/** The newest registration of each number (one query for a whole batch of new lines). */
export async function findRegistrations(
  db: DbOrTx,
  msisdns: readonly string[],
): Promise<Map<string, Registration>> {
  const found = new Map<string, Registration>();
  if (msisdns.length === 0) return found;
  const rows = await sql<{ msisdn: string; created_at: Date; person_key: string }>`
    select distinct on (msisdn) msisdn, created_at, person_key from registrations
    where msisdn in (select jsonb_array_elements_text(${JSON.stringify(msisdns)}::text::jsonb))
    order by msisdn, created_at desc`.execute(db);
  for (const r of rows.rows)
    found.set(r.msisdn, {
      registeredAt: new Date(r.created_at).getTime(),
      personKey: r.person_key,
    });
  return found;
}

export async function loadStream(db: DbOrTx, stream: string) {
  const head = await db
    .selectFrom('scoring_streams')
    .select(['clock', 'next_offset'])
    .where('stream', '=', stream)
    .executeTakeFirst();
  if (!head) return undefined;
  const lines = await db
    .selectFrom('scoring_line_state')
    .select(['msisdn', 'state'])
    .where('stream', '=', stream)
    .execute();
  const imeis = await db
    .selectFrom('scoring_imei_state')
    .select(['imei', 'state'])
    .where('stream', '=', stream)
    .execute();
  const data: StreamImport = { clock: head.clock, lines, imeis };
  /** bigint arrives as a string from postgres.js. */
  const nextOffset = head.next_offset === null ? null : Number(head.next_offset);
  return { data, nextOffset };
}

/** One stream's changes, serialised when taken, so the engine may go on while they are written. */
export interface StreamCommit {
  stream: string;
  clock: string;
  /** JSON arrays of `{ m, s }` (lines) and `{ i, s }` (IMEIs). */
  lines: string | null;
  imeis: string | null;
  removedLines: string | null;
  removedImeis: string | null;
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
    lines: some(changes.lines, (l) => ({ m: l.msisdn, s: l.state })),
    imeis: some(changes.imeis, (i) => ({ i: i.imei, s: i.state })),
    removedLines: some(changes.removedLines, (x) => x),
    removedImeis: some(changes.removedImeis, (x) => x),
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

/**
 * Writes one batch's effect in the caller's transaction: each stream's state and next offset,
 * new alerts (a replayed alert is skipped by its unique key) and identity flags.
 * Returns the alerts actually inserted.
 */
export async function commitBatch(
  tx: Tx,
  batch: { streams: StreamCommit[]; alerts: RaisedAlert[]; now: Date },
): Promise<StoredAlert[]> {
  for (const s of batch.streams) {
    const head = await tx
      .insertInto('scoring_streams')
      .values({
        stream: s.stream,
        clock: sql`${s.clock}::text::jsonb`,
        next_offset: s.nextOffset,
        generation: s.generation ?? 0,
        updated_at: batch.now,
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
    // One statement per table, its rows in one JSON parameter: building thousands of VALUES
    // rows costs far more in the client than Postgres spends reading a JSON array.
    if (s.lines !== null)
      await sql`
        insert into scoring_line_state (stream, msisdn, state)
        select ${s.stream}, x.m, x.s from jsonb_to_recordset(${s.lines}::text::jsonb) as x(m text, s jsonb)
        on conflict (stream, msisdn) do update set state = excluded.state`.execute(tx);
    if (s.imeis !== null)
      await sql`
        insert into scoring_imei_state (stream, imei, state)
        select ${s.stream}, x.i, x.s from jsonb_to_recordset(${s.imeis}::text::jsonb) as x(i text, s jsonb)
        on conflict (stream, imei) do update set state = excluded.state`.execute(tx);
    if (s.removedLines !== null)
      await sql`delete from scoring_line_state where stream = ${s.stream} and msisdn in (
        select jsonb_array_elements_text(${s.removedLines}::text::jsonb))`.execute(tx);
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
          subject: a.evidence.imei === undefined ? a.msisdn : `imei:${a.evidence.imei}`,
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
      .returning([
        'id',
        'msisdn',
        'operator_id',
        'rule',
        'score',
        'window_start',
        'window_end',
        'evidence',
        'created_at',
      ])
      .execute();
    for (const r of rows)
      inserted.push({
        id: r.id,
        msisdn: r.msisdn,
        operatorId: r.operator_id,
        rule: r.rule,
        score: r.score,
        windowStart: r.window_start,
        windowEnd: r.window_end,
        evidence: r.evidence,
        createdAt: r.created_at,
      });
  }
  const persons = [
    ...new Set(batch.alerts.flatMap((a) => (a.personKey === null ? [] : [a.personKey]))),
  ];
  if (persons.length > 0) await flagIdentities(tx, persons, batch.now);
  return inserted;
}

/** Flags each identity whose registered lines raised alerts on enough distinct lines. */
async function flagIdentities(tx: Tx, personKeys: string[], now: Date): Promise<void> {
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
