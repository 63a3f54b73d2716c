import type { Db } from '../platform/db/client.js';
import type { Logger } from '../platform/log.js';
import type { Cdr } from './cdr.js';
import { ScoringEngine } from './engine.js';
import {
  commitBatch,
  findNewestRegistrations,
  findRegistrations,
  loadOperatorNetworks,
  loadRuleSettings,
  loadStream,
  type StoredAlert,
  serialiseChanges,
} from './queries.js';

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
) {
  const { alerts } = engine.advance();
  const streams = engine
    .streamNames()
    .map((stream) =>
      serialiseChanges(
        stream,
        engine.exportChanges(stream),
        offsets.get(stream) ?? null,
        generations.get(stream) ?? null,
      ),
    );
  return { alerts, streams };
}

/** Writes a taken batch: state, offsets and alerts in one transaction. */
export function writeBatch(
  db: Db,
  batch: ReturnType<typeof takeBatch>,
  now: Date,
): Promise<StoredAlert[]> {
  return db.transaction().execute((tx) => commitBatch(tx, { ...batch, now }));
}

/** Takes and writes in one step. */
export function settleBatch(
  db: Db,
  engine: ScoringEngine,
  offsets: ReadonlyMap<string, number | null>,
  now: Date,
): Promise<StoredAlert[]> {
  return writeBatch(db, takeBatch(engine, offsets), now);
}

export const HTTP_STREAM = 'http';
export const HTTP_IMEI_STREAM = 'http.imei';

export interface IngestCounts {
  accepted: number;
  duplicates: number;
  late: number;
}

/** A record the feeding operator may not give: its index in the batch, and why. */
export interface RefusedRecord {
  index: number;
  error: string;
}

/**
 * The engine behind `POST /v1/cdrs` (the embedded mode without Kafka): one stream, batches
 * applied one at a time, thresholds, allowlist and networks re-read when older than `reloadMs`.
 *
 * An operator feeds only its own lines' records: a record written by another operator's network
 * (`operator`), or of a line actively registered with another operator, or, unregistered, whose
 * records so far came from another operator, is refused. Otherwise any operator could feed
 * another's line, take it over (lines are shown to the operator of their records) and hide it
 * and its alerts from their owner.
 */
export class HttpScorer {
  private engine: ScoringEngine | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private networks: ReadonlyMap<string, string> = new Map();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: { allowedLatenessMs: number; reloadMs: number },
  ) {}

  /** Applies records fed by `operatorId`, in order with other calls. */
  ingest(operatorId: string, records: readonly Cdr[], now: Date) {
    const run = this.queue.then(() => this.apply(operatorId, records, now));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(operatorId: string, records: readonly Cdr[], now: Date) {
    if (this.engine === undefined) {
      this.engine = new ScoringEngine(undefined, this.opts.allowedLatenessMs);
      const stored = await loadStream(this.db, HTTP_STREAM);
      if (stored) this.engine.importStream(HTTP_STREAM, stored.data);
      const imeis = await loadStream(this.db, HTTP_IMEI_STREAM);
      if (imeis) this.engine.importStream(HTTP_IMEI_STREAM, imeis.data, 'imei');
    }
    if (now.getTime() - this.loadedAt >= this.opts.reloadMs) {
      const reference = await loadScorerReference(this.db);
      this.engine.setSettings(reference.settings);
      this.networks = reference.networks;
      this.loadedAt = now.getTime();
    }
    const engine = this.engine;
    const counts: IngestCounts = { accepted: 0, duplicates: 0, late: 0 };
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
      HTTP_STREAM,
      engine.missingRegistrations(HTTP_STREAM, msisdns),
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
        newest.get(r.msisdn)?.activeOperatorId ?? engine.lineOperator(HTTP_STREAM, r.msisdn);
      if (owner !== null && owner !== operatorId) {
        refused.push({ index: i, error: "msisdn: the line is another operator's" });
        continue;
      }
      const outcome = engine.ingest(HTTP_STREAM, r, operatorId);
      if (outcome === 'accepted') {
        counts.accepted++;
        engine.ingestImei(HTTP_IMEI_STREAM, {
          imei: r.imei,
          imsi: r.imsi,
          msisdn: r.msisdn,
          operatorId,
          startedAt: r.startedAt,
        });
      } else if (outcome === 'duplicate') counts.duplicates++;
      else counts.late++;
    }
    try {
      const alerts = await settleBatch(this.db, engine, new Map(), now);
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
