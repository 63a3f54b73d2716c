import { randomUUID } from 'node:crypto';
import type { ConsoleRole } from '../access/roles.js';
import { type AuditCtx, audit, auditShard } from '../platform/audit.js';
import { newId } from '../platform/crypto.js';
import type { Tx } from '../platform/db/client.js';
import { type TxCtx, withTransaction } from '../platform/db/transaction.js';
import { InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import { decodeCursor, encodeCursor, keysetPage } from '../platform/keyset.js';
import { DAY_MS } from '../platform/time.js';
import type {
  Category,
  IndicatorCreate,
  IndicatorStatus,
  IndicatorView,
  RiskBand,
} from './contract.js';
import { type IndicatorType, normaliseIndicator } from './normalise.js';
import {
  findIndicator,
  findLifetime,
  findMatching,
  findOwner,
  findWarninglisted,
  type IndicatorRow,
  insertSighting,
  listIndicatorRows,
  listSightings,
  listSources,
  lockIndicator,
  lockIndicatorByValue,
  upsertSource,
} from './queries.js';

/** Who calls a watchlist verb: an operator or bank by its API key, or a console user. */
export type WatchActor =
  | { kind: 'organisation'; orgId: string; keyId: string }
  | { kind: 'user'; userId: string; role: ConsoleRole };

export interface WatchCtx extends TxCtx {
  now: Date;
  /** This instance's country: the source country of its own listings. */
  country: string;
  actor: WatchActor;
}

/** Console users list for the regulator as one source organisation. */
export const REGULATOR_SOURCE = 'regulator';

function sourceOrg(actor: WatchActor): string {
  return actor.kind === 'organisation' ? actor.orgId : REGULATOR_SOURCE;
}

function actorRef(actor: WatchActor): string {
  return actor.kind === 'organisation' ? `${actor.orgId}/${actor.keyId}` : actor.userId;
}

function auditCtx(ctx: WatchCtx): AuditCtx {
  return ctx.actor.kind === 'organisation'
    ? { now: ctx.now, operator: { id: ctx.actor.orgId } }
    : { now: ctx.now, actor: { userId: ctx.actor.userId } };
}

/** One audit row about an indicator: its id and type, never its value or the source's words. */
function auditIndicator(
  tx: Tx,
  ctx: WatchCtx,
  action: string,
  subject: { id: string; type: string },
  outcome: 'success' | 'refused' | 'matched' | 'unknown' = 'success',
) {
  return audit(tx, auditCtx(ctx), {
    shard: auditShard('watchlist', subject.id),
    action,
    subjectType: 'watchlist_indicator',
    subjectId: subject.id,
    outcome,
    data: { type: subject.type },
  });
}

export function indicatorView(r: IndicatorRow): IndicatorView {
  return {
    id: r.id,
    stixId: r.stix_id,
    type: r.type as IndicatorType,
    value: r.value,
    bankCode: r.bank_code,
    category: r.category as Category,
    confidence: r.confidence,
    tlp: r.tlp as IndicatorView['tlp'],
    shareWith: r.share_with,
    status: r.status as IndicatorStatus,
    validUntil: r.valid_until.toISOString(),
    description: r.description,
    caseRef: r.case_ref,
    sourceCountry: r.source_country,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    revokedAt: r.revoked_at?.toISOString() ?? null,
    revokeReason: r.revoke_reason,
  };
}

function ref(r: { id: string; stix_id: string; status: string; valid_until: Date }) {
  return {
    id: r.id,
    stixId: r.stix_id,
    status: r.status as IndicatorStatus,
    validUntil: r.valid_until.toISOString(),
  };
}

/** The validity a listing asks for: its own (at most the type's maximum) or the type's default. */
async function requestedValidity(
  tx: Tx,
  ctx: WatchCtx,
  type: IndicatorType,
  validUntil: string | undefined,
): Promise<Date> {
  const life = await findLifetime(tx, { type });
  const latest = new Date(ctx.now.getTime() + life.maxDays * DAY_MS);
  if (validUntil === undefined) return new Date(ctx.now.getTime() + life.defaultDays * DAY_MS);
  const asked = new Date(validUntil);
  if (asked <= ctx.now || asked > latest)
    throw new InvalidError('invalid validity', [
      {
        path: 'validUntil',
        message: `must be after now and at most ${life.maxDays} days ahead (${latest.toISOString()})`,
      },
    ]);
  return asked;
}

/**
 * Lists a value, or adds the caller as another source of the one indicator already holding it
 * (confidence the highest of the sources', validity extended). A revoked indicator listed again
 * comes back active with the new listing's marking. A warninglisted value is refused (audited).
 */
export async function listIndicator({ ctx, input }: { ctx: WatchCtx; input: IndicatorCreate }) {
  if (input.bankCode !== undefined && input.type !== 'bank_account')
    throw new InvalidError('invalid indicator', [
      { path: 'bankCode', message: 'only a bank_account has a bank code' },
    ]);
  const key = { type: input.type, ...normaliseIndicator(input.type, input.value, input.bankCode) };
  const caseRef = input.caseRef ?? null;
  const outcome = await withTransaction(ctx, async (tx) => {
    const warned = await findWarninglisted(tx, key);
    if (warned) {
      await audit(tx, auditCtx(ctx), {
        shard: auditShard('watchlist', `${key.type}:refused`),
        action: 'watchlist.listed',
        subjectType: 'watchlist_indicator',
        subjectId: '-',
        outcome: 'refused',
        data: { type: key.type },
      });
      return { refused: warned.reason } as const;
    }
    const validUntil = await requestedValidity(tx, ctx, key.type, input.validUntil);
    let existing = await lockIndicatorByValue(tx, key);
    if (!existing) {
      const id = newId('ind');
      const inserted = await tx
        .insertInto('watchlist_indicators')
        .values({
          id,
          stix_id: `indicator--${randomUUID()}`,
          type: key.type,
          value: key.value,
          bank_code: key.bankCode,
          category: input.category,
          confidence: input.confidence,
          tlp: input.tlp,
          share_with: [...new Set(input.shareWith)],
          status: 'active',
          valid_until: validUntil,
          description: input.description,
          case_ref: caseRef,
          source_country: ctx.country,
          created_at: ctx.now,
          updated_at: ctx.now,
        })
        .onConflict((oc) => oc.columns(['type', 'value', 'bank_code']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) {
        await upsertSource(tx, {
          indicatorId: id,
          sourceOrg: sourceOrg(ctx.actor),
          isOwner: true,
          confidence: input.confidence,
          description: input.description,
          caseRef,
          at: ctx.now,
        });
        await auditIndicator(tx, ctx, 'watchlist.listed', inserted);
        return { created: true, row: inserted } as const;
      }
      // Another listing of the value committed between the look-up and the insert: merge into it.
      existing = await lockIndicatorByValue(tx, key);
      if (!existing) throw new Error('indicator vanished after a conflicting insert');
    }
    const revived = existing.status === 'revoked';
    const merged = await tx
      .updateTable('watchlist_indicators')
      .set(
        revived
          ? {
              status: 'active',
              confidence: input.confidence,
              valid_until: validUntil,
              category: input.category,
              tlp: input.tlp,
              share_with: [...new Set(input.shareWith)],
              description: input.description,
              case_ref: caseRef,
              revoked_at: null,
              revoke_reason: null,
              updated_at: ctx.now,
            }
          : {
              confidence: Math.max(existing.confidence, input.confidence),
              valid_until: new Date(Math.max(validUntil.getTime(), existing.valid_until.getTime())),
              updated_at: ctx.now,
            },
      )
      .where('id', '=', existing.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const owner = await findOwner(tx, { indicatorId: existing.id });
    await upsertSource(tx, {
      indicatorId: existing.id,
      sourceOrg: sourceOrg(ctx.actor),
      isOwner: owner === sourceOrg(ctx.actor),
      confidence: input.confidence,
      description: input.description,
      caseRef,
      at: ctx.now,
    });
    await auditIndicator(tx, ctx, 'watchlist.source_added', merged);
    return { created: false, row: merged } as const;
  });
  if ('refused' in outcome)
    throw new ServiceError('warninglisted', `the ${key.type} is on the warninglist`, {
      reason: outcome.refused,
    });
  return { created: outcome.created, indicator: ref(outcome.row) };
}

function cursorOf(r: { created_at: Date; id: string }): string {
  return encodeCursor('w', r.created_at.getTime(), r.id);
}

function positionOf(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = decodeCursor(cursor, 'w', [/^\d{1,15}$/, /^ind_[A-Za-z0-9_-]{16}$/]);
  return { createdAt: new Date(Number(at)), id: id as string };
}

/** Indicators newest first, in pages; a value filter is matched in its canonical form. */
export async function searchIndicators({
  ctx,
  input,
}: {
  ctx: WatchCtx;
  input: {
    type?: IndicatorType;
    value?: string;
    bankCode?: string;
    status?: IndicatorStatus;
    category?: Category;
    limit: number;
    cursor?: string;
  };
}) {
  if (input.value !== undefined && !input.type)
    throw new InvalidError('invalid query', [
      { path: 'value', message: 'a value filter needs its type' },
    ]);
  const key =
    input.type && input.value !== undefined
      ? normaliseIndicator(input.type, input.value, input.bankCode)
      : undefined;
  const before = input.cursor ? positionOf(input.cursor) : undefined;
  return withTransaction(ctx, async (tx) => {
    const rows = await listIndicatorRows(tx, {
      type: input.type,
      value: key?.value,
      bankCode: key?.bankCode,
      status: input.status,
      category: input.category,
      before,
      limit: input.limit,
    });
    const { page, next } = keysetPage(rows, input.limit, cursorOf);
    await audit(tx, auditCtx(ctx), {
      shard: auditShard('watchlist', `search:${actorRef(ctx.actor)}`),
      action: 'watchlist.searched',
      subjectType: 'watchlist_indicator',
      subjectId: page.length === 1 && page[0] ? page[0].id : '-',
      outcome: page.length > 0 ? 'matched' : 'unknown',
      data: { type: input.type ?? null },
    });
    return {
      items: page.map(indicatorView),
      next,
    };
  });
}

/**
 * One indicator; console users also see its sources and sightings, organisations only the
 * indicator (no other source's identity or words). Audited as a look-up.
 */
export async function getIndicator({
  ctx,
  input,
}: {
  ctx: WatchCtx;
  input: { indicatorId: string };
}) {
  return withTransaction(ctx, async (tx) => {
    const row = await findIndicator(tx, { id: input.indicatorId });
    if (!row) throw new NotFoundError(`indicator ${input.indicatorId}`);
    const regulator = ctx.actor.kind === 'user';
    const [sources, sightings] = regulator
      ? await Promise.all([
          listSources(tx, { indicatorId: row.id }),
          listSightings(tx, { indicatorId: row.id }),
        ])
      : [undefined, undefined];
    await auditIndicator(tx, ctx, 'watchlist.read', row);
    return {
      ...indicatorView(row),
      sources:
        sources?.map((s) => ({
          sourceOrg: s.source_org,
          owner: s.is_owner,
          confidence: s.confidence,
          description: s.description,
          caseRef: s.case_ref,
          listedAt: s.created_at.toISOString(),
        })) ?? null,
      sightings:
        sightings?.map((s) => ({
          kind: s.kind as 'seen' | 'false_positive',
          note: s.note,
          byOrg: s.by_org,
          at: s.at.toISOString(),
        })) ?? null,
    };
  });
}

/** Risk bands from the highest confidence among matching indicators (after India's DIP grades). */
export function riskBand(confidence: number | undefined): RiskBand {
  if (confidence === undefined) return 'none';
  if (confidence >= 85) return 'very_high';
  if (confidence >= 60) return 'high';
  return 'medium';
}

/** Whether a value is listed now, and how risky: no source, description or evidence. */
export async function checkIndicator({
  ctx,
  input,
}: {
  ctx: WatchCtx;
  input: { type: IndicatorType; value: string; bankCode?: string };
}) {
  const key = { type: input.type, ...normaliseIndicator(input.type, input.value, input.bankCode) };
  return withTransaction(ctx, async (tx) => {
    const rows = await findMatching(tx, { ...key, now: ctx.now });
    const top = rows.length > 0 ? Math.max(...rows.map((r) => r.confidence)) : undefined;
    const ids = rows.map((r) => r.id).sort();
    await audit(tx, auditCtx(ctx), {
      // A bucket of the value within the actor's checks: one actor's concurrent lookups would
      // otherwise all wait on one chain head.
      shard: auditShard(`watchlist:check:${actorRef(ctx.actor)}`, `${key.type}:${key.value}`),
      action: 'watchlist.checked',
      subjectType: 'watchlist_indicator',
      subjectId: ids.join(',') || '-',
      outcome: rows.length > 0 ? 'matched' : 'unknown',
      data: { type: key.type },
    });
    return {
      listed: rows.length > 0,
      risk: riskBand(top),
      categories: [...new Set(rows.map((r) => r.category as Category))].sort(),
      indicatorIds: ids,
    };
  });
}

/** The owning organisation, or a console user (officer or analyst: the routes allow no other). */
async function isTrusted(tx: Tx, ctx: WatchCtx, indicatorId: string): Promise<boolean> {
  if (ctx.actor.kind === 'user') return true;
  return (await findOwner(tx, { indicatorId })) === ctx.actor.orgId;
}

async function lockOrThrow(tx: Tx, id: string) {
  const row = await lockIndicator(tx, { id });
  if (!row) throw new NotFoundError(`indicator ${id}`);
  return row;
}

/**
 * A sighting per MISP. `seen` extends validity to now + the type's lifetime (never shortens
 * it); `false_positive` from a trusted source (a console user or the owning organisation)
 * suspends matching until the owner reviews; from others it is only recorded.
 */
export async function addSighting({
  ctx,
  input,
}: {
  ctx: WatchCtx;
  input: { indicatorId: string; kind: 'seen' | 'false_positive'; note: string };
}) {
  return withTransaction(ctx, async (tx) => {
    const row = await lockOrThrow(tx, input.indicatorId);
    if (row.status === 'revoked')
      throw new ServiceError('indicator_not_active', `indicator ${row.id} is revoked`);
    const sightingId = await insertSighting(tx, {
      indicatorId: row.id,
      kind: input.kind,
      note: input.note,
      byOrg: sourceOrg(ctx.actor),
      byActor: actorRef(ctx.actor),
      at: ctx.now,
    });
    let updated = row;
    if (input.kind === 'seen') {
      const life = await findLifetime(tx, { type: row.type as IndicatorType });
      const extended = new Date(ctx.now.getTime() + life.defaultDays * DAY_MS);
      if (extended > row.valid_until)
        updated = await tx
          .updateTable('watchlist_indicators')
          .set({ valid_until: extended, updated_at: ctx.now })
          .where('id', '=', row.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      await auditIndicator(tx, ctx, 'watchlist.seen', row);
    } else {
      const suspend = row.status === 'active' && (await isTrusted(tx, ctx, row.id));
      if (suspend)
        updated = await tx
          .updateTable('watchlist_indicators')
          .set({ status: 'suspended', updated_at: ctx.now })
          .where('id', '=', row.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      await auditIndicator(tx, ctx, 'watchlist.false_positive', row);
      if (suspend) await auditIndicator(tx, ctx, 'watchlist.suspended', row);
    }
    return {
      sightingId: String(sightingId),
      indicatorId: row.id,
      kind: input.kind,
      status: updated.status as IndicatorStatus,
      validUntil: updated.valid_until.toISOString(),
    };
  });
}

async function assertMayDecide(tx: Tx, ctx: WatchCtx, id: string, what: string) {
  if (!(await isTrusted(tx, ctx, id)))
    throw new ServiceError(
      'forbidden',
      `only the owning organisation or the regulator may ${what}`,
    );
}

/** The owner's review of a suspended indicator: reinstate it, or revoke it with the note. */
export async function reviewIndicator({
  ctx,
  input,
}: {
  ctx: WatchCtx;
  input: { indicatorId: string; decision: 'reinstate' | 'revoke'; note: string };
}) {
  return withTransaction(ctx, async (tx) => {
    const row = await lockOrThrow(tx, input.indicatorId);
    await assertMayDecide(tx, ctx, row.id, 'review it');
    if (row.status !== 'suspended')
      throw new ServiceError(
        'indicator_not_active',
        `indicator ${row.id} is ${row.status}, not suspended`,
      );
    const updated = await tx
      .updateTable('watchlist_indicators')
      .set(
        input.decision === 'reinstate'
          ? { status: 'active', updated_at: ctx.now }
          : {
              status: 'revoked',
              revoked_at: ctx.now,
              revoke_reason: input.note,
              updated_at: ctx.now,
            },
      )
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await auditIndicator(
      tx,
      ctx,
      input.decision === 'reinstate' ? 'watchlist.reinstated' : 'watchlist.revoked',
      row,
    );
    return indicatorView(updated);
  });
}

/** Revocation with a reason, by a console user or the owning organisation. */
export async function revokeIndicator({
  ctx,
  input,
}: {
  ctx: WatchCtx;
  input: { indicatorId: string; reason: string };
}) {
  return withTransaction(ctx, async (tx) => {
    const row = await lockOrThrow(tx, input.indicatorId);
    await assertMayDecide(tx, ctx, row.id, 'revoke it');
    if (row.status === 'revoked')
      throw new ServiceError('indicator_not_active', `indicator ${row.id} is already revoked`);
    const updated = await tx
      .updateTable('watchlist_indicators')
      .set({
        status: 'revoked',
        revoked_at: ctx.now,
        revoke_reason: input.reason,
        updated_at: ctx.now,
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await auditIndicator(tx, ctx, 'watchlist.revoked', row);
    return indicatorView(updated);
  });
}
