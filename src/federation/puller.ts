/**
 * The federation worker of the api role: every FEDERATION_PULL_MS it pulls each partner
 * collection this instance subscribes to (pages imported one transaction each, with the cursor)
 * and sends the sightings owed to source partners. A failing partner backs off (doubling, at
 * most five minutes) and shows its error in `partners list`; the others go on.
 */
import { sql, type UpdateObject } from 'kysely';
import { v5 as uuidv5 } from 'uuid';
import { audit } from '../platform/audit.js';
import type { Keyring } from '../platform/crypto.js';
import type { Db, DbOrTx, Tx } from '../platform/db/client.js';
import type { Logger } from '../platform/log.js';
import { MINUTE_MS, SECOND_MS } from '../platform/time.js';
import type { Database } from '../schema.js';
import { importObjects } from './import.js';
import { openPullKey } from './pulls.js';
import { discover, getObjects, postObjects, TaxiiError, type TaxiiTarget } from './taxii-client.js';

/** Objects per page asked of a partner. */
export const PAGE_LIMIT = 500;
/** Pages one run takes from one partner before letting the others go. */
const MAX_PAGES_PER_RUN = 40;
/** Lag samples kept per subscription for its percentiles. */
const LAG_SAMPLES = 200;
/** An `added_after` read starts this far back; what is read again is ignored as unchanged. */
const ADDED_AFTER_MARGIN_MS = 10 * SECOND_MS;
const MAX_BACKOFF_MS = 5 * MINUTE_MS;
/** Sightings per envelope sent to a partner. */
const SIGHTINGS_PER_POST = 200;
/** Namespace of the sighting ids this instance sends (UUID v5 of what each one reports). */
const SIGHTING_NAMESPACE = 'c3b8d2a4-5f1e-4b7a-9d2c-6e0f1a2b3c4d';

/**
 * The id of a sighting sent for an outbox row: the same for the same report, so a retry after a
 * lost answer is recognised by the partner (it records a sighting id once) instead of counted
 * twice.
 */
export function sightingId(o: {
  pull_id: string;
  stix_id: string;
  kind: string;
  minute: Date;
  sent_count: number;
  count: number;
}): string {
  const report = [o.pull_id, o.stix_id, o.kind, o.minute.toISOString(), o.sent_count, o.count];
  return `sighting--${uuidv5(report.join('|'), SIGHTING_NAMESPACE)}`;
}

export interface PullerDeps {
  db: Db;
  keyring: Keyring;
  log: Logger;
  clock: () => Date;
  intervalMs: number;
}

type PullRow = Awaited<ReturnType<typeof duePulls>>[number];

function duePulls(db: Db, now: Date) {
  return db
    .selectFrom('federation_pulls')
    .selectAll()
    .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
    .orderBy('id')
    .execute();
}

function backoffMs(intervalMs: number, failures: number): number {
  return Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** Math.min(failures, 16));
}

const errorText = (err: unknown) =>
  err instanceof TaxiiError ? err.message : `internal error: ${(err as Error).message}`;

/** An audit row of the puller about one of its pulls, on the partner's federation chain. */
function auditPull(
  tx: Tx,
  now: Date,
  pull: { id: string; partner_id: string },
  action: string,
  data: Record<string, unknown>,
) {
  return audit(
    tx,
    { now, actor: 'federation-puller' },
    {
      shard: `federation:${pull.partner_id}`,
      action,
      subjectType: 'federation_pull',
      subjectId: pull.id,
      outcome: 'success',
      data: { partnerId: pull.partner_id, ...data },
    },
  );
}

/** Changes one row of the sightings outbox, found by its key. */
function updateOutboxRow(
  db: DbOrTx,
  o: { pull_id: string; stix_id: string; kind: string; minute: Date },
  set: UpdateObject<Database, 'federation_sighting_outbox'>,
) {
  return db
    .updateTable('federation_sighting_outbox')
    .set(set)
    .where('pull_id', '=', o.pull_id)
    .where('stix_id', '=', o.stix_id)
    .where('kind', '=', o.kind)
    .where('minute', '=', o.minute)
    .execute();
}

