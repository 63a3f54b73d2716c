/**
 * Pull subscriptions: which partner collection this instance pulls, with the partner's key
 * sealed, and how the pull goes (cursor, counts, lag, errors) for `partners list`.
 */
import { type AuditCtx, audit } from '../platform/audit.js';
import { type Keyring, newId, open, seal } from '../platform/crypto.js';
import type { DbOrTx, Tx } from '../platform/db/client.js';
import { InvalidError } from '../platform/errors.js';

/** The associated data binding a sealed key to its subscription row. */
const keyBinding = (pullId: string) => `federation_pulls.key_sealed:${pullId}`;

export function openPullKey(ring: Keyring, pull: { id: string; key_sealed: string }): string {
  return open(ring, pull.key_sealed, keyBinding(pull.id));
}

/** A TAXII URL to pull: http(s), no credentials in it (the key is given apart and sealed). */
export function taxiiUrlIssues(url: string, key: string): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    issues.push({ path: 'taxiiUrl', message: 'must be an absolute URL' });
  }
  if (u && u.protocol !== 'https:' && u.protocol !== 'http:')
    issues.push({ path: 'taxiiUrl', message: 'must be an http or https URL' });
  if (u && (u.username || u.password))
    issues.push({ path: 'taxiiUrl', message: 'must not carry credentials: give --key' });
  if (!key.trim()) issues.push({ path: 'key', message: "must be the partner's API key" });
  return issues;
}

/**
 * Subscribes to a partner's collection, inside the caller's transaction (the one creating the
 * partner). Nothing is fetched here: the puller discovers the API root and collection on its
 * first run, so a partner not yet reachable can still be added.
 */
export async function addPull(
  tx: Tx,
  ctx: AuditCtx & { keyring: Keyring },
  input: { partnerId: string; country: string; taxiiUrl: string; key: string },
): Promise<{ pullId: string }> {
  const issues = taxiiUrlIssues(input.taxiiUrl, input.key);
  if (issues.length > 0) throw new InvalidError('invalid pull subscription', issues);
  const pullId = newId('pull');
  await tx
    .insertInto('federation_pulls')
    .values({
      id: pullId,
      partner_id: input.partnerId,
      country: input.country,
      taxii_url: input.taxiiUrl,
      key_sealed: seal(ctx.keyring, input.key.trim(), keyBinding(pullId)),
      created_at: ctx.now,
    })
    .execute();
  await audit(tx, ctx, {
    shard: `federation:${input.partnerId}`,
    action: 'federation.pull_added',
    subjectType: 'federation_pull',
    subjectId: pullId,
    outcome: 'success',
    data: { partnerId: input.partnerId, country: input.country, taxiiUrl: input.taxiiUrl },
  });
  return { pullId };
}

/** The value below which `q` of the sorted samples fall (nearest rank); null without samples. */
export function percentile(samples: readonly number[], q: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null;
}

export interface PullStatus {
  pullId: string;
  taxiiUrl: string;
  apiRoot: string | null;
  collectionId: string | null;
  /** Publish-to-usable lag of the recent imports: the source's `modified` to the commit here. */
  lag: { p50Ms: number | null; p95Ms: number | null; samples: number };
  counts: { imported: number; updated: number; revoked: number; refused: number };
  cursor: { next: string | null; addedAfter: string | null };
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  nextAttemptAt: string | null;
}

/** Each partner's pull, by partner id. */
export async function pullStatuses(db: DbOrTx): Promise<Map<string, PullStatus>> {
  const rows = await db.selectFrom('federation_pulls').selectAll().execute();
  return new Map(
    rows.map((r) => [
      r.partner_id,
      {
        pullId: r.id,
        taxiiUrl: r.taxii_url,
        apiRoot: r.api_root,
        collectionId: r.collection_id,
        lag: {
          p50Ms: percentile(r.recent_lags_ms, 0.5),
          p95Ms: percentile(r.recent_lags_ms, 0.95),
          samples: r.recent_lags_ms.length,
        },
        counts: {
          imported: r.imported,
          updated: r.updated,
          revoked: r.revoked,
          refused: r.refused,
        },
        cursor: { next: r.cursor_next, addedAfter: r.added_after?.toISOString() ?? null },
        lastSuccessAt: r.last_success_at?.toISOString() ?? null,
        lastError: r.last_error,
        lastErrorAt: r.last_error_at?.toISOString() ?? null,
        nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
      },
    ]),
  );
}
