import { randomUUID } from 'node:crypto';
import { type AuditFacts, audit, auditShard } from '../platform/audit.js';
import type { Tx } from '../platform/db/client.js';
import { type TxCtx, withTransaction } from '../platform/db/transaction.js';
import { NotFoundError } from '../platform/errors.js';
import { decodeCursor, encodeCursor } from '../platform/keyset.js';
import { SERVED_COUNTRY_CODES } from '../registration/served-countries.js';
import { TLP_LEVELS } from '../watchlist/contract.js';
import type { IndicatorRow } from '../watchlist/queries.js';
import { addSighting } from '../watchlist/service.js';
import {
  type Audience,
  type ChangeKey,
  findStatus,
  findVisible,
  insertStatus,
  listVisibleChanges,
  markSightingReceived,
} from './queries.js';
import type { StatusDetail } from './schema.js';
import {
  instanceIdentity,
  STIX_MEDIA_TYPE,
  type StixIdentity,
  type StixIndicator,
  type StixMarkingDefinition,
  tlpMarkingDefinition,
  toStix,
} from './stix.js';

/** The one collection this instance serves: its watchlist indicators (a fixed id). */
export const INDICATORS_COLLECTION_ID = '920cf1c0-938b-44ac-b53d-63d7c0a9bad1';
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** A partner instance calling the TAXII server with its key. */
export interface TaxiiCtx extends TxCtx {
  now: Date;
  /** This instance's country. */
  country: string;
  partner: { id: string; keyId: string; country: string };
}

export type StixObject = StixIndicator | StixMarkingDefinition | StixIdentity;

/** One object as a collection serves it: the object, when it was added, and its version. */
interface Served {
  key: ChangeKey;
  object: StixObject;
  dateAdded: string;
  version: string;
}

/** TAXII `match[...]` filters and paging, as the routes parse them. */
export interface ObjectQuery {
  collectionId: string;
  addedAfter?: Date;
  limit?: number;
  next?: string;
  ids?: string[];
  types?: string[];
  versions?: string[];
  specVersions?: string[];
}

function audienceOf(ctx: TaxiiCtx): Audience {
  return { country: ctx.partner.country, ownCountry: ctx.country };
}

export function assertCollection(id: string): void {
  if (id !== INDICATORS_COLLECTION_ID) throw new NotFoundError(`collection ${id}`);
}

/**
 * `next`: an opaque token of the last change served. It is also given on the last page (and
 * given back on an empty one), so a puller keeps it and later asks for what changed since.
 */
function encodeNext(k: ChangeKey): string {
  return encodeCursor('c1', k.xid, k.seq);
}

function decodeNext(token: string): ChangeKey {
  const [xid, seq] = decodeCursor(token, 'c1', [/^-?\d{1,19}$/, /^\d{1,19}$/]);
  return { xid: Number(xid), seq: Number(seq) };
}

/**
 * The objects every reader may have, ahead of the indicators in the change order (transaction
 * id -1, which no change has): the TLP 2.0 markings, and the identities of this instance and of
 * every other served country's instance, so that the `created_by_ref` of an indicator imported
 * from another country resolves too.
 */
function staticObjects(ownCountry: string): Served[] {
  const objects: (StixMarkingDefinition | StixIdentity)[] = [
    ...TLP_LEVELS.map(tlpMarkingDefinition),
    instanceIdentity(ownCountry),
    ...SERVED_COUNTRY_CODES.filter((c) => c !== ownCountry).map(instanceIdentity),
  ];
  return objects.map((object, i) => {
    const version = 'modified' in object ? object.modified : object.created;
    return { key: { xid: -1, seq: i }, object, dateAdded: object.created, version };
  });
}

function servedIndicator(r: IndicatorRow, ownCountry: string): Served {
  const object = toStix(r, ownCountry);
  return {
    key: { xid: r.federation_xid, seq: r.federation_seq },
    object,
    dateAdded: r.updated_at.toISOString(),
    version: object.modified,
  };
}

/**
 * `match[version]`: this server keeps the latest version of each object only, so `last`,
 * `first` and `all` all select it, and a timestamp selects it when it is that version.
 */
function versionMatches(s: Served, versions: string[] | undefined): boolean {
  if (!versions) return true;
  return versions.some(
    (v) => v === 'last' || v === 'first' || v === 'all' || Date.parse(v) === Date.parse(s.version),
  );
}

