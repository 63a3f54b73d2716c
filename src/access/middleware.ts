import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import { audit, auditShard } from '../platform/audit.js';
import { API_KEY_PREFIX, sha256Hex } from '../platform/crypto.js';
import { type ErrorCode, ServiceError } from '../platform/errors.js';
import type { AppEnv } from '../platform/http/context.js';
import { HOUR_MS, MINUTE_MS } from '../platform/time.js';
import { type AuthenticatedOperator, findOperatorByKeyHash } from './queries.js';
import type { ConsoleRole } from './roles.js';
import { type ConsoleUser, csrfMatches, resolveSession, type SessionPolicy } from './users.js';

declare module '../platform/http/context.js' {
  /** The actor this domain's middleware puts on a request, for every route to read. */
  interface RequestVariables {
    operator: AuthenticatedOperator;
    /** An operator or bank calling the watchlist with its API key. */
    organisation: AuthenticatedOperator;
    /** Another country's instance calling the TAXII server with its API key. */
    partner: AuthenticatedOperator;
    /** The console user of a valid session, with that session's CSRF token. */
    user: ConsoleUser;
  }
}

export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionPolicy(c: Context<AppEnv>): SessionPolicy {
  const { config } = c.get('deps');
  return {
    idleMs: config.CONSOLE_SESSION_IDLE_MINUTES * MINUTE_MS,
    absoluteMs: config.CONSOLE_SESSION_ABSOLUTE_HOURS * HOUR_MS,
    maxFailures: config.LOGIN_MAX_FAILURES,
    maxFailuresPerAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
    lockMs: config.LOGIN_LOCK_MINUTES * MINUTE_MS,
  };
}

/**
 * Browsers accept a `__Host-` cookie only with `Secure`, and drop `Secure` cookies set over plain
 * http (localhost in dev and tests). So behind TLS the cookie is `__Host-simline_session`
 * (Secure, Path=/, no Domain: bound to this origin), and over plain http it is
 * `simline_session` with the same HttpOnly and SameSite=Strict. Only the name for the request's
 * scheme is read, so an http-set cookie is never accepted on the TLS side.
 */
export function sessionCookie(c: Context<AppEnv>): { name: string; secure: boolean } {
  const mode = c.get('deps').config.CONSOLE_COOKIE_SECURE;
  const overTls =
    new URL(c.req.url).protocol === 'https:' ||
    c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
  const secure = mode === 'always' || (mode === 'auto' && overTls);
  return { name: secure ? '__Host-simline_session' : 'simline_session', secure };
}

/** The client's address for login throttling: the proxy's X-Forwarded-For if trusted, else the peer. */
export function clientAddress(c: Context<AppEnv>): string | undefined {
  if (c.get('deps').config.TRUST_PROXY) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket.remoteAddress;
}

export function readSessionId(c: Context<AppEnv>): string | undefined {
  const id = getCookie(c, sessionCookie(c).name);
  return id && /^[A-Za-z0-9_-]{43}$/.test(id) ? id : undefined;
}

export function writeSessionCookie(c: Context<AppEnv>, sessionId: string): void {
  const { name, secure } = sessionCookie(c);
  setCookie(c, name, sessionId, { path: '/', httpOnly: true, secure, sameSite: 'Strict' });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  const { name, secure } = sessionCookie(c);
  deleteCookie(c, name, { path: '/', secure });
}

export type AuthFailure = 'none' | 'expired' | 'csrf' | 'role' | 'password';

async function csrfToken(c: Context<AppEnv>): Promise<string | undefined> {
  const header = c.req.header(CSRF_HEADER);
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/')) {
    const field = (await c.req.parseBody())[CSRF_FIELD];
    return typeof field === 'string' ? field : undefined;
  }
  return undefined;
}

/**
 * The session's user, or why not. State-changing methods must carry the session's CSRF token
 * (header, or the `_csrf` field of a form). Until a one-time password is changed only the
 * password change and logout are open (`allowPasswordChange`).
 */
export async function authenticate(
  c: Context<AppEnv>,
  opts: { roles?: readonly ConsoleRole[]; allowPasswordChange?: boolean },
): Promise<AuthFailure | undefined> {
  const sessionId = readSessionId(c);
  if (!sessionId) return 'none';
  const deps = c.get('deps');
  const found = await resolveSession(deps.db, {
    sessionId,
    now: deps.clock(),
    policy: sessionPolicy(c),
  });
  if (found.kind !== 'valid') return found.kind;
  const { user } = found;
  if (!SAFE_METHODS.has(c.req.method) && !csrfMatches(user.csrfToken, await csrfToken(c)))
    return 'csrf';
  c.set('user', user);
  if (user.mustChangePassword && !opts.allowPasswordChange) return 'password';
  if (opts.roles && !opts.roles.includes(user.role)) return 'role';
  return undefined;
}

const FAILURES: Record<AuthFailure, [ErrorCode, string]> = {
  none: ['unauthorized', 'a console session is required (log in first)'],
  expired: ['session_expired', 'the session has expired; log in again'],
  csrf: ['csrf_failed', 'the X-CSRF-Token header is missing or wrong'],
  role: ['forbidden', 'your role does not allow this'],
  password: [
    'password_change_required',
    'change the one-time password first (POST /v1/auth/password)',
  ],
};

