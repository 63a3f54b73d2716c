import type { Db } from '../platform/db/client.js';
import type { Logger } from '../platform/log.js';
import type { Cdr } from './cdr.js';
import { ScoringEngine } from './engine.js';
import {
  commitBatch,
  findRegistrations,
  loadOperatorNetworks,
  loadRuleSettings,
  loadStream,
  type StoredAlert,
} from './queries.js';

/**
 * Settles what the engine took in since the last call: looks up registrations of new lines in
 * one query, evaluates, and writes state, offsets and alerts in one transaction.
 */
export async function settleBatch(
  db: Db,
  engine: ScoringEngine,
  offsets: ReadonlyMap<string, number | null>,
  now: Date,
): Promise<StoredAlert[]> {
  const pending = engine.pendingRegistrations();
  if (pending.length > 0) engine.setRegistrations(await findRegistrations(db, pending));
  const { alerts, risks } = engine.advance();
  const streams = engine.streamNames().map((stream) => ({
    stream,
    changes: engine.exportChanges(stream),
    nextOffset: offsets.get(stream) ?? null,
  }));
  return db.transaction().execute((tx) => commitBatch(tx, { streams, alerts, risks, now }));
}

export const HTTP_STREAM = 'http';

export interface IngestCounts {
  accepted: number;
  duplicates: number;
  late: number;
}

/**
 * The engine behind `POST /v1/cdrs` (the embedded mode without Kafka): one stream, batches
 * applied one at a time, thresholds and allowlist re-read when older than `reloadMs`.
 */
export class HttpScorer {
  private engine: ScoringEngine | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private loadedAt = Number.NEGATIVE_INFINITY;

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
    }
    if (now.getTime() - this.loadedAt >= this.opts.reloadMs) {
      this.engine.setSettings(await loadRuleSettings(this.db));
      this.loadedAt = now.getTime();
    }
    const engine = this.engine;
    const counts: IngestCounts = { accepted: 0, duplicates: 0, late: 0 };
    for (const r of records) {
      const outcome = engine.ingest(HTTP_STREAM, r, operatorId);
      if (outcome === 'accepted') {
        counts.accepted++;
        engine.ingestImei(HTTP_STREAM, {
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
      return { counts, alerts };
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