function keep(s: Served, q: ObjectQuery): boolean {
  if (q.ids && !q.ids.includes(s.object.id)) return false;
  if (q.types && !q.types.includes(s.object.type)) return false;
  if (q.addedAfter && Date.parse(s.dateAdded) <= q.addedAfter.getTime()) return false;
  return versionMatches(s, q.versions);
}

const after = (a: ChangeKey, b: ChangeKey) => a.xid > b.xid || (a.xid === b.xid && a.seq > b.seq);

/** One page of the collection in change order, with `more` and the `next` token. */
async function page(tx: Tx, ctx: TaxiiCtx, q: ObjectQuery) {
  assertCollection(q.collectionId);
  const limit = Math.min(q.limit ?? DEFAULT_PAGE, MAX_PAGE);
  const cursor = q.next ? decodeNext(q.next) : undefined;
  if (q.specVersions && !q.specVersions.includes('2.1'))
    return { items: [] as Served[], more: false, lastKey: cursor };
  const statics = staticObjects(ctx.country).filter(
    (s) => (!cursor || after(s.key, cursor)) && keep(s, q),
  );
  const wantIndicators = !q.types || q.types.includes('indicator');
  const rows = wantIndicators
    ? await listVisibleChanges(tx, {
        audience: audienceOf(ctx),
        after: cursor,
        addedAfter: q.addedAfter,
        stixIds: q.ids,
        limit: limit + 1,
      })
    : [];
  const candidates = [...statics, ...rows.map((r) => servedIndicator(r, ctx.country))];
  const items: Served[] = [];
  let more = false;
  let lastKey: ChangeKey | undefined;
  for (const c of candidates) {
    if (items.length === limit) {
      more = true;
      break;
    }
    // Objects the version filter drops still move the cursor past them.
    lastKey = c.key;
    if (keep(c, q)) items.push(c);
  }
  if (rows.length > limit) more = true;
  return { items, more, lastKey: lastKey ?? cursor };
}

/** An audit row of what the partner did, on the partner's federation chain. */
function auditByPartner(tx: Tx, ctx: TaxiiCtx, facts: Omit<AuditFacts, 'shard'>) {
  return audit(
    tx,
    { now: ctx.now, operator: { id: ctx.partner.id } },
    { shard: auditShard('federation', ctx.partner.id), ...facts },
  );
}

function auditRead(tx: Tx, ctx: TaxiiCtx, endpoint: string, count: number) {
  return auditByPartner(tx, ctx, {
    action: 'federation.read',
    subjectType: 'taxii_collection',
    subjectId: INDICATORS_COLLECTION_ID,
    outcome: count > 0 ? 'matched' : 'unknown',
    data: { endpoint, objects: count, partnerCountry: ctx.partner.country },
  });
}

function dateHeaders(items: Served[]) {
  const first = items[0];
  const last = items[items.length - 1];
  return first && last ? { first: first.dateAdded, last: last.dateAdded } : undefined;
}

/**
 * A page of what the partner may read, in change order, audited as a read of `endpoint`: its
 * `more` and `next` and each item in the shape the endpoint answers.
 */
async function readPage<T>(
  ctx: TaxiiCtx,
  input: ObjectQuery,
  endpoint: 'objects' | 'manifest',
  shape: (s: Served) => T,
) {
  return withTransaction(ctx, async (tx) => {
    const { items, more, lastKey } = await page(tx, ctx, input);
    await auditRead(tx, ctx, endpoint, items.length);
    return {
      body: {
        more,
        ...(lastKey ? { next: encodeNext(lastKey) } : {}),
        objects: items.map(shape),
      },
      dateAdded: dateHeaders(items),
    };
  });
}

/** `GET .../objects/`: an envelope of the objects the partner may read, in change order. */
export async function listObjects({ ctx, input }: { ctx: TaxiiCtx; input: ObjectQuery }) {
  const { body, dateAdded } = await readPage(ctx, input, 'objects', (s) => s.object);
  return { envelope: body, dateAdded };
}

