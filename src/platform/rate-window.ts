import { sql } from 'kysely';
import type { DbOrTx } from './db/client.js';
import { SECOND_MS } from './time.js';

export interface WindowCount {
  /** Calls in the current window, this one included. */
  count: number;
  /** Seconds until the window ends (at least 1). */
  retryAfter: number;
}

/**
 * Counts one call of `subject` against a fixed window of `windowMs` in PostgreSQL, so every API
 * replica shares one count: a single upsert on the (scope, subject) row, which the row lock makes
 * exact under concurrency. A replica whose clock runs behind never resets a newer window.
 */
export async function countCall(
  db: DbOrTx,
  {
    scope,
    subject,
    windowMs,
    now,
  }: { scope: string; subject: string; windowMs: number; now: Date },
): Promise<WindowCount> {
  const start = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const row = await db
    .insertInto('rate_windows')
    .values({ scope, subject, window_start: start, count: 1 })
    .onConflict((oc) =>
      oc.columns(['scope', 'subject']).doUpdateSet({
        count: sql`case when rate_windows.window_start >= excluded.window_start
          then rate_windows.count + 1 else 1 end`,
        window_start: sql`greatest(rate_windows.window_start, excluded.window_start)`,
      }),
    )
    .returning(['count', 'window_start'])
    .executeTakeFirstOrThrow();
  const end = row.window_start.getTime() + windowMs;
  return {
    count: row.count,
    retryAfter: Math.max(1, Math.ceil((end - now.getTime()) / SECOND_MS)),
  };
}
