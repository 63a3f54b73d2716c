import { sessionSecurity } from '../../access/auth-routes.js';
import { requireUser } from '../../access/middleware.js';

export { requireUser, sessionSecurity };

export const sessionErrors = [
  'unauthorized',
  'session_expired',
  'password_change_required',
] as const;
export const writeErrors = [...sessionErrors, 'csrf_failed', 'forbidden'] as const;
export const operatorErrors = ['unauthorized', 'forbidden', 'rate_limited'] as const;
export const operatorSecurity = [{ operatorKey: [] }];

export const json = <T>(schema: T) => ({ 'application/json': { schema } });
