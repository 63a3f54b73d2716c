/**
 * The OpenAPI security requirements and authentication error lists that routes of every domain
 * declare: one source, so a route documents the same credentials and failures as its neighbours.
 */

/** An operator's or bank's API key. */
export const operatorSecurity: Record<string, string[]>[] = [{ operatorKey: [] }];
/** A console user's session cookie (CSRF token on writes). */
export const sessionSecurity: Record<string, string[]>[] = [{ consoleSession: [] }];
/** Either: operators with an API key, or regulators with a console session. */
export const operatorOrSessionSecurity: Record<string, string[]>[] = [
  ...operatorSecurity,
  ...sessionSecurity,
];

/** How an API key's request can fail before its route runs. */
export const operatorErrors = ['unauthorized', 'forbidden', 'rate_limited'] as const;
/** How a console session's request can fail before its route runs. */
export const sessionErrors = [
  'unauthorized',
  'session_expired',
  'password_change_required',
] as const;
/** A console session's write: also a missing CSRF token, or a role the route does not allow. */
export const sessionWriteErrors = [...sessionErrors, 'csrf_failed', 'forbidden'] as const;
/** Either kind's. */
export const operatorOrSessionErrors = [
  ...operatorErrors,
  'session_expired',
  'password_change_required',
] as const;

/** A JSON body or response of `schema`. */
export const json = <T>(schema: T) => ({ 'application/json': { schema } });