/** JSON API guard: a console session, CSRF on writes, optionally one of `roles`. */
export function requireUser(
  opts: { roles?: readonly ConsoleRole[]; allowPasswordChange?: boolean } = {},
) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const failure = await authenticate(c, opts);
    if (failure) throw new ServiceError(...FAILURES[failure]);
    await next();
  });
}

/**
 * The API key of an Authorization header: `Bearer <key>`, or HTTP Basic with the key as the
 * password (TAXII clients such as OpenCTI's and MISP's send Basic; the username is ignored).
 */
function presentedKey(header: string): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (bearer) return bearer;
  const basic = /^Basic\s+([A-Za-z0-9+/=]{1,400})$/i.exec(header)?.[1];
  if (!basic) return undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/**
 * API-key auth (`Authorization: Bearer slk_…`) for an organisation of one of `kinds`, then the
 * scope, then the organisation's rate limit, so an unauthenticated flood cannot spend an
 * organisation's budget. A key of another kind (a bank's on an operator route) is refused (403).
 */
async function authenticateKey(
  c: Context<AppEnv>,
  scope: string,
  kinds: readonly string[],
): Promise<AuthenticatedOperator> {
  const deps = c.get('deps');
  const key = presentedKey(c.req.header('authorization') ?? '');
  if (!key?.startsWith(API_KEY_PREFIX) || key.length > 200) {
    throw new ServiceError('unauthorized', 'a valid API key is required (Bearer)');
  }
  const org = await findOperatorByKeyHash(deps.db, { keyHash: sha256Hex(key) });
  if (!org) throw new ServiceError('unauthorized', 'the API key is unknown or revoked');
  if (!kinds.includes(org.kind)) {
    throw new ServiceError('forbidden', `${org.kind} API keys cannot use this route`);
  }
  if (!org.scopes.includes(scope)) {
    throw new ServiceError('forbidden', `the API key lacks the scope ${scope}`);
  }
  const wait = await deps.rateLimiter.take(org.id, Date.now());
  if (wait > 0) {
    c.header('Retry-After', String(wait));
    throw new ServiceError('rate_limited', `rate limit exceeded; retry in ${wait} s`, {
      retryAfter: wait,
    });
  }
  return org;
}

/** Operator API-key auth: only an operator's key (not a bank's) with `scope`. */
export function requireOperator(scope: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set('operator', await authenticateKey(c, scope, ['operator']));
    await next();
  });
}

/** An operator's or a bank's API key with `scope` (set as `organisation`); no console session. */
export function requireOrganisation(scope: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set('organisation', await authenticateKey(c, scope, ['operator', 'bank']));
    await next();
  });
}

/** A partner instance's API key (Bearer or Basic) with `scope`: the TAXII server's callers. */
export function requirePartner(scope: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set('partner', await authenticateKey(c, scope, ['partner']));
    await next();
  });
}

/**
 * The watchlist's callers: an operator's or a bank's API key with `scope` (set as
 * `organisation`), or a console session of one of `roles`. The Authorization header decides.
 */
export function requireOrganisationOrUser(scope: string, opts: { roles: readonly ConsoleRole[] }) {
  const user = requireUser(opts);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!c.req.header('authorization')) return user(c, next);
    c.set('organisation', await authenticateKey(c, scope, ['operator', 'bank']));
    await next();
  });
}

/**
 * Data both sides read (alerts, line risk): an operator API key (Bearer) sees its own lines, a
 * regulator's console session sees all. The Authorization header decides which check runs.
 */
export function requireOperatorOrUser(
  scope: string,
  opts: { roles?: readonly ConsoleRole[] } = {},
) {
  const operator = requireOperator(scope);
  const user = requireUser(opts);
  return createMiddleware<AppEnv>(async (c, next) =>
    c.req.header('authorization') ? operator(c, next) : user(c, next),
  );
}

/**
 * Records a console user's refused request (a role that may not do it) in the audit log: who
 * tried which route, and why not. Operators' and order refusals are recorded where they happen.
 * The app passes it to `createApp` as its `onAccessDenied` hook.
 */
export async function auditAccessDenied(c: Context<AppEnv>, err: ServiceError): Promise<void> {
  const user = c.get('user');
  if (!user) return;
  const deps = c.get('deps');
  try {
    await deps.db.transaction().execute((tx) =>
      audit(
        tx,
        { now: deps.clock(), actor: { userId: user.id } },
        {
          shard: auditShard('console:denied', user.id),
          action: 'access.denied',
          subjectType: 'route',
          subjectId: `${c.req.method} ${routePath(c) || c.req.path}`,
          outcome: 'refused',
          data: { role: user.role, detail: err.detail },
        },
      ),
    );
  } catch (auditErr) {
    deps.log.error({ err: auditErr, requestId: c.get('requestId') }, 'audit of a refusal failed');
  }
}

/** The fields of a request's access-log line that name its actor. */
export function actorLogFields(c: Context<AppEnv>): Record<string, unknown> {
  return { operatorId: (c.get('operator') ?? c.get('organisation') ?? c.get('partner'))?.id };
}
