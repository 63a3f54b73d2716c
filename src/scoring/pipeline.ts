import { findOperator } from '../access/queries.js';
import type { Db } from '../platform/db/client.js';
import type { Logger } from '../platform/log.js';
import { WatchlistSync } from '../watchlist/matching/sync.js';
import { type Cdr, futureRecordError } from './cdr.js';
import { type ClockRepair, ScoringEngine } from './engine.js';
import { type GroupAlert, GroupEngine } from './group/engine.js';
import { type GroupSighting, groupSightings } from './group/sighting.js';
import { commitGroupBatch, type GroupCommit, loadGroupStream } from './group-queries.js';
import {
  commitBatch,
  deleteStream,
  findNewestRegistrations,
  findRegistrations,
  listStreams,
  loadOperatorNetworks,
  loadRuleSettings,
  loadStream,
  type StoredAlert,
  serialiseChanges,
} from './queries.js';
import { splitStreamByOperator } from './stored-state.js';

/**
 * Tells the engine the registrations of the lines in a batch it has not seen yet, with one
 * query for all streams, before their records are ingested (new_line_burst joins them).
 */
export async function prepareRegistrations(
  db: Db,
  engine: ScoringEngine,
  byStream: ReadonlyMap<string, Iterable<string>>,
): Promise<void> {
  const missing = new Map<string, string[]>();
  for (const [stream, msisdns] of byStream) {
    const m = engine.missingRegistrations(stream, msisdns);
    if (m.length > 0) missing.set(stream, m);
  }
  if (missing.size === 0) return;
  const found = await findRegistrations(db, [...new Set([...missing.values()].flat())]);
  for (const [stream, m] of missing) engine.provideRegistrations(stream, m, found);
}

/**
 * Takes what the engine did since the last call: alerts raised and each stream's changes,
 * serialised at once so the engine may go on ingesting while `writeBatch` stores them.
 */
export function takeBatch(
  engine: ScoringEngine,
  offsets: ReadonlyMap<string, number | null>,
  generations: ReadonlyMap<string, number> = new Map(),
  /** The streams to take changes of (all by default; alerts are always all). */
  names: readonly string[] = engine.streamNames(),
) {
  const { alerts } = engine.advance();
  const streams = names.map((stream) =>
    serialiseChanges(
      stream,
      engine.exportChanges(stream),
      offsets.get(stream) ?? null,
      generations.get(stream) ?? null,
    ),
  );
  return { alerts, streams };
}

/** Takes what the group engine did since the last call: alerts raised or grown, and changes. */
export function takeGroupBatch(
  group: GroupEngine,
  offsets: ReadonlyMap<string, number | null> = new Map(),
  generations: ReadonlyMap<string, number> = new Map(),
  names: readonly string[] = group.streamNames(),
): GroupBatch {
  const alerts = group.advance();
  const streams = names.map((stream) => ({
    stream,
    changes: group.exportChanges(stream),
    nextOffset: offsets.get(stream) ?? null,
    generation: generations.get(stream) ?? null,
  }));
  return { alerts, streams };
}

export interface GroupBatch {
  alerts: GroupAlert[];
  streams: GroupCommit[];
}

/** Writes a taken batch (and a group batch): state, offsets and alerts in one transaction. */
export function writeBatch(
  db: Db,
  batch: ReturnType<typeof takeBatch>,
  now: Date,
  group?: GroupBatch,
): Promise<StoredAlert[]> {
  return db.transaction().execute(async (tx) => {
    const alerts = await commitBatch(tx, { ...batch, now });
    if (group === undefined) return alerts;
    return [...alerts, ...(await commitGroupBatch(tx, { ...group, now }))];
  });
}

/**
 * The one stream every operator's HTTP records shared before each operator had its own: split by
 * operator at the first start that finds it (`splitLegacyHttpStream`).
 */
export const LEGACY_HTTP_STREAM = 'http';
export const HTTP_STREAM_PREFIX = 'http:';
export const HTTP_IMEI_STREAM = 'http.imei';
/** Group sightings over HTTP: one stream, so a cell or target block spans every operator. */
export const HTTP_GROUP_STREAM = 'http.group';

/**
 * The stream of the records `operatorId` feeds over HTTP: its own watermark, lateness and
 * windows, so nothing another operator sends changes how its records are scored. A line is one
 * operator's on this path (another's records of it are refused), so the streams share no line.
 */
export function httpStream(operatorId: string): string {
  return `${HTTP_STREAM_PREFIX}${operatorId}`;
}

export interface IngestCounts {
  accepted: number;
  duplicates: number;
  late: number;
  /** Refused: dated more than the allowed skew ahead of the server's clock. */
  future: number;
}

/** A record the feeding operator may not give: its index in the batch, and why. */
export interface RefusedRecord {
  index: number;
  error: string;
}

