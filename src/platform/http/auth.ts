import { createMiddleware } from 'hono/factory';
import { findOperatorByKeyHash } from '../../operators/queries.js';
import { API_KEY_PREFIX, sha256Hex } from '../crypto.js';
import { ServiceError } from '../errors.js';
import type { AppEnv } from './context.js';

/**
 * Operator API-key auth (`Authorization: Bearer slk_…`), then the scope, then the operator's
 * rate limit, so an unauthenticated flood cannot spend an operator's budget.
 */
export function requireOperator(scope: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const deps = c.get('deps');
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const key = match?.[1];
    if (!key?.startsWith(API_KEY_PREFIX) || key.length > 200) {
      throw new ServiceError('unauthorized', 'a valid operator API key is required (Bearer)');
    }
    const operator = await findOperatorByKeyHash(deps.db, { keyHash: sha256Hex(key) });
    if (!operator) throw new ServiceError('unauthorized', 'the API key is unknown or revoked');
    if (!operator.scopes.includes(scope)) {
      throw new ServiceError('forbidden', `the API key lacks the scope ${scope}`);
    }
    const wait = await deps.rateLimiter.take(operator.id, Date.now());
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      throw new ServiceError('rate_limited', `rate limit exceeded; retry in ${wait} s`, {
        retryAfter: wait,
      });
    }
    c.set('operator', operator);
    await next();
  });
}
