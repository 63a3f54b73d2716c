import { audit } from '../platform/audit.js';
import type { Keyring } from '../platform/crypto.js';
import type { Tx } from '../platform/db/client.js';
import { withTransaction } from '../platform/db/transaction.js';
import { InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import type { CapsAdminCtx } from './caps.js';
import { SubscriberSchema } from './contract.js';
import { identify, personRow } from './identity.js';
import { lockPerson } from './queries.js';

export interface RepresentativeCtx extends CapsAdminCtx {
  identityPepper: Buffer;
  keyring: Keyring;
}

interface RepresentativeInput {
  operatorId: string;
  accountRef: string;
  /** The representative's identity document, in the shape a registration's subscriber takes. */
  subscriber: unknown;
}

/**
 * The person of the document, keyed as a registration keys it and stored as a person (sealed),
 * so re-keying persons carries representatives along; and the account, both locked.
 */
async function resolve(tx: Tx, ctx: RepresentativeCtx, input: RepresentativeInput) {
  const parsed = SubscriberSchema.safeParse(input.subscriber);
  if (!parsed.success) {
    throw new InvalidError(
      'invalid representative document',
      parsed.error.issues.map((i) => ({
        path: ['subscriber', ...i.path].join('.'),
        message: i.message,
      })),
    );
  }
  const person = identify(parsed.data, ctx.identityPepper, ctx.now);
  /** Person, then account: the order registrations take these locks in. */
  await lockPerson(tx, personRow(ctx.keyring, parsed.data, person));
  const account = await tx
    .selectFrom('cap_exempt_accounts')
    .select(['id', 'account_ref'])
    .where('operator_id', '=', input.operatorId)
    .where('account_ref', '=', input.accountRef.trim())
    /** Registrations under the account hold this lock too: none runs across the change. */
    .forUpdate()
    .executeTakeFirst();
  if (!account)
    throw new NotFoundError(`exempt account ${input.accountRef} of ${input.operatorId}`);
  return { personKey: person.personKey, account };
}

async function countRepresentatives(tx: Tx, accountId: string): Promise<number> {
  const row = await tx
    .selectFrom('exempt_account_representatives')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Audits a change of an account's representatives and answers with the account's count. */
async function recordChange(
  tx: Tx,
  ctx: RepresentativeCtx,
  input: RepresentativeInput,
  { account, personKey }: { account: { id: string; account_ref: string }; personKey: string },
  change: 'representative_added' | 'representative_removed',
) {
  await audit(tx, ctx, {
    shard: `admin:${input.operatorId}`,
    action: `exempt_account.${change}`,
    subjectType: 'exempt_account',
    subjectId: account.id,
    outcome: 'success',
    data: { accountRef: account.account_ref, personKey },
  });
  return {
    accountId: account.id,
    accountRef: account.account_ref,
    personKey,
    representatives: await countRepresentatives(tx, account.id),
  };
}

/** Names a person who may register SIMs under an exempt account; audited. */
export async function addAccountRepresentative({
  ctx,
  input,
}: {
  ctx: RepresentativeCtx;
  input: RepresentativeInput;
}) {
  return withTransaction(ctx, async (tx) => {
    const { personKey, account } = await resolve(tx, ctx, input);
    const added = await tx
      .insertInto('exempt_account_representatives')
      .values({
        account_id: account.id,
        person_key: personKey,
        added_by: ctx.actor,
        added_at: ctx.now,
      })
      .onConflict((oc) => oc.columns(['account_id', 'person_key']).doNothing())
      .returning('person_key')
      .executeTakeFirst();
    if (!added) {
      throw new ServiceError('conflict', 'this person is already a representative of the account');
    }
    return recordChange(tx, ctx, input, { account, personKey }, 'representative_added');
  });
}

/** Withdraws a representative; SIMs they registered stay on the account. Audited. */
export async function removeAccountRepresentative({
  ctx,
  input,
}: {
  ctx: RepresentativeCtx;
  input: RepresentativeInput;
}) {
  return withTransaction(ctx, async (tx) => {
    const { personKey, account } = await resolve(tx, ctx, input);
    const removed = await tx
      .deleteFrom('exempt_account_representatives')
      .where('account_id', '=', account.id)
      .where('person_key', '=', personKey)
      .returning('person_key')
      .executeTakeFirst();
    if (!removed) throw new NotFoundError('this representative of the account');
    return recordChange(tx, ctx, input, { account, personKey }, 'representative_removed');
  });
}