/**
 * Logs a stored clock pulled back at import: which stream, the watermark before and after (null:
 * nothing plausible was left, the next record starts the clock).
 */
export function logClockRepair(log: Logger, r: ClockRepair): void {
  log.warn(
    {
      stream: r.stream,
      watermarkBefore: new Date(r.from).toISOString(),
      watermarkAfter: r.to === null ? null : new Date(r.to).toISOString(),
      droppedHours: r.droppedHours,
    },
    "stored watermark was ahead of the server's clock: pulled back",
  );
}

export interface HttpScorerOptions {
  allowedLatenessMs: number;
  reloadMs: number;
  /** How often watchlist changes are read (at most once per batch). */
  watchlistReloadMs: number;
  maxFutureSkewMs: number;
  /** Group detection (SCORING_GROUPS): records also feed the group engine. */
  groups: boolean;
}

/**
 * Splits the stream all HTTP records shared (`http`) into one stream per operator: each line to
 * the operator whose line it is, with the shared clock (pulled back if it is ahead of `now`),
 * the shared stream deleted in the same transaction. A per-operator stream already stored is
 * kept as it is.
 */
export async function splitLegacyHttpStream(
  db: Db,
  log: Logger,
  opts: HttpScorerOptions,
  now: Date,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const legacy = await loadStream(tx, LEGACY_HTTP_STREAM, { lock: true });
    if (!legacy) return;
    const existing = new Set(await listStreams(tx, HTTP_STREAM_PREFIX));
    const engine = new ScoringEngine(undefined, opts.allowedLatenessMs, opts.maxFutureSkewMs);
    const streams: string[] = [];
    for (const [operatorId, part] of splitStreamByOperator(legacy.data)) {
      const name = httpStream(operatorId);
      if (existing.has(name)) continue;
      const repair = engine.importStream(name, part, 'line', {
        now: now.getTime(),
        rewrite: true,
      });
      if (repair) logClockRepair(log, repair);
      streams.push(name);
    }
    await commitBatch(tx, { ...takeBatch(engine, new Map()), now });
    await deleteStream(tx, LEGACY_HTTP_STREAM);
    log.info({ from: LEGACY_HTTP_STREAM, streams }, 'shared HTTP scoring stream split by operator');
  });
}

/**
 * The engine behind `POST /v1/cdrs` (the embedded mode without Kafka): a stream per feeding
 * operator and one for IMEI sightings, batches applied one at a time, thresholds, allowlist and
 * networks re-read when older than `reloadMs`.
 *
 * An operator feeds only its own lines' records: a record written by another operator's network
 * (`operator`), or of a line actively registered with another operator, or, unregistered, whose
 * records so far came from another operator, is refused. Otherwise any operator could feed
 * another's line, take it over (lines are shown to the operator of their records) and hide it
 * and its alerts from their owner.
 */
export class HttpScorer {
  private engine: ScoringEngine | undefined;
  private group: GroupEngine | undefined;
  private readonly sightings: GroupSighting[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private networks: ReadonlyMap<string, string> = new Map();
  private readonly watchlist: WatchlistSync;
  private watchlistReadAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: HttpScorerOptions,
  ) {
    this.watchlist = new WatchlistSync(db);
  }

