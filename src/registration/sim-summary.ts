import { type AuditEntry, audit, auditShard } from '../platform/audit.js';
import { open } from '../platform/crypto.js';
import { withTransaction } from '../platform/db/transaction.js';
import { ServiceError } from '../platform/errors.js';
import { takeTokens } from '../platform/rate-limit.js';
import { HOUR_MS, MINUTE_MS } from '../platform/time.js';
import type { SimSummary, SimSummaryRequest } from './contract.js';
import { identify } from './identity.js';
import { sameName } from './names.js';
import {
  countActiveSims,
  findCaps,
  findSealedPerson,
  findVerificationPolicy,
  listOwnActiveMsisdns,
} from './queries.js';
import type { RegistrationCtx } from './service.js';
import { checkEvidence } from './verification.js';

export type SimSummaryCtx = Pick<
  RegistrationCtx,
  'db' | 'operator' | 'identityPepper' | 'keyring' | 'now'
> & {
  /** Calls per operator per minute, counted across replicas. */
  perMinute: number;
};

/** Whether name and birth date match the identity sealed at its first registration. */
function claimMatches(
  ctx: SimSummaryCtx,
  sealed: { person_key: string; full_name_sealed: string; date_of_birth_sealed: string },
  claim: { fullName: string; dateOfBirth: string },
): boolean {
  const aad = (field: string) => `${sealed.person_key}|${field}`;
  return (
    open(ctx.keyring, sealed.date_of_birth_sealed, aad('date_of_birth')) === claim.dateOfBirth &&
    sameName(open(ctx.keyring, sealed.full_name_sealed, aad('full_name')), claim.fullName)
  );
}

/** One `identity.sim_summary` row in the caller's shard; `data` never holds identity data. */
export function auditSimSummary(
  ctx: Pick<SimSummaryCtx, 'db' | 'operator' | 'now'>,
  outcome: AuditEntry['outcome'],
  [subjectType, subjectId]: [string, string],
  data: Record<string, unknown>,
): Promise<void> {
  return withTransaction(ctx, (tx) =>
    audit(tx, ctx, {
      shard: auditShard(`identity:${ctx.operator.id}`, subjectId),
      action: 'identity.sim_summary',
      subjectType,
      subjectId,
      outcome,
      data,
    }),
  );
}

/**
 * SIM counts and caps for one identity, as the calling operator may see them: only with fresh
 * verification evidence of the person in front of it, only when name and birth date match the
 * sealed identity (otherwise the answer is the one for an unknown person, so a probe learns
 * nothing), rate-limited per operator across replicas, and every call audited.
 */
export async function simSummary({
  ctx,
  input,
}: {
  ctx: SimSummaryCtx;
  input: SimSummaryRequest;
}): Promise<SimSummary> {
  const { operator, now } = ctx;
  const audit = (
    outcome: AuditEntry['outcome'],
    subject: [string, string],
    data: Record<string, unknown>,
  ) => auditSimSummary(ctx, outcome, subject, data);
  const refuse = async (err: ServiceError, subject: [string, string]): Promise<never> => {
    await audit('refused', subject, {
      code: err.code,
      ...(typeof err.extra.check === 'string' ? { check: err.extra.check } : {}),
    });
    err.audited = true;
    throw err;
  };

  const callerSubject: [string, string] = ['operator', operator.id];
  const { retryAfter } = await takeTokens(ctx.db, {
    scope: 'sim_summary',
    subject: operator.id,
    limit: { kind: 'window', limit: ctx.perMinute, windowMs: MINUTE_MS },
    want: 1,
    now,
  });
  if (retryAfter > 0) {
    return refuse(
      new ServiceError(
        'rate_limited',
        `at most ${ctx.perMinute} SIM summaries a minute; retry in ${retryAfter} s`,
        { retryAfter },
      ),
      callerSubject,
    );
  }

  const country = operator.country;
  const [policy, caps] = await Promise.all([
    findVerificationPolicy(ctx.db, { country }),
    findCaps(ctx.db, { country }),
  ]);
  const weak = checkEvidence(
    policy,
    { ...input.verification, verifiedAt: new Date(input.verification.verifiedAt) },
    now,
  );
  if (weak) {
    return refuse(
      new ServiceError('verification_insufficient', weak.detail, { check: weak.check }),
      callerSubject,
    );
  }
  let personKey: string;
  try {
    personKey = identify(input.subscriber, ctx.identityPepper, now).personKey;
  } catch (err) {
    if (err instanceof ServiceError) return refuse(err, callerSubject);
    throw err;
  }
  const subject: [string, string] = ['person', personKey];
  if (!caps) {
    return refuse(
      new ServiceError('unprocessable', `no SIM caps are configured for ${country}`),
      subject,
    );
  }

  const sealed = await findSealedPerson(ctx.db, { personKey });
  const matched = sealed !== undefined && claimMatches(ctx, sealed, input.subscriber);
  await audit(matched ? 'matched' : 'unknown', subject, {
    method: input.verification.method,
    /** Known document, other name or birth date: a sign of probing, kept for investigators. */
    ...(sealed && !matched ? { mismatch: true } : {}),
  });
  const caller = { personKey, country, operatorId: operator.id };
  const [counts, ownLines] = matched
    ? await Promise.all([
        countActiveSims(ctx.db, caller),
        listOwnActiveMsisdns(ctx.db, { operatorId: operator.id, personKey }),
      ])
    : [{ operator: 0, national: 0, lastAt: null }, []];
  const coolingOffUntil =
    caps.cooling_off_hours > 0 && counts.lastAt
      ? new Date(counts.lastAt.getTime() + caps.cooling_off_hours * HOUR_MS)
      : null;
  return {
    counts: { operator: counts.operator, national: counts.national },
    caps: { operator: caps.per_operator, national: caps.national },
    remaining: {
      operator: Math.max(0, caps.per_operator - counts.operator),
      national: caps.national === null ? null : Math.max(0, caps.national - counts.national),
    },
    coolingOffUntil:
      coolingOffUntil && coolingOffUntil > now ? coolingOffUntil.toISOString() : null,
    ownLines,
  };
}
