import { randomBytes } from 'node:crypto';
import { type AuditCtx, audit, auditShard } from '../platform/audit.js';
import { type Keyring, newId, open, seal } from '../platform/crypto.js';
import type { Tx } from '../platform/db/client.js';
import { dbOf, type TxCtx, withTransaction } from '../platform/db/transaction.js';
import { InvalidError, NotFoundError } from '../platform/errors.js';
import {
  type DELIVERY_STATUSES,
  EVENTS_BY_KIND,
  type WebhookCreate,
  type WebhookEventType,
  type WebhookView,
} from './contract.js';
import {
  findSubscription,
  listDeliveryRows,
  listSubscriptionRows,
  type SubscriptionRow,
  updateLiveSubscription,
} from './queries.js';
import { checkWebhookUrl, hostOf, type UrlPolicy } from './url-policy.js';

/** Who manages webhooks: an organisation (operator or bank) by its API key. */
export interface WebhookCtx extends TxCtx {
  now: Date;
  org: { id: string; kind: string };
  /** Seals subscription secrets (the PII keyring). */
  keyring: Keyring;
  urlPolicy: UrlPolicy;
  /** How long a rotated-out secret keeps signing beside the new one. */
  secretGraceMs: number;
}

/** Associated data binding a sealed secret to its subscription. */
export function secretBinding(subscriptionId: string): string {
  return `webhook_subscriptions:${subscriptionId}:secret`;
}

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Opens a subscription's sealed secret (for signing). */
export function openSecret(ring: Keyring, subscriptionId: string, sealed: string): string {
  return open(ring, sealed, secretBinding(subscriptionId));
}

function auditCtx(ctx: WebhookCtx): AuditCtx {
  return { now: ctx.now, operator: { id: ctx.org.id } };
}

function auditSubscription(
  tx: Tx,
  ctx: WebhookCtx,
  action: string,
  row: { id: string; url: string; events: string[] },
) {
  return audit(tx, auditCtx(ctx), {
    shard: auditShard('webhooks', row.id),
    action,
    subjectType: 'webhook_subscription',
    subjectId: row.id,
    outcome: 'success',
    data: { host: hostOf(new URL(row.url)), events: row.events },
  });
}

/**
 * Changes the organisation's live subscription `id` and audits `action`, in one transaction;
 * another organisation's or a deleted subscription is not found.
 */
async function changeSubscription(
  ctx: WebhookCtx,
  id: string,
  action: string,
  set: Parameters<typeof updateLiveSubscription>[2],
): Promise<void> {
  await withTransaction(ctx, async (tx) => {
    const row = await updateLiveSubscription(tx, { orgId: ctx.org.id, id }, set);
    if (!row) throw new NotFoundError('the webhook');
    await auditSubscription(tx, ctx, action, row);
  });
}

function view(r: SubscriptionRow): WebhookView {
  return {
    id: r.id,
    url: r.url,
    events: r.events as WebhookEventType[],
    createdAt: r.created_at.toISOString(),
    rotatedAt: r.rotated_at?.toISOString() ?? null,
  };
}

/**
 * Subscribes the organisation's endpoint to events its kind receives. The URL must pass the
 * policy (https, public addresses). The secret is returned once and stored sealed.
 */
export async function createSubscription({
  ctx,
  input,
}: {
  ctx: WebhookCtx;
  input: WebhookCreate;
}): Promise<{ id: string; secret: string }> {
  const allowed = EVENTS_BY_KIND[ctx.org.kind] ?? [];
  const foreign = input.events.filter((e) => !allowed.includes(e));
  if (foreign.length > 0)
    throw new InvalidError('invalid webhook', [
      {
        path: 'events',
        message: `${ctx.org.kind} keys receive only ${allowed.join(', ')}; not ${foreign.join(', ')}`,
      },
    ]);
  const url = (await checkWebhookUrl(input.url, ctx.urlPolicy)).toString();
  const id = newId('wh');
  const secret = newSecret();
  const events = [...new Set(input.events)];
  await withTransaction(ctx, async (tx) => {
    await tx
      .insertInto('webhook_subscriptions')
      .values({
        id,
        org_id: ctx.org.id,
        url,
        events,
        secret_sealed: seal(ctx.keyring, secret, secretBinding(id)),
        created_at: ctx.now,
      })
      .execute();
    await auditSubscription(tx, ctx, 'webhook.created', { id, url, events });
  });
  return { id, secret };
}

/** The organisation's own live subscriptions, oldest first; never their secrets. */
export async function listSubscriptions({ ctx }: { ctx: WebhookCtx }) {
  return { items: (await listSubscriptionRows(dbOf(ctx), { orgId: ctx.org.id })).map(view) };
}

/**
 * Deletes a subscription: nothing more is delivered to it (pending deliveries end `failed` at
 * their next attempt). The row and its deliveries stay in the database as the record.
 */
export async function deleteSubscription({
  ctx,
  input,
}: {
  ctx: WebhookCtx;
  input: { id: string };
}): Promise<void> {
  await changeSubscription(ctx, input.id, 'webhook.deleted', () => ({ deleted_at: ctx.now }));
}

/**
 * A new secret for a subscription, returned once. Deliveries from now on are signed with it and,
 * for the grace period, also with the previous one (two signatures in `webhook-signature`, as
 * the specification allows), so a receiver can switch secrets without missing a delivery.
 */
export async function rotateSecret({
  ctx,
  input,
}: {
  ctx: WebhookCtx;
  input: { id: string };
}): Promise<{ id: string; secret: string }> {
  const secret = newSecret();
  await changeSubscription(ctx, input.id, 'webhook.secret_rotated', (eb) => ({
    previous_secret_sealed: eb.ref('secret_sealed'),
    previous_secret_until: new Date(ctx.now.getTime() + ctx.secretGraceMs),
    secret_sealed: seal(ctx.keyring, secret, secretBinding(input.id)),
    rotated_at: ctx.now,
  }));
  return { id: input.id, secret };
}

/** A subscription's deliveries, newest first: status, attempts and the last outcome. */
export async function listDeliveries({
  ctx,
  input,
}: {
  ctx: WebhookCtx;
  input: { id: string; status?: (typeof DELIVERY_STATUSES)[number]; limit: number };
}) {
  const db = dbOf(ctx);
  const sub = await findSubscription(db, { orgId: ctx.org.id, id: input.id });
  if (!sub) throw new NotFoundError('the webhook');
  const rows = await listDeliveryRows(db, {
    subscriptionId: sub.id,
    status: input.status,
    limit: input.limit,
  });
  return {
    items: rows.map((r) => ({
      id: Number(r.id),
      eventId: r.event_id,
      type: r.type as WebhookEventType,
      status: r.status as (typeof DELIVERY_STATUSES)[number],
      attempts: r.attempts,
      nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
      lastAttemptAt: r.last_attempt_at?.toISOString() ?? null,
      lastStatus: r.last_status,
      lastError: r.last_error,
      deliveredAt: r.delivered_at?.toISOString() ?? null,
      createdAt: r.created_at.toISOString(),
    })),
  };
}
