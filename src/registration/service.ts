import type { AuthenticatedOperator } from '../access/queries.js';
import { audit, auditShard } from '../platform/audit.js';
import { type Keyring, newId } from '../platform/crypto.js';
import type { Tx } from '../platform/db/client.js';
import { type TxCtx, withTransaction } from '../platform/db/transaction.js';
import { type ErrorCode, InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import { fingerprintRequest, type RequestFingerprint } from '../platform/idempotency.js';
import { parseInput } from '../platform/parse.js';
import { DAY_MS, HOUR_MS, SECOND_MS } from '../platform/time.js';
import {
  checkRegistrationWatchlist,
  findListedLinesOf,
  flagListedIdentity,
} from '../watchlist/matching/registration.js';
import {
  type RegistrationCreated,
  type RegistrationRequest,
  RegistrationRequestSchema,
  type RegistrationView,
} from './contract.js';
import { acceptDocument } from './document-policy.js';
import { type IdentifiedPerson, identify, personRow } from './identity.js';
import { checkLineIdentifiers } from './numbering.js';
import {
  claimVerification,
  countAccountSims,
  countAcquisitions,
  countActiveSims,
  findAcquisitionLimit,
  findCaps,
  findDocumentPolicy,
  findMsisdnBlock,
  findOwnRegistration,
  findVerificationPolicy,
  iccidUsed,
  isAccountRepresentative,
  lockExemptAccount,
  lockPerson,
} from './queries.js';
import { checkEvidence } from './verification.js';

export interface RegistrationCtx extends TxCtx {
  operator: AuthenticatedOperator;
  identityPepper: Buffer;
  keyring: Keyring;
  now: Date;
  requestId: string;
  quarantineDays: number;
  idempotencyTtlMs: number;
}

/** Refusals that are answers, not faults: audited and stored under the Idempotency-Key. */
export const REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'invalid_document',
  'document_not_accepted',
  'verification_insufficient',
  'sim_cap_exceeded',
  'cooling_off_active',
  'msisdn_already_registered',
  'msisdn_quarantined',
  'msisdn_watchlisted',
  'identity_watchlisted',
  'iccid_already_registered',
  'acquisition_limit_exceeded',
  'verification_reused',
  'account_representative_required',
  'unprocessable',
]);

const UNIQUE_VIOLATIONS: Record<string, ErrorCode> = {
  registrations_active_msisdn_key: 'msisdn_already_registered',
  registrations_iccid_key: 'iccid_already_registered',
};

const ICCID_USED =
  'this ICCID was registered before; a SIM card registers once, so a new card is needed';

/** An HMAC under the server's fingerprint keys: the body holds a document number and a name. */
export function requestFingerprint(
  keys: readonly { id: string; key: Buffer }[],
  method: string,
  path: string,
  body: unknown,
): RequestFingerprint {
  return fingerprintRequest(keys, method, path, body);
}

