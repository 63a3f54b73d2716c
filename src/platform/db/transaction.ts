import type { Db, DbOrTx, Tx } from './client.js';

/** A verb's database handle: the pool, and the caller's transaction when it passes one in. */
export interface TxCtx {
  db: Db;
  /** Set by a caller that runs this verb inside its own transaction. */
  tx?: Tx;
}

/**
 * Runs `fn` in the caller's transaction when `ctx` carries one, else in a new transaction, so a
 * verb can run alone or as a step of another verb and commit or roll back with it.
 */
export function withTransaction<T>(ctx: TxCtx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return ctx.tx ? fn(ctx.tx) : ctx.db.transaction().execute(fn);
}

/** Where a verb reads: inside the caller's transaction when there is one, so it sees its writes. */
export function dbOf(ctx: TxCtx): DbOrTx {
  return ctx.tx ?? ctx.db;
}
