import { type ExpressionBuilder, sql, type UpdateObject } from 'kysely';
import type { DbOrTx, Tx } from '../platform/db/client.js';
import type { Database } from '../schema.js';

export interface SubscriptionRow {
  id: string;
  org_id: string;
  url: string;
  events: string[];
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_until: Date | null;
  created_at: Date;
  rotated_at: Date | null;
  deleted_at: Date | null;
}

/** An organisation's subscription, not deleted; another organisation's is never found. */
export async function findSubscription(
  db: DbOrTx,
  q: { orgId: string; id: string },
): Promise<SubscriptionRow | undefined> {
  return db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('id', '=', q.id)
    .where('org_id', '=', q.orgId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** Changes an organisation's subscription, not deleted; answers the changed row, if any. */
export async function updateLiveSubscription(
  tx: Tx,
  q: { orgId: string; id: string },
  set: (
    eb: ExpressionBuilder<Database, 'webhook_subscriptions'>,
  ) => UpdateObject<Database, 'webhook_subscriptions'>,
): Promise<SubscriptionRow | undefined> {
  return tx
    .updateTable('webhook_subscriptions')
    .set(set)
    .where('id', '=', q.id)
    .where('org_id', '=', q.orgId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function listSubscriptionRows(
  db: DbOrTx,
  q: { orgId: string },
): Promise<SubscriptionRow[]> {
  return db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('org_id', '=', q.orgId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function listDeliveryRows(
  db: DbOrTx,
  q: { subscriptionId: string; status?: string; limit: number },
) {
  let query = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select([
      'd.id',
      'd.event_id',
      'e.type',
      'd.status',
      'd.attempts',
      'd.next_attempt_at',
      'd.last_attempt_at',
      'd.last_status',
      'd.last_error',
      'd.delivered_at',
      'd.created_at',
    ])
    .where('d.subscription_id', '=', q.subscriptionId);
  if (q.status) query = query.where('d.status', '=', q.status);
  return query.orderBy('d.id', 'desc').limit(q.limit).execute();
}

export interface PendingEvent {
  id: string;
  org_id: string;
  type: string;
  payload: unknown;
}

/** Events whose `stamp` is not set yet, oldest first, locked; rows another worker holds are skipped. */
function lockEventsWithout(
  tx: Tx,
  stamp: 'dispatched_at' | 'published_at',
  limit: number,
): Promise<PendingEvent[]> {
  return tx
    .selectFrom('webhook_events')
    .select(['id', 'org_id', 'type', 'payload'])
    .where(stamp, 'is', null)
    .orderBy('seq')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Events not yet dispatched to their subscriptions' deliveries. */
export function lockPendingEvents(tx: Tx, limit: number): Promise<PendingEvent[]> {
  return lockEventsWithout(tx, 'dispatched_at', limit);
}

/** One delivery per event and live subscription of its organisation that asked for its type. */
export async function insertDeliveries(tx: Tx, events: PendingEvent[], now: Date): Promise<void> {
  if (events.length === 0) return;
  const subs = await tx
    .selectFrom('webhook_subscriptions')
    .select(['id', 'org_id', 'events'])
    .where('org_id', 'in', [...new Set(events.map((e) => e.org_id))])
    .where('deleted_at', 'is', null)
    .execute();
  const rows = events.flatMap((e) =>
    subs
      .filter((s) => s.org_id === e.org_id && s.events.includes(e.type))
      .map((s) => ({
        subscription_id: s.id,
        event_id: e.id,
        status: 'pending',
        next_attempt_at: now,
        created_at: now,
      })),
  );
  if (rows.length === 0) return;
  await tx
    .insertInto('webhook_deliveries')
    .values(rows)
    .onConflict((oc) => oc.columns(['event_id', 'subscription_id']).doNothing())
    .execute();
}

/**
 * Stamps events dispatched; with `published` also published (a dispatcher without Kafka: there
 * is nothing to publish them to).
 */
export async function markDispatched(
  tx: Tx,
  ids: string[],
  at: Date,
  published = false,
): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .updateTable('webhook_events')
    .set(published ? { dispatched_at: at, published_at: at } : { dispatched_at: at })
    .where('id', 'in', ids)
    .execute();
}

/** Events not yet on the Kafka topic. */
export function lockUnpublishedEvents(tx: Tx, limit: number): Promise<PendingEvent[]> {
  return lockEventsWithout(tx, 'published_at', limit);
}

export async function markPublished(tx: Tx, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx.updateTable('webhook_events').set({ published_at: at }).where('id', 'in', ids).execute();
}

export interface ClaimedDelivery {
  id: number;
  attempts: number;
  subscription_id: string;
  event_id: string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_until: Date | null;
  deleted: boolean;
  payload: unknown;
}

/**
 * Claims up to `limit` due deliveries for one attempt each: the attempt is counted and the row
 * leased until `leaseUntil` (another worker takes it again only if this one dies), in one
 * statement that skips rows other workers are claiming.
 */
export async function claimDueDeliveries(
  db: DbOrTx,
  q: { now: Date; leaseUntil: Date; limit: number },
): Promise<ClaimedDelivery[]> {
  const { rows } = await sql<ClaimedDelivery>`
    with due as (
      select id from webhook_deliveries
      where status = 'pending' and next_attempt_at <= ${q.now}
      order by next_attempt_at
      limit ${q.limit}
      for update skip locked
    ), claimed as (
      update webhook_deliveries d
      set attempts = d.attempts + 1, last_attempt_at = ${q.now}, next_attempt_at = ${q.leaseUntil}
      from due where d.id = due.id
      returning d.id, d.attempts, d.subscription_id, d.event_id
    )
    select c.id, c.attempts, c.subscription_id, c.event_id, s.url, s.secret_sealed,
      s.previous_secret_sealed, s.previous_secret_until, s.deleted_at is not null as deleted,
      e.payload
    from claimed c
    join webhook_subscriptions s on s.id = c.subscription_id
    join webhook_events e on e.id = c.event_id`.execute(db);
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/**
 * Deletes finished deliveries created before `before`, then dispatched and published events
 * from before it that no delivery refers to any more. Pending deliveries and their events stay.
 */
export async function purgeHistory(db: DbOrTx, q: { before: Date }): Promise<number> {
  const deliveries = await db
    .deleteFrom('webhook_deliveries')
    .where('status', '<>', 'pending')
    .where('created_at', '<', q.before)
    .executeTakeFirst();
  const events = await db
    .deleteFrom('webhook_events as e')
    .where('e.dispatched_at', '<', q.before)
    .where('e.published_at', 'is not', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id'),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(deliveries.numDeletedRows) + Number(events.numDeletedRows);
}

/** Records an attempt's outcome: delivered, failed for good, or due again at `retryAt`. */
export async function recordAttempt(
  db: DbOrTx,
  q: {
    id: number;
    at: Date;
    outcome: 'delivered' | 'failed' | 'retry';
    retryAt?: Date;
    status: number | null;
    error: string | null;
  },
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: q.outcome === 'retry' ? 'pending' : q.outcome,
      last_status: q.status,
      last_error: q.error,
      ...(q.outcome === 'delivered' ? { delivered_at: q.at } : {}),
      ...(q.outcome === 'retry' && q.retryAt ? { next_attempt_at: q.retryAt } : {}),
    })
    .where('id', '=', q.id)
    .execute();
}