async function attemptRegistration(
  tx: Tx,
  ctx: RegistrationTxCtx,
  req: RegistrationRequest,
  person: IdentifiedPerson,
): Promise<RegistrationCreated> {
  const { operator, now } = ctx;
  const country = operator.country;
  /** Independent reads are pipelined on the transaction's connection: one round trip each group. */
  const [policy, caps, documents, acquisition] = await Promise.all([
    findVerificationPolicy(tx, { country }),
    findCaps(tx, { country }),
    findDocumentPolicy(tx, { country }),
    findAcquisitionLimit(tx, { country }),
  ]);
  acceptDocument(documents, req.subscriber, country);
  const weak = checkEvidence(
    policy,
    { ...req.verification, verifiedAt: new Date(req.verification.verifiedAt) },
    now,
  );
  if (weak) throw new ServiceError('verification_insufficient', weak.detail, { check: weak.check });
  if (!caps) throw new ServiceError('unprocessable', `no SIM caps are configured for ${country}`);
  if (!acquisition)
    throw new ServiceError('unprocessable', `no acquisition limit is configured for ${country}`);

  await lockPerson(tx, personRow(ctx.keyring, req.subscriber, person));

  /** Read under the person lock, so the counts cannot change before this transaction ends. */
  const windowStart = new Date(now.getTime() - acquisition.window_days * DAY_MS);
  const [block, iccidTaken, counts, acquired, verifiedPerson] = await Promise.all([
    findMsisdnBlock(tx, { msisdn: req.msisdn, now }),
    iccidUsed(tx, { iccid: req.iccid }),
    countActiveSims(tx, { personKey: person.personKey, country, operatorId: operator.id }),
    countAcquisitions(tx, {
      personKey: person.personKey,
      country,
      since: windowStart,
      limit: acquisition.max_new_sims,
    }),
    /** Before the account lock, so locks are always taken person, reference, account. */
    claimVerification(tx, {
      country,
      method: req.verification.method,
      reference: req.verification.reference,
      personKey: person.personKey,
      at: now,
    }),
  ]);
  if (verifiedPerson !== person.personKey) {
    throw new ServiceError(
      'verification_reused',
      'this verification reference was already used for another person; each person needs their own verification',
    );
  }
  if (block?.status === 'active') {
    throw new ServiceError(
      'msisdn_already_registered',
      'this MSISDN already has an active registration',
    );
  }
  if (block?.quarantine_until) {
    throw new ServiceError(
      'msisdn_quarantined',
      'this MSISDN is in quarantine after deregistration',
      {
        quarantineUntil: block.quarantine_until.toISOString(),
      },
    );
  }
  if (iccidTaken) throw new ServiceError('iccid_already_registered', ICCID_USED);
  await checkRegistrationWatchlist(tx, {
    msisdn: req.msisdn,
    personKey: person.personKey,
    country,
    now,
  });

  let exemptAccountId: string | null = null;
  let account: RegistrationCreated['account'];
  if (req.account) {
    const acct = await lockExemptAccount(tx, {
      operatorId: operator.id,
      accountRef: req.account.accountRef,
    });
    if (!acct) {
      throw new ServiceError('unprocessable', 'the account is not an approved cap-exempt account', {
        check: 'account_not_approved',
      });
    }
    if (!(await isAccountRepresentative(tx, { accountId: acct.id, personKey: person.personKey }))) {
      throw new ServiceError(
        'account_representative_required',
        "the subscriber is not one of the account's authorised representatives",
      );
    }
    const used = await countAccountSims(tx, { accountId: acct.id });
    if (used >= acct.sim_limit) {
      throw new ServiceError(
        'sim_cap_exceeded',
        `the account's limit of ${acct.sim_limit} SIMs is reached`,
        {
          cap: 'account',
          limit: acct.sim_limit,
          count: used,
        },
      );
    }
    exemptAccountId = acct.id;
    account = { accountRef: acct.account_ref, count: used + 1, limit: acct.sim_limit };
  } else {
    if (counts.operator >= caps.per_operator) {
      throw new ServiceError(
        'sim_cap_exceeded',
        `this person already holds ${counts.operator} active SIMs with this operator; the cap is ${caps.per_operator}`,
        { cap: 'operator', limit: caps.per_operator, count: counts.operator },
      );
    }
    if (caps.national !== null && counts.national >= caps.national) {
      throw new ServiceError(
        'sim_cap_exceeded',
        `this person already holds ${counts.national} active SIMs in ${country}; the national cap is ${caps.national}`,
        { cap: 'national', limit: caps.national, count: counts.national },
      );
    }
    if (acquired.count >= acquisition.max_new_sims) {
      const freesAt = acquired.freesAt
        ? acquired.freesAt.getTime() + acquisition.window_days * DAY_MS
        : null;
      throw new ServiceError(
        'acquisition_limit_exceeded',
        `this person took ${acquired.count} new SIMs in the last ${acquisition.window_days} days, deregistered ones included; the limit is ${acquisition.max_new_sims}`,
        {
          limit: acquisition.max_new_sims,
          count: acquired.count,
          windowDays: acquisition.window_days,
          ...(freesAt === null
            ? {}
            : { retryAfter: Math.max(1, Math.ceil((freesAt - now.getTime()) / SECOND_MS)) }),
        },
      );
    }
    if (caps.cooling_off_hours > 0 && counts.lastAt) {
      const until = counts.lastAt.getTime() + caps.cooling_off_hours * HOUR_MS;
      if (until > now.getTime()) {
        throw new ServiceError(
          'cooling_off_active',
          `a new SIM for this person is possible from ${new Date(until).toISOString()}`,
          {
            retryAfter: Math.ceil((until - now.getTime()) / SECOND_MS),
          },
        );
      }
    }
  }

  const registrationId = newId('reg');
  await tx
    .insertInto('registrations')
    .values({
      id: registrationId,
      operator_id: operator.id,
      country,
      msisdn: req.msisdn,
      iccid: req.iccid,
      imsi: req.imsi,
      person_key: person.personKey,
      exempt_account_id: exemptAccountId,
      status: 'active',
      verification_method: req.verification.method,
      verification_reference: req.verification.reference,
      verification_score: req.verification.score,
      verified_at: new Date(req.verification.verifiedAt),
      pos_agent_id: req.pointOfSale.agentId,
      pos_outlet_id: req.pointOfSale.outletId,
      created_at: now,
    })
    .execute();
  await audit(tx, ctx, {
    shard: auditShard(`reg:${operator.id}`, person.personKey),
    action: 'registration.created',
    subjectType: 'person',
    subjectId: person.personKey,
    outcome: 'success',
    data: {
      registrationId,
      msisdn: req.msisdn,
      iccid: req.iccid,
      method: req.verification.method,
      agentId: req.pointOfSale.agentId,
      outletId: req.pointOfSale.outletId,
      exemptAccount: exemptAccountId !== null,
    },
  });
  const counted = exemptAccountId === null ? 1 : 0;
  return {
    registrationId,
    msisdn: req.msisdn,
    status: 'active',
    counts: { operator: counts.operator + counted, national: counts.national + counted },
    caps: { operator: caps.per_operator, national: caps.national },
    registeredAt: now.toISOString(),
    ...(account ? { account } : {}),
  };
}