export class FederationPuller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: PullerDeps) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch((err) => this.deps.log.error({ err }, 'federation run failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(loop, this.deps.intervalMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: every due subscription pulled, then the owed sightings sent. */
  async runOnce(): Promise<void> {
    const pulls = await duePulls(this.deps.db, this.deps.clock());
    for (const pull of pulls) {
      if (this.stopped) return;
      let target: TaxiiTarget | undefined;
      try {
        target = await this.target(pull);
        await this.pull(pull, target);
      } catch (err) {
        await this.failed(pull, err);
        continue;
      }
      try {
        await this.sendSightings(pull, target);
      } catch (err) {
        this.deps.log.warn({ err, pullId: pull.id }, 'federation sightings not sent');
      }
    }
  }

  private async target(pull: PullRow): Promise<TaxiiTarget> {
    const key = openPullKey(this.deps.keyring, pull);
    if (pull.api_root && pull.collection_id)
      return { apiRoot: pull.api_root, collectionId: pull.collection_id, key };
    const found = await discover(pull.taxii_url, key);
    await this.deps.db
      .updateTable('federation_pulls')
      .set({ api_root: found.apiRoot, collection_id: found.collectionId })
      .where('id', '=', pull.id)
      .execute();
    return { ...found, key };
  }

  private async failed(pull: PullRow, err: unknown): Promise<void> {
    const now = this.deps.clock();
    const failures = pull.failures + 1;
    const message = errorText(err).slice(0, 500);
    this.deps.log.warn(
      { pullId: pull.id, partnerId: pull.partner_id, failures, error: message },
      'federation pull failed',
    );
    await this.deps.db
      .updateTable('federation_pulls')
      .set({
        failures,
        last_error: message,
        last_error_at: now,
        next_attempt_at: new Date(now.getTime() + backoffMs(this.deps.intervalMs, failures)),
      })
      .where('id', '=', pull.id)
      .execute();
  }

  /** Pages until the partner has no more, each imported in one transaction with its cursor. */
  private async pull(start: PullRow, target: TaxiiTarget): Promise<void> {
    let cursor = { next: start.cursor_next, addedAfter: start.added_after };
    for (let page = 0; page < MAX_PAGES_PER_RUN; page++) {
      const got = await getObjects(
        target,
        cursor.next
          ? { next: cursor.next }
          : {
              addedAfter: cursor.addedAfter
                ? new Date(cursor.addedAfter.getTime() - ADDED_AFTER_MARGIN_MS)
                : undefined,
            },
        PAGE_LIMIT,
      );
      const after = got.next
        ? { next: got.next, addedAfter: got.dateAddedLast ?? cursor.addedAfter }
        : { next: null, addedAfter: got.dateAddedLast ?? cursor.addedAfter };
      const moved = await this.deps.db.transaction().execute(async (tx) => {
        /** Another replica pulling the same partner holds the row: leave the page to it. */
        const row = await tx
          .selectFrom('federation_pulls')
          .select(['cursor_next', 'added_after', 'recent_lags_ms'])
          .where('id', '=', start.id)
          .forUpdate()
          .skipLocked()
          .executeTakeFirst();
        if (
          !row ||
          row.cursor_next !== cursor.next ||
          row.added_after?.getTime() !== cursor.addedAfter?.getTime()
        )
          return false;
        const now = this.deps.clock();
        const pullRef = { id: start.id, partnerId: start.partner_id, country: start.country };
        const out = await importObjects(tx, pullRef, got.objects, now);
        for (const r of out.refusals)
          this.deps.log.warn(
            { pullId: start.id, stixId: r.stixId, reason: r.reason },
            `federation object refused: ${r.detail}`,
          );
        const lastRefusal = out.refusals.at(-1);
        await tx
          .updateTable('federation_pulls')
          .set({
            cursor_next: after.next,
            added_after: after.addedAfter,
            imported: sql`imported + ${out.imported}`,
            updated: sql`updated + ${out.updated}`,
            revoked: sql`revoked + ${out.revoked}`,
            refused: sql`refused + ${out.refused}`,
            recent_lags_ms: [...row.recent_lags_ms, ...out.lagsMs].slice(-LAG_SAMPLES),
            last_success_at: now,
            failures: 0,
            next_attempt_at: null,
            ...(lastRefusal
              ? {
                  last_error: `refused ${lastRefusal.stixId}: ${lastRefusal.detail}`.slice(0, 500),
                  last_error_at: now,
                }
              : {}),
          })
          .where('id', '=', start.id)
          .execute();
        if (out.imported + out.updated + out.revoked + out.refused > 0)
          await auditPull(tx, now, start, 'federation.imported', {
            imported: out.imported,
            updated: out.updated,
            revoked: out.revoked,
            refused: out.refused,
          });
        return true;
      });
      if (!moved) return;
      cursor = after;
      if (!got.more) return;
    }
  }

  /** Posts what is owed to the source partner of the pull; marks it sent on acceptance. */
  private async sendSightings(pull: PullRow, target: TaxiiTarget): Promise<void> {
    const now = this.deps.clock();
    const owed = await this.deps.db
      .selectFrom('federation_sighting_outbox')
      .selectAll()
      .where('pull_id', '=', pull.id)
      .whereRef('count', '>', 'sent_count')
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .orderBy('minute')
      .limit(SIGHTINGS_PER_POST)
      .execute();
    if (owed.length === 0) return;
    const stamp = now.toISOString();
    const objects = owed.map((o) => ({
      type: 'sighting',
      spec_version: '2.1',
      id: sightingId(o),
      created: stamp,
      modified: stamp,
      sighting_of_ref: o.stix_id,
      count: o.count - o.sent_count,
      first_seen: o.first_seen.toISOString(),
      last_seen: o.last_seen.toISOString(),
      x_simline_kind: o.kind,
    }));
    try {
      const status = await postObjects(target, objects);
      if (status.failure_count)
        this.deps.log.warn(
          { pullId: pull.id, failures: status.failures },
          'federation sightings refused by the partner',
        );
    } catch (err) {
      const message = errorText(err).slice(0, 500);
      for (const o of owed)
        await updateOutboxRow(this.deps.db, o, {
          attempts: o.attempts + 1,
          last_error: message,
          next_attempt_at: new Date(
            now.getTime() + backoffMs(this.deps.intervalMs, o.attempts + 1),
          ),
        });
      throw err;
    }
    await this.deps.db.transaction().execute(async (tx) => {
      for (const o of owed)
        await updateOutboxRow(tx, o, {
          sent_count: sql`sent_count + ${o.count - o.sent_count}`,
          sent_at: now,
          attempts: 0,
          last_error: null,
          next_attempt_at: null,
        });
      await auditPull(tx, now, pull, 'federation.sightings_sent', { sightings: owed.length });
    });
  }
}
