/**
 * Imports one page of a partner's STIX indicators, idempotently, inside the caller's transaction
 * (the one that also moves the pull's cursor). Each indicator becomes, or updates, the local
 * indicator with its STIX id, keeping the partner's country as source country; when the value is
 * already listed here under another STIX id, the partner is added as one more source of that
 * listing instead. A newer `modified` wins; an older or equal one is ignored.
 */

import type { Selectable } from 'kysely';
import { newId } from '../platform/crypto.js';
import type { Tx } from '../platform/db/client.js';
import { DAY_MS } from '../platform/time.js';
import type { Database } from '../schema.js';
import { lockIndicator, lockIndicatorByValue, upsertSource } from '../watchlist/queries.js';
import { fromStix, type ImportedIndicator, StixRefusal } from './from-stix.js';

export interface PullRef {
  id: string;
  partnerId: string;
  country: string;
}

export interface ImportOutcome {
  imported: number;
  updated: number;
  revoked: number;
  refused: number;
  /** Objects already imported at this version or a newer one. */
  unchanged: number;
  refusals: { stixId: string; reason: string; detail: string }[];
  /** Publish-to-usable lag (source `modified` to `now`) of each change applied. */
  lagsMs: number[];
}

type Applied = 'imported' | 'updated' | 'revoked' | 'unchanged';

type Mapping = Selectable<Database['federation_imports']>;

/** What a page's objects need looked up, read once for the page instead of once an object. */
interface PageFacts {
  lifetimes: Map<string, { defaultDays: number; maxDays: number }>;
  /** The page's STIX ids already imported, locked for the page's transaction. */
  mappings: Map<string, Mapping>;
  /** `type|value|bankCode` of the page's values on this instance's warninglist. */
  warned: Set<string>;
}

const valueKey = (k: { type: string; value: string; bankCode: string }) =>
  `${k.type}|${k.value}|${k.bankCode}`;

async function pageFacts(tx: Tx, parsed: readonly ImportedIndicator[]): Promise<PageFacts> {
  const ids = parsed.map((o) => o.stixId);
  const values = [...new Set(parsed.map((o) => o.value))];
  const [lifetimes, mappings, warned] = await Promise.all([
    tx.selectFrom('watchlist_lifetimes').selectAll().execute(),
    ids.length === 0
      ? []
      : tx
          .selectFrom('federation_imports')
          .selectAll()
          .where('stix_id', 'in', ids)
          .forUpdate()
          .execute(),
    values.length === 0
      ? []
      : tx
          .selectFrom('watchlist_warninglist')
          .select(['type', 'value', 'bank_code'])
          .where('value', 'in', values)
          .execute(),
  ]);
  return {
    lifetimes: new Map(
      lifetimes.map((l) => [l.type, { defaultDays: l.default_days, maxDays: l.max_days }]),
    ),
    mappings: new Map(mappings.map((m) => [m.stix_id, m])),
    warned: new Set(warned.map((w) => valueKey({ ...w, bankCode: w.bank_code }))),
  };
}

/** How long an imported listing may match: as sent, at most this instance's maximum for the type. */
function validity(facts: PageFacts, o: ImportedIndicator, now: Date): Date {
  const life = facts.lifetimes.get(o.type);
  if (!life) throw new Error(`no lifetime policy for indicator type ${o.type}`);
  const latest = now.getTime() + life.maxDays * DAY_MS;
  const asked = o.validUntil?.getTime() ?? now.getTime() + life.defaultDays * DAY_MS;
  return new Date(Math.min(asked, latest));
}