function uniqueViolation(err: unknown): ErrorCode | undefined {
  const e = err as { code?: string; constraint_name?: string; constraint?: string };
  if (e?.code !== '23505') return undefined;
  return UNIQUE_VIOLATIONS[e.constraint_name ?? e.constraint ?? ''];
}

/** The calling operator's view of a registration: what `registerSim` works with, inside a transaction. */
export type RegistrationTxCtx = Pick<
  RegistrationCtx,
  'operator' | 'identityPepper' | 'keyring' | 'now'
> & { tx: Tx };

/** A registration request through its contract schema, then the operator's numbering plan. */
function parseRegistration(ctx: Pick<RegistrationCtx, 'operator'>, input: unknown) {
  const req = parseInput(RegistrationRequestSchema, input);
  const lineIssues = checkLineIdentifiers(req, ctx.operator);
  if (lineIssues.length > 0)
    throw new InvalidError(`${lineIssues.length} field(s) failed validation`, lineIssues);
  return req;
}

/**
 * Registers a SIM for the calling operator in the caller's transaction, or throws the refusal
 * (a cap, a reused verification, a number taken meanwhile). A refusal in `REFUSALS` is an answer:
 * the caller rolls back the attempt, then records it with `auditRegistrationRefused`.
 */
export async function registerSim({
  ctx,
  input,
}: {
  ctx: RegistrationTxCtx;
  input: RegistrationRequest;
}): Promise<RegistrationCreated> {
  const req = parseRegistration(ctx, input);
  const person = identify(req.subscriber, ctx.identityPepper, ctx.now);
  try {
    return await attemptRegistration(ctx.tx, ctx, req, person);
  } catch (err) {
    const code = uniqueViolation(err);
    if (!code) throw err;
    throw new ServiceError(
      code,
      code === 'msisdn_already_registered'
        ? 'this MSISDN already has an active registration'
        : ICCID_USED,
    );
  }
}

