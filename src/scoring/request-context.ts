/** The service contexts of scoring's reads, from a request (routes and console pages alike). */
import type { Context } from 'hono';
import type { AppEnv } from '../platform/http/context.js';
import type { GroupReadCtx } from './group-alerts.js';

/** The viewer of a request: an operator's key sees its own lines, a regulator every line. */
export function groupReadCtx(c: Context<AppEnv>): GroupReadCtx {
  const deps = c.get('deps');
  const now = deps.clock();
  const op = c.get('operator');
  if (op)
    return {
      db: deps.db,
      now,
      viewer: { kind: 'operator', operatorId: op.id },
      audit: { now, operator: { id: op.id } },
    };
  return {
    db: deps.db,
    now,
    viewer: { kind: 'regulator' },
    audit: { now, actor: { userId: c.get('user').id } },
  };
}
