/**
 * Keeps a scorer's watchlist index current: a full read at start, then the rows changed since a
 * cursor on `updated_at`, read every WATCHLIST_RELOAD_MS. The cursor is moved back by a margin
 * on each read, so a row whose transaction committed late with an earlier `updated_at` is still
 * seen; applying a row again changes nothing.
 */
import { sql } from 'kysely';
import type { DbOrTx } from '../../platform/db/client.js';
import { type IndicatorChange, WatchlistMatcher } from './matcher.js';

/** How far back each read starts before the newest `updated_at` seen. */
export const CURSOR_MARGIN_MS = 10_000;
const PAGE = 50_000;
/** The indicator types traffic is matched against. */
const MATCHED_TYPES = ['msisdn', 'imei', 'ip', 'domain'];

/** Rows of matched types changed after `since` (all when null), oldest first, by page. */
export async function readIndicatorChanges(
  db: DbOrTx,
  since: Date | null,
  onPage: (rows: IndicatorChange[]) => void,
): Promise<Date | null> {
  let newest = since;
  let after: { at: Date; id: string } | null = null;
  for (;;) {
    let q = db
      .selectFrom('watchlist_indicators')
      .select(['id', 'type', 'value', 'category', 'status', 'valid_until', 'updated_at'])
      .where('type', 'in', MATCHED_TYPES);
    if (since === null) q = q.where('status', '=', 'active');
    else q = q.where('updated_at', '>', since);
    if (after !== null) {
      const a = after;
      q = q.where(sql<boolean>`(updated_at, id) > (${a.at}, ${a.id})`);
    }
    const rows = await q.orderBy('updated_at').orderBy('id').limit(PAGE).execute();
    onPage(
      rows.map((r) => ({
        id: r.id,
        type: r.type,
        value: r.value,
        category: r.category,
        status: r.status,
        validUntil: r.valid_until.getTime(),
      })),
    );
    const last = rows.at(-1);
    if (last !== undefined) {
      after = { at: last.updated_at, id: last.id };
      if (newest === null || last.updated_at > newest) newest = last.updated_at;
    }
    if (rows.length < PAGE) return newest;
  }
}

/**
 * A scorer's watchlist: the index and its cursor. `poll` reads what changed since the last one
 * and hands `onChange` the rows stage threads apply to their own part of the index (numbers and
 * IMEIs are in shared tables they read: see `WatchlistMatcher.attach`).
 */
export class WatchlistSync {
  readonly matcher = new WatchlistMatcher();
  private cursor: Date | null = null;
  private loaded = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: DbOrTx,
    private readonly onChange: (rows: IndicatorChange[]) => void = () => undefined,
  ) {}

  /** Reads the changes since the last read; a call while one runs waits for that one. */
  poll(): Promise<void> {
    this.running ??= this.read().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async read(): Promise<void> {
    const since = this.loaded
      ? this.cursor === null
        ? new Date(0)
        : new Date(this.cursor.getTime() - CURSOR_MARGIN_MS)
      : null;
    const newest = await readIndicatorChanges(this.db, since, (rows) => {
      if (rows.length === 0) return;
      this.onChange(this.matcher.apply(rows));
    });
    this.loaded = true;
    if (newest !== null && (this.cursor === null || newest > this.cursor)) this.cursor = newest;
  }
}
