import {
  type AdminCtx,
  issueKey,
  organisationIssues,
  PARTNER_SCOPES,
} from '../access/operators.js';
import { audit } from '../platform/audit.js';
import { type Keyring, newId } from '../platform/crypto.js';
import type { DbOrTx } from '../platform/db/client.js';
import { withTransaction } from '../platform/db/transaction.js';
import { InvalidError } from '../platform/errors.js';
import { addPull, pullStatuses, taxiiUrlIssues } from './pulls.js';

export interface PartnerCtx extends AdminCtx {
  /** This instance's country: a partner is always another country's instance. */
  country: string;
  /** Seals the partner's key when this instance pulls from it (PII_KEYS). */
  keyring?: Keyring;
}

export interface PartnerInput {
  name: string;
  country: string;
  /** Pull the partner's TAXII collection (a discovery URL or an API root) with its key. */
  pull?: { taxiiUrl: string; key: string };
}

/**
 * A partner: another country's instance, an organisation (kind `partner`) whose API key reads
 * this instance's TAXII collection and posts sightings to it, and nothing else.
 */
export async function addPartner({ ctx, input }: { ctx: PartnerCtx; input: PartnerInput }) {
  const country = input.country.toUpperCase();
  const name = input.name.trim();
  const issues = organisationIssues(input.name, country);
  if (country === ctx.country)
    issues.push({
      path: 'country',
      message: `a partner is another country's instance; this instance is ${ctx.country}`,
    });
  if (input.pull) issues.push(...taxiiUrlIssues(input.pull.taxiiUrl, input.pull.key));
  if (issues.length > 0) throw new InvalidError('invalid partner', issues);
  const partnerId = newId('ptn');
  return withTransaction(ctx, async (tx) => {
    await tx
      .insertInto('operators')
      .values({ id: partnerId, name, country, kind: 'partner' })
      .execute();
    await audit(tx, ctx, {
      shard: `admin:${partnerId}`,
      action: 'partner.created',
      subjectType: 'partner',
      subjectId: partnerId,
      outcome: 'success',
      data: { name, country },
    });
    const key = await issueKey({ ...ctx, tx }, partnerId, PARTNER_SCOPES);
    const pull = input.pull
      ? await addPull(
          tx,
          { ...ctx, keyring: requireKeyring(ctx) },
          { partnerId, country, ...input.pull },
        )
      : undefined;
    return { partnerId, keyId: key.keyId, apiKey: key.apiKey, ...pull };
  });
}

function requireKeyring(ctx: PartnerCtx): Keyring {
  if (!ctx.keyring) throw new Error('pulling a partner needs the keyring that seals its key');
  return ctx.keyring;
}

/** The partners, with the state of the pull from each this instance pulls (else `pull: null`). */
export async function listPartners(db: DbOrTx) {
  const pulls = await pullStatuses(db);
  const rows = await db
    .selectFrom('operators')
    .select(['id', 'name', 'country', 'created_at'])
    .where('kind', '=', 'partner')
    .orderBy('country')
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    partnerId: r.id,
    name: r.name,
    country: r.country,
    createdAt: r.created_at.toISOString(),
    pull: pulls.get(r.id) ?? null,
  }));
}
