import { type AuditCtx, audit } from '../platform/audit.js';
import type { DbOrTx } from '../platform/db/client.js';
import { type TxCtx, withTransaction } from '../platform/db/transaction.js';
import { InvalidError } from '../platform/errors.js';
import { INDICATOR_TYPES, type IndicatorType, normaliseIndicator } from './normalise.js';
import { listWarninglist, upsertWarninglist } from './queries.js';

/** Why a value may never be listed. */
export const WARNING_REASONS = [
  'verified_bank',
  'government_hotline',
  'operator_hotline',
  'approved_bulk_caller',
] as const;

/** Adds (or updates) a warninglist entry, in canonical form: listing it is then refused. */
export async function addWarninglistEntry({
  ctx,
  input,
}: {
  ctx: TxCtx & AuditCtx;
  input: {
    type: string;
    value: string;
    bankCode?: string;
    reason: string;
    description: string;
    source: string;
  };
}) {
  const issues: { path: string; message: string }[] = [];
  if (!(INDICATOR_TYPES as readonly string[]).includes(input.type))
    issues.push({ path: 'type', message: `must be one of ${INDICATOR_TYPES.join(', ')}` });
  if (!(WARNING_REASONS as readonly string[]).includes(input.reason))
    issues.push({ path: 'reason', message: `must be one of ${WARNING_REASONS.join(', ')}` });
  if (!input.description.trim()) issues.push({ path: 'description', message: 'must not be empty' });
  if (!input.source.trim())
    issues.push({ path: 'source', message: 'must name where it was verified' });
  if (issues.length > 0) throw new InvalidError('invalid warninglist entry', issues);
  const type = input.type as IndicatorType;
  const key = normaliseIndicator(type, input.value, input.bankCode);
  const entry = {
    type,
    ...key,
    reason: input.reason,
    description: input.description.trim(),
    source: input.source.trim(),
  };
  await withTransaction(ctx, async (tx) => {
    await upsertWarninglist(tx, entry);
    await audit(tx, ctx, {
      action: 'watchlist.warninglisted',
      subjectType: 'watchlist_warninglist',
      subjectId: `${type}:${key.value}${key.bankCode ? `@${key.bankCode}` : ''}`,
      outcome: 'success',
      data: { type, reason: entry.reason },
    });
  });
  return entry;
}

export async function warninglist(db: DbOrTx) {
  return (await listWarninglist(db)).map((r) => ({
    type: r.type,
    value: r.value,
    bankCode: r.bank_code,
    reason: r.reason,
    description: r.description,
    source: r.source,
  }));
}