/** `GET .../manifest/`: the same page, as manifest records. */
export async function listManifest({ ctx, input }: { ctx: TaxiiCtx; input: ObjectQuery }) {
  const { body, dateAdded } = await readPage(ctx, input, 'manifest', (s) => ({
    id: s.object.id,
    date_added: s.dateAdded,
    version: s.version,
    media_type: STIX_MEDIA_TYPE,
  }));
  return { manifest: body, dateAdded };
}

/** One object by id, or not found alike whether it is unknown or the partner may not read it. */
async function findObject(tx: Tx, ctx: TaxiiCtx, collectionId: string, id: string) {
  assertCollection(collectionId);
  const fixed = staticObjects(ctx.country).find((s) => s.object.id === id);
  if (fixed) return fixed;
  const row = id.startsWith('indicator--')
    ? await findVisible(tx, { audience: audienceOf(ctx), stixId: id })
    : undefined;
  if (!row) throw new NotFoundError(`object ${id}`);
  return servedIndicator(row, ctx.country);
}

/** One object by id, and the filters of `match[...]` that apply to one object. */
interface OneObjectQuery {
  collectionId: string;
  objectId: string;
  addedAfter?: Date;
  versions?: string[];
  specVersions?: string[];
}

/**
 * The object `objectId` in a list when it passes the filters (`versions` selects among its
 * versions), else an empty list; audited as a read of `endpoint`.
 */
async function readOne(
  ctx: TaxiiCtx,
  input: OneObjectQuery,
  endpoint: 'object' | 'versions',
): Promise<Served[]> {
  return withTransaction(ctx, async (tx) => {
    const served = await findObject(tx, ctx, input.collectionId, input.objectId);
    const selected =
      keep(served, {
        collectionId: input.collectionId,
        addedAfter: input.addedAfter,
        versions: input.versions,
      }) &&
      (!input.specVersions || input.specVersions.includes('2.1'))
        ? [served]
        : [];
    await auditRead(tx, ctx, endpoint, selected.length);
    return selected;
  });
}

/** `GET .../objects/{id}/`: its versions that `match[version]` selects (the latest by default). */
export async function getObject({ ctx, input }: { ctx: TaxiiCtx; input: OneObjectQuery }) {
  const selected = await readOne(ctx, input, 'object');
  return {
    envelope: { more: false, objects: selected.map((s) => s.object) },
    dateAdded: dateHeaders(selected),
  };
}

/** `GET .../objects/{id}/versions/`: the versions this server holds (the latest only). */
export async function getVersions({
  ctx,
  input,
}: {
  ctx: TaxiiCtx;
  input: { collectionId: string; objectId: string; addedAfter?: Date; specVersions?: string[] };
}) {
  const { collectionId, objectId, addedAfter, specVersions } = input;
  const selected = await readOne(
    ctx,
    { collectionId, objectId, addedAfter, specVersions },
    'versions',
  );
  return {
    versions: { more: false, versions: selected.map((s) => s.version) },
    dateAdded: dateHeaders(selected),
  };
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SIGHTING_ID = new RegExp(`^sighting--${UUID}$`);
const INDICATOR_ID = new RegExp(`^indicator--${UUID}$`);
const KINDS = ['seen', 'false_positive'] as const;

/** What a partner's sighting object says, checked; or why it is refused. */
function readSighting(
  o: Record<string, unknown>,
):
  | { ok: true; id: string; kind: (typeof KINDS)[number]; indicator: string; note: string }
  | { ok: false; message: string } {
  if (o.type !== 'sighting') return { ok: false, message: 'only sighting objects are accepted' };
  if (typeof o.id !== 'string' || !SIGHTING_ID.test(o.id))
    return { ok: false, message: 'id must be sighting--<uuid>' };
  if (typeof o.sighting_of_ref !== 'string' || !INDICATOR_ID.test(o.sighting_of_ref))
    return { ok: false, message: 'sighting_of_ref must be indicator--<uuid>' };
  const kind = o.x_simline_kind ?? 'seen';
  if (!KINDS.includes(kind as never))
    return { ok: false, message: "x_simline_kind must be 'seen' or 'false_positive'" };
  const count = o.count ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 999_999_999)
    return { ok: false, message: 'count must be an integer from 0 to 999999999' };
  for (const f of ['first_seen', 'last_seen'] as const)
    if (o[f] !== undefined && (typeof o[f] !== 'string' || Number.isNaN(Date.parse(o[f]))))
      return { ok: false, message: `${f} must be a timestamp` };
  const seen = [o.first_seen, o.last_seen].filter((v) => v !== undefined).join(' to ');
  return {
    ok: true,
    id: o.id,
    kind: kind as (typeof KINDS)[number],
    indicator: o.sighting_of_ref,
    note: `TAXII ${o.id}: ${count} time(s)${seen ? ` ${seen}` : ''}`,
  };
}

