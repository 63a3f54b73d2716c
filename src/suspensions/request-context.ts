import type { Context } from 'hono';
import { ServiceError } from '../platform/errors.js';
import type { AppEnv } from '../platform/http/context.js';
import { DAY_MS, DEFAULT_ORDER_POLICY, ORDER_STATUSES, type OrderStatus } from './lifecycle.js';
import type { OrdersCtx } from './orders.js';

/** The order policy and acknowledgement deadline from configuration, with the request's actor. */
export function ordersCtx(c: Context<AppEnv>): OrdersCtx {
  const deps = c.get('deps');
  const user = c.get('user');
  return {
    db: deps.db,
    now: deps.clock(),
    actor: { userId: user.id, role: user.role },
    policy: { ...DEFAULT_ORDER_POLICY, maxDurationMs: deps.config.ORDER_MAX_DAYS * DAY_MS },
    ackDeadlineMs: deps.config.ORDER_ACK_DEADLINE_HOURS * 3_600_000,
    reviewWithinMs: deps.config.ORDER_REVIEW_DAYS * DAY_MS,
  };
}

/** The `status` query of order lists: a comma-separated subset of the order statuses. */
export function parseStatusFilter(text: string | undefined): OrderStatus[] | undefined {
  if (!text) return undefined;
  const wanted = text.split(',').map((s) => s.trim());
  const unknown = wanted.filter((s) => !(ORDER_STATUSES as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new ServiceError('validation_failed', `unknown status ${unknown.join(', ')}`, {
      errors: [{ path: 'status', message: `must be among ${ORDER_STATUSES.join(', ')}` }],
    });
  return wanted as OrderStatus[];
}
