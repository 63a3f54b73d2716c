import { sql } from 'kysely';
import type { DbOrTx } from './db/client.js';
import { SECOND_MS } from './time.js';

/**
 * A limit shared by every API replica, kept in one PostgreSQL row per (scope, subject):
 * - `bucket`: a token bucket refilled at `ratePerSec` up to `burst` (the API's per-operator budget);
 * - `window`: `limit` calls per fixed window of `windowMs` (e.g. per minute), reset at each
 *   window start.
 */
export type RateLimit =
  | { kind: 'bucket'; ratePerSec: number; burst: number }
  | { kind: 'window'; limit: number; windowMs: number };

export interface Grant {
  /** Tokens granted, between 0 and the number asked for. */
  granted: number;
  /** When nothing was granted, the seconds until a token is available (at least 1); else 0. */
  retryAfter: number;
}

/**
 * Takes up to `want` tokens of `subject` in one upsert; the row lock makes it exact under
 * concurrency. Time is the caller's `now`: a replica whose clock runs behind never moves a row
 * back, and refills nothing.
 */
export async function takeTokens(
  db: DbOrTx,
  {
    scope,
    subject,
    limit,
    want,
    now,
  }: { scope: string; subject: string; limit: RateLimit; want: number; now: Date },
): Promise<Grant> {
  const capacity = limit.kind === 'bucket' ? limit.burst : limit.limit;
  const first = Math.min(want, Math.floor(capacity));
  const level =
    limit.kind === 'bucket'
      ? sql`least(${limit.burst}::float8, b.tokens + ${limit.ratePerSec}::float8
          * greatest(0, extract(epoch from excluded.refilled_at - b.refilled_at)::float8))`
      : sql`case when floor(extract(epoch from excluded.refilled_at) * 1000 / ${limit.windowMs})
          > floor(extract(epoch from b.refilled_at) * 1000 / ${limit.windowMs})
          then ${limit.limit}::float8 else b.tokens end`;
  const grant = sql`least(${want}::int, floor(${level}))::int`;
  const { rows } = await sql<{ tokens: number; granted: number; refilled_at: Date }>`
    insert into rate_buckets as b (scope, subject, tokens, refilled_at, granted)
    values (${scope}, ${subject}, ${capacity - first}, ${now}, ${first})
    on conflict (scope, subject) do update set
      tokens = ${level} - ${grant},
      refilled_at = greatest(b.refilled_at, excluded.refilled_at),
      granted = ${grant}
    returning tokens, granted, refilled_at`.execute(db);
  const row = rows[0];
  if (!row) throw new Error('rate_buckets upsert returned no row');
  if (row.granted > 0) return { granted: row.granted, retryAfter: 0 };
  const waitMs =
    limit.kind === 'bucket'
      ? ((1 - row.tokens) / limit.ratePerSec) * SECOND_MS
      : (Math.floor(row.refilled_at.getTime() / limit.windowMs) + 1) * limit.windowMs -
        now.getTime();
  return { granted: 0, retryAfter: Math.max(1, Math.ceil(waitMs / SECOND_MS)) };
}

/** How long a replica may spend tokens it took from the shared row. */
const LEASE_MS = SECOND_MS;
/** A lease asks for a tenth of a second's worth, so a busy replica queries about 10 times a second. */
const LEASES_PER_SECOND = 10;

interface Lease {
  tokens: number;
  expiresAt: number;
  pending?: Promise<number>;
}

/**
 * A shared token bucket per subject that takes tokens from PostgreSQL in small blocks rather than
 * one query per request. Every token is taken from the shared row before it is spent, so all
 * replicas together never exceed the limit; a replica's unspent block lapses after LEASE_MS. Each
 * replica holds at most one block per subject, so the limit is enforced to within one block.
 */
export class RateLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly block: number;

  constructor(
    private readonly db: DbOrTx,
    private readonly scope: string,
    private readonly limit: Extract<RateLimit, { kind: 'bucket' }>,
  ) {
    this.block = Math.max(
      1,
      Math.min(Math.floor(limit.burst), Math.ceil(limit.ratePerSec / LEASES_PER_SECOND)),
    );
  }

  /** Takes one token; resolves to 0 if allowed, else the seconds until one is available. */
  async take(subject: string, nowMs: number): Promise<number> {
    for (;;) {
      let lease = this.leases.get(subject);
      if (lease && lease.tokens >= 1 && nowMs < lease.expiresAt) {
        lease.tokens -= 1;
        return 0;
      }
      if (lease?.pending) {
        const wait = await lease.pending;
        if (wait > 0) return wait;
        continue;
      }
      if (!lease) {
        lease = { tokens: 0, expiresAt: 0 };
        this.leases.set(subject, lease);
      }
      const held = lease;
      held.pending = takeTokens(this.db, {
        scope: this.scope,
        subject,
        limit: this.limit,
        want: this.block,
        now: new Date(nowMs),
      })
        .then(({ granted, retryAfter }) => {
          held.tokens = granted;
          held.expiresAt = nowMs + LEASE_MS;
          return retryAfter;
        })
        .finally(() => {
          held.pending = undefined;
        });
    }
  }
}