async function applyOne(
  tx: Tx,
  facts: PageFacts,
  pull: PullRef,
  o: ImportedIndicator,
  now: Date,
): Promise<Applied> {
  if (o.sourceCountry !== pull.country)
    throw new StixRefusal(
      'source_country',
      `${o.stixId}: claims source country ${o.sourceCountry}, but the partner is ${pull.country}`,
    );
  const mapped = facts.mappings.get(o.stixId);
  if (mapped && mapped.pull_id !== pull.id)
    throw new StixRefusal('stix_id_taken', `${o.stixId}: imported from another partner`);
  if (mapped && o.modified <= mapped.source_modified) return 'unchanged';
  if (facts.warned.has(valueKey(o)))
    throw new StixRefusal('warninglisted', `${o.stixId}: the ${o.type} is on the warninglist here`);
  const validUntil = validity(facts, o, now);
  const source = {
    sourceOrg: pull.partnerId,
    confidence: o.confidence,
    description: o.description,
    caseRef: null,
    at: now,
  };
  if (!mapped) {
    const own = await tx
      .selectFrom('watchlist_indicators')
      .select('id')
      .where('stix_id', '=', o.stixId)
      .executeTakeFirst();
    if (own) throw new StixRefusal('stix_id_taken', `${o.stixId}: a listing of this instance`);
    if (o.revoked) return 'unchanged';
    let indicatorId: string;
    const existing = await lockIndicatorByValue(tx, o);
    if (existing) {
      indicatorId = existing.id;
      await tx
        .updateTable('watchlist_indicators')
        .set({
          confidence: Math.max(existing.confidence, o.confidence),
          valid_until: new Date(Math.max(existing.valid_until.getTime(), validUntil.getTime())),
          updated_at: now,
        })
        .where('id', '=', existing.id)
        .execute();
      await upsertSource(tx, { indicatorId, ...source, isOwner: false });
    } else {
      indicatorId = newId('ind');
      await tx
        .insertInto('watchlist_indicators')
        .values({
          id: indicatorId,
          stix_id: o.stixId,
          type: o.type,
          value: o.value,
          bank_code: o.bankCode,
          category: o.category,
          confidence: o.confidence,
          tlp: o.tlp,
          share_with: o.shareWith,
          status: 'active',
          valid_until: validUntil,
          description: o.description,
          case_ref: null,
          source_country: pull.country,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await upsertSource(tx, { indicatorId, ...source, isOwner: true });
    }
    const mapping = await tx
      .insertInto('federation_imports')
      .values({
        stix_id: o.stixId,
        pull_id: pull.id,
        indicator_id: indicatorId,
        source_modified: o.modified,
        source_revoked: false,
        imported_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    facts.mappings.set(o.stixId, mapping);
    return 'imported';
  }
  const row = await lockIndicator(tx, { id: mapped.indicator_id });
  if (!row) throw new Error(`imported indicator ${mapped.indicator_id} vanished`);
  if (row.stix_id === o.stixId) {
    /** The source revoked and now lists it again: it matches again, unless revoked here too. */
    const status = o.revoked
      ? 'revoked'
      : row.status === 'revoked' && mapped.source_revoked
        ? 'active'
        : row.status;
    await tx
      .updateTable('watchlist_indicators')
      .set({
        category: o.category,
        confidence: o.confidence,
        tlp: o.tlp,
        share_with: o.shareWith,
        valid_until: validUntil,
        description: o.description,
        status,
        ...(status === 'revoked' && row.status !== 'revoked'
          ? { revoked_at: now, revoke_reason: `revoked by its source (${pull.country})` }
          : {}),
        ...(status === 'active' ? { revoked_at: null, revoke_reason: null } : {}),
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute();
    await upsertSource(tx, { indicatorId: row.id, ...source, isOwner: true });
  } else if (o.revoked) {
    /** Added to a listing of ours as a source: the partner's revocation withdraws only that. */
    await tx
      .deleteFrom('watchlist_indicator_sources')
      .where('indicator_id', '=', row.id)
      .where('source_org', '=', pull.partnerId)
      .execute();
  } else {
    await upsertSource(tx, { indicatorId: row.id, ...source, isOwner: false });
  }
  facts.mappings.set(
    o.stixId,
    await tx
      .updateTable('federation_imports')
      .set({ source_modified: o.modified, source_revoked: o.revoked, imported_at: now })
      .where('stix_id', '=', o.stixId)
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  return o.revoked ? 'revoked' : 'updated';
}

/** STIX ids of the form `indicator--uuid`: the object's own id, for naming a refusal. */
function idOf(object: unknown): string {
  const id = (object as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id.slice(0, 80) : '(no id)';
}

/**
 * Applies the indicators of one page in order; objects of other types (identities, marking
 * definitions) are skipped; an object that cannot be imported is refused and the rest go on.
 */
export async function importObjects(
  tx: Tx,
  pull: PullRef,
  objects: readonly unknown[],
  now: Date,
): Promise<ImportOutcome> {
  const out: ImportOutcome = {
    imported: 0,
    updated: 0,
    revoked: 0,
    refused: 0,
    unchanged: 0,
    refusals: [],
    lagsMs: [],
  };
  const refuse = (object: unknown, err: unknown) => {
    if (!(err instanceof StixRefusal)) throw err;
    out.refused++;
    out.refusals.push({ stixId: idOf(object), reason: err.reason, detail: err.message });
  };
  const parsed: [unknown, ImportedIndicator][] = [];
  for (const object of objects) {
    if ((object as { type?: unknown } | null)?.type !== 'indicator') continue;
    try {
      parsed.push([object, fromStix(object)]);
    } catch (err) {
      refuse(object, err);
    }
  }
  const facts = await pageFacts(
    tx,
    parsed.map(([, o]) => o),
  );
  for (const [object, o] of parsed) {
    try {
      const applied = await applyOne(tx, facts, pull, o, now);
      out[applied]++;
      if (applied !== 'unchanged')
        out.lagsMs.push(Math.max(0, now.getTime() - o.modified.getTime()));
    } catch (err) {
      refuse(object, err);
    }
  }
  return out;
}