function versionOf(o: Record<string, unknown>): string {
  return typeof o.modified === 'string'
    ? o.modified
    : typeof o.created === 'string'
      ? o.created
      : '';
}

/**
 * `POST .../objects/`: a partner's sightings, each recorded as a watchlist sighting by the
 * partner (a `seen` extends validity; a `false_positive` is recorded and does not suspend, as
 * the partner does not own the indicator). A sighting of an indicator the partner cannot read
 * fails in the status exactly as one of an unknown indicator. A sighting posted again (same id)
 * succeeds without being recorded twice.
 */
export async function addSightings({
  ctx,
  input,
}: {
  ctx: TaxiiCtx;
  input: { collectionId: string; objects: Record<string, unknown>[] };
}) {
  assertCollection(input.collectionId);
  const successes: StatusDetail[] = [];
  const failures: StatusDetail[] = [];
  for (const o of input.objects) {
    const id = typeof o.id === 'string' ? o.id.slice(0, 200) : '';
    const version = versionOf(o).slice(0, 40);
    const s = readSighting(o);
    if (!s.ok) {
      failures.push({ id, version, message: s.message });
      continue;
    }
    const outcome = await withTransaction({ db: ctx.db }, async (tx) => {
      const row = await findVisible(tx, { audience: audienceOf(ctx), stixId: s.indicator });
      if (!row) return 'the indicator is not in this collection';
      if (row.status === 'revoked') return 'the indicator is revoked';
      const first = await markSightingReceived(tx, {
        partnerId: ctx.partner.id,
        sightingId: s.id,
        indicatorId: row.id,
        at: ctx.now,
      });
      if (!first) return undefined;
      await addSighting({
        ctx: {
          db: ctx.db,
          tx,
          now: ctx.now,
          country: ctx.country,
          actor: { kind: 'organisation', orgId: ctx.partner.id, keyId: ctx.partner.keyId },
        },
        input: { indicatorId: row.id, kind: s.kind, note: s.note },
      });
      await auditByPartner(tx, ctx, {
        action: 'federation.sighting',
        subjectType: 'watchlist_indicator',
        subjectId: row.id,
        outcome: 'success',
        data: { kind: s.kind, partnerCountry: ctx.partner.country },
      });
      return undefined;
    });
    if (outcome) failures.push({ id, version, message: outcome });
    else successes.push({ id, version });
  }
  return withTransaction(ctx, async (tx) => {
    const row = await insertStatus(tx, {
      id: randomUUID(),
      partnerId: ctx.partner.id,
      at: ctx.now,
      successes,
      failures,
    });
    await auditByPartner(tx, ctx, {
      action: 'federation.sightings_received',
      subjectType: 'taxii_status',
      subjectId: row.id,
      outcome: 'success',
      data: { total: row.total_count, succeeded: row.success_count, failed: row.failure_count },
    });
    return statusResource(row);
  });
}

type StatusRow = Awaited<ReturnType<typeof insertStatus>>;

function statusResource(r: StatusRow) {
  return {
    id: r.id,
    status: 'complete' as const,
    request_timestamp: r.request_timestamp.toISOString(),
    total_count: r.total_count,
    success_count: r.success_count,
    successes: r.successes,
    failure_count: r.failure_count,
    failures: r.failures,
    pending_count: 0,
    pendings: [],
  };
}

/** `GET /taxii2/api/status/{id}/`: only the partner that posted sees its status. */
export async function getStatus({ ctx, input }: { ctx: TaxiiCtx; input: { statusId: string } }) {
  return withTransaction(ctx, async (tx) => {
    const row = await findStatus(tx, { id: input.statusId, partnerId: ctx.partner.id });
    if (!row) throw new NotFoundError(`status ${input.statusId}`);
    await auditRead(tx, ctx, 'status', 1);
    return statusResource(row);
  });
}