/** The audit row of a refused registration: about the person, or the number if the document failed. */
export async function auditRegistrationRefused({
  ctx,
  input,
}: {
  ctx: RegistrationTxCtx;
  input: { request: RegistrationRequest; refusal: ServiceError };
}): Promise<void> {
  const { request: req, refusal } = input;
  let personKey: string | undefined;
  try {
    personKey = identify(req.subscriber, ctx.identityPepper, ctx.now).personKey;
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
  }
  /** The attempt's flag of an identity with listed lines was rolled back with it: set it again. */
  if (personKey !== undefined) {
    const listed = await findListedLinesOf(ctx.tx, { personKey, now: ctx.now });
    if (listed.length > 0)
      await flagListedIdentity(ctx.tx, { personKey, lines: listed.length, now: ctx.now });
  }
  await audit(ctx.tx, ctx, {
    shard: auditShard(`reg:${ctx.operator.id}`, personKey ?? req.msisdn),
    action: 'registration.refused',
    subjectType: personKey ? 'person' : 'msisdn',
    subjectId: personKey ?? req.msisdn,
    outcome: 'refused',
    data: {
      code: refusal.code,
      msisdn: req.msisdn,
      ...(typeof refusal.extra.check === 'string' ? { check: refusal.extra.check } : {}),
      ...(typeof refusal.extra.cap === 'string' ? { cap: refusal.extra.cap } : {}),
      ...(typeof refusal.extra.rule === 'string' ? { rule: refusal.extra.rule } : {}),
      ...(typeof refusal.extra.indicatorId === 'string'
        ? { indicatorId: refusal.extra.indicatorId }
        : {}),
    },
  });
}

function toView(r: NonNullable<Awaited<ReturnType<typeof findOwnRegistration>>>): RegistrationView {
  return {
    registrationId: r.id,
    msisdn: r.msisdn,
    iccid: r.iccid,
    imsi: r.imsi,
    status: r.status as RegistrationView['status'],
    registeredAt: r.created_at.toISOString(),
    deregisteredAt: r.deregistered_at?.toISOString() ?? null,
    deregistrationReason: r.deregistration_reason,
    quarantineUntil: r.quarantine_until?.toISOString() ?? null,
    verification: {
      method: r.verification_method,
      reference: r.verification_reference,
      score: r.verification_score,
      verifiedAt: r.verified_at.toISOString(),
    },
    pointOfSale: { agentId: r.pos_agent_id, outletId: r.pos_outlet_id },
    exemptAccount: r.exempt_account_id !== null,
  };
}

/** Own operator only: another operator's number is indistinguishable from an unknown one. */
export async function getRegistration({
  ctx,
  input,
}: {
  ctx: Pick<RegistrationCtx, 'db' | 'operator'>;
  input: { msisdn: string };
}): Promise<RegistrationView> {
  const r = await findOwnRegistration(ctx.db, {
    operatorId: ctx.operator.id,
    msisdn: input.msisdn,
  });
  if (!r) throw new NotFoundError(`registration of ${input.msisdn}`);
  return toView(r);
}

export async function deregisterSim({
  ctx,
  input,
}: {
  ctx: RegistrationCtx;
  input: { msisdn: string; reason: string };
}): Promise<RegistrationView> {
  return withTransaction(ctx, async (tx) => {
    const quarantineUntil = new Date(ctx.now.getTime() + ctx.quarantineDays * DAY_MS);
    const row = await tx
      .updateTable('registrations')
      .set({
        status: 'deregistered',
        deregistered_at: ctx.now,
        deregistration_reason: input.reason,
        quarantine_until: quarantineUntil,
      })
      .where('operator_id', '=', ctx.operator.id)
      .where('msisdn', '=', input.msisdn)
      .where('status', '=', 'active')
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`active registration of ${input.msisdn}`);
    await audit(tx, ctx, {
      shard: auditShard(`reg:${ctx.operator.id}`, row.person_key),
      action: 'registration.deregistered',
      subjectType: 'person',
      subjectId: row.person_key,
      outcome: 'success',
      data: {
        registrationId: row.id,
        msisdn: row.msisdn,
        reason: input.reason,
        quarantineUntil: quarantineUntil.toISOString(),
      },
    });
    return toView(row);
  });
}