  /** Applies records fed by `operatorId`, in order with other calls. */
  ingest(operatorId: string, records: readonly Cdr[], now: Date) {
    const run = this.queue.then(() => this.apply(operatorId, records, now));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The networks (MCC-MNC) of `operatorId`: a record naming none is its sole one's. */
  async networksOf(operatorId: string): Promise<string[]> {
    return (await findOperator(this.db, { operatorId }))?.mcc_mnc ?? [];
  }

  /**
   * Loads every HTTP stream (the shared one split first), each repaired if a record dated too
   * far ahead left its clock ahead of `now`; repaired streams are stored at once.
   */
  private async load(now: Date): Promise<ScoringEngine> {
    await splitLegacyHttpStream(this.db, this.log, this.opts, now);
    const engine = new ScoringEngine(
      undefined,
      this.opts.allowedLatenessMs,
      this.opts.maxFutureSkewMs,
    );
    engine.setWatchlist(this.watchlist.matcher);
    const repaired: string[] = [];
    const streams = [
      ...(await listStreams(this.db, HTTP_STREAM_PREFIX)).map((name) => [name, 'line'] as const),
      [HTTP_IMEI_STREAM, 'imei'] as const,
    ];
    for (const [name, kind] of streams) {
      const stored = await loadStream(this.db, name);
      if (!stored) continue;
      const repair = engine.importStream(name, stored.data, kind, { now: now.getTime() });
      if (!repair) continue;
      logClockRepair(this.log, repair);
      repaired.push(name);
    }
    if (repaired.length > 0)
      await writeBatch(this.db, takeBatch(engine, new Map(), new Map(), repaired), now);
    const group = new GroupEngine(engine.thresholds);
    const storedGroup = await loadGroupStream(this.db, HTTP_GROUP_STREAM);
    if (storedGroup) group.importStream(HTTP_GROUP_STREAM, storedGroup.data);
    this.group = group;
    return engine;
  }

  /**
   * Whose line `msisdn` is when no active registration says: its first feeder's, the operator
   * whose HTTP stream holds its records.
   */
  private feederOf(engine: ScoringEngine, own: string, operatorId: string, msisdn: string) {
    if (engine.lineOperator(own, msisdn) !== null) return operatorId;
    for (const name of engine.streamNames()) {
      if (name === own || !name.startsWith(HTTP_STREAM_PREFIX)) continue;
      const feeder = engine.lineOperator(name, msisdn);
      if (feeder !== null) return feeder;
    }
    return null;
  }

  private async apply(operatorId: string, records: readonly Cdr[], now: Date) {
    if (this.engine === undefined) this.engine = await this.load(now);
    const group = this.group as GroupEngine;
    if (now.getTime() - this.loadedAt >= this.opts.reloadMs) {
      const reference = await loadScorerReference(this.db);
      this.engine.setSettings(reference.settings);
      group.setThresholds(reference.settings.thresholds);
      this.networks = reference.networks;
      this.loadedAt = now.getTime();
    }
    if (now.getTime() - this.watchlistReadAt >= this.opts.watchlistReloadMs) {
      await this.watchlist.poll();
      this.watchlistReadAt = now.getTime();
    }
    const engine = this.engine;
    engine.setNow(now.getTime());
    const stream = httpStream(operatorId);
    const counts: IngestCounts = { accepted: 0, duplicates: 0, late: 0, future: 0 };
    const refused: RefusedRecord[] = [];
    const msisdns = records.map((r) => r.msisdn);
    let newest: Awaited<ReturnType<typeof findNewestRegistrations>>;
    try {
      // One query serves both: the registrations the engine has not seen, and whose line is whose.
      newest = await findNewestRegistrations(this.db, [...new Set(msisdns)]);
    } catch (err) {
      this.engine = undefined;
      throw err;
    }
    engine.provideRegistrations(
      stream,
      engine.missingRegistrations(stream, msisdns),
      new Map([...newest].map(([msisdn, n]) => [msisdn, n.registration])),
    );
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as Cdr;
      const network = this.networks.get(r.operator);
      if (network !== undefined && network !== operatorId) {
        refused.push({ index: i, error: `operator: ${r.operator} is another operator's network` });
        continue;
      }
      const owner =
        newest.get(r.msisdn)?.activeOperatorId ??
        this.feederOf(engine, stream, operatorId, r.msisdn);
      if (owner !== null && owner !== operatorId) {
        refused.push({ index: i, error: "msisdn: the line is another operator's" });
        continue;
      }
      const outcome = engine.ingest(stream, r, operatorId);
      if (outcome === 'accepted') {
        counts.accepted++;
        if (r.type === 'data') continue;
        engine.ingestImei(HTTP_IMEI_STREAM, {
          imei: r.imei,
          imsi: r.imsi,
          msisdn: r.msisdn,
          operatorId,
          startedAt: r.startedAt,
        });
        if (!this.opts.groups) continue;
        const sightings = this.sightings;
        sightings.length = 0;
        const personKey = newest.get(r.msisdn)?.registration.personKey ?? null;
        groupSightings(r, operatorId, personKey, engine.thresholds, sightings);
        for (const g of sightings) group.ingest(HTTP_GROUP_STREAM, g);
      } else if (outcome === 'duplicate') counts.duplicates++;
      else if (outcome === 'late') counts.late++;
      else {
        counts.future++;
        refused.push({ index: i, error: futureRecordError(r.startedAt, engine.maxFutureSkewMs) });
      }
    }
    try {
      const touched = [stream, HTTP_IMEI_STREAM].filter((name) => engine.hasStream(name));
      const alerts = await writeBatch(
        this.db,
        takeBatch(engine, new Map(), new Map(), touched),
        now,
        takeGroupBatch(group, undefined, undefined, group.streamNames()),
      );
      return { counts, refused, alerts };
    } catch (err) {
      this.log.warn({ err }, 'scoring batch failed; reloading the stream state');
      this.engine = undefined;
      throw err;
    }
  }
}

/** Reloads rule settings and the operator networks on an interval (the Kafka scorer's). */
export async function loadScorerReference(db: Db) {
  const [settings, networks] = await Promise.all([loadRuleSettings(db), loadOperatorNetworks(db)]);
  return { settings, networks };
}
