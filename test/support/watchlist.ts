import { randomUUID } from 'node:crypto';
import { newId } from '../../src/platform/crypto.js';
import type { Db } from '../../src/platform/db/client.js';

/** Lists an indicator directly in `watchlist_indicators` (active, valid a year unless told). */
export async function listIndicator(
  db: Db,
  now: Date,
  v: { type: string; value: string; category?: string; validUntil?: Date; status?: string },
): Promise<string> {
  const id = newId('ind');
  await db
    .insertInto('watchlist_indicators')
    .values({
      id,
      stix_id: `indicator--${randomUUID()}`,
      type: v.type,
      value: v.value,
      bank_code: '',
      category: v.category ?? 'scam_caller',
      confidence: 80,
      tlp: 'amber',
      share_with: ['*'],
      status: v.status ?? 'active',
      valid_until: v.validUntil ?? new Date(now.getTime() + 365 * 86_400_000),
      description: 'test listing',
      source_country: 'TH',
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

/** Revokes an indicator as the watchlist domain does: status and `updated_at`. */
export async function revokeIndicator(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable('watchlist_indicators')
    .set({ status: 'revoked', revoked_at: now, revoke_reason: 'test', updated_at: now })
    .where('id', '=', id)
    .execute();
}
