/**
 * The per-country registration policy for identities whose lines are listed: verbs behind the
 * `watchlist-policy` CLI commands.
 */
import { audit } from '../../platform/audit.js';
import { type TxCtx, withTransaction } from '../../platform/db/transaction.js';
import { InvalidError } from '../../platform/errors.js';
import { isServedCountry } from '../../registration/served-countries.js';

export const LISTED_IDENTITY_POLICIES = ['allow', 'refuse'] as const;
export type ListedIdentityPolicy = (typeof LISTED_IDENTITY_POLICIES)[number];

interface PolicyCtx extends TxCtx {
  actor: string;
  now: Date;
}

/** Sets what a registration by an identity with listed lines gets in `country`. */
export async function setListedIdentityPolicy({
  ctx,
  input,
}: {
  ctx: PolicyCtx;
  input: { country: string; listedIdentity: string };
}): Promise<{ country: string; listedIdentity: ListedIdentityPolicy }> {
  const issues = [
    ...(isServedCountry(input.country)
      ? []
      : [{ path: 'country', message: 'must be a served country code, e.g. TH' }]),
    ...((LISTED_IDENTITY_POLICIES as readonly string[]).includes(input.listedIdentity)
      ? []
      : [{ path: 'listedIdentity', message: 'must be allow or refuse' }]),
  ];
  if (issues.length > 0) throw new InvalidError('invalid watchlist policy', issues);
  const listedIdentity = input.listedIdentity as ListedIdentityPolicy;
  await withTransaction(ctx, async (tx) => {
    await tx
      .insertInto('watchlist_registration_policies')
      .values({ country: input.country, listed_identity: listedIdentity, updated_at: ctx.now })
      .onConflict((oc) =>
        oc.column('country').doUpdateSet({ listed_identity: listedIdentity, updated_at: ctx.now }),
      )
      .execute();
    await audit(tx, ctx, {
      shard: 'admin:watchlist',
      action: 'watchlist.registration_policy_set',
      subjectType: 'country',
      subjectId: input.country,
      outcome: 'success',
      data: { listedIdentity },
    });
  });
  return { country: input.country, listedIdentity };
}

/** Every country's policy; a served country without a row allows (and flags). */
export async function listListedIdentityPolicies(ctx: TxCtx) {
  const rows = await (ctx.tx ?? ctx.db)
    .selectFrom('watchlist_registration_policies')
    .select(['country', 'listed_identity', 'updated_at'])
    .orderBy('country')
    .execute();
  return rows.map((r) => ({
    country: r.country,
    listedIdentity: r.listed_identity as ListedIdentityPolicy,
    updatedAt: r.updated_at.toISOString(),
  }));
}
