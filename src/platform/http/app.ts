import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { type ErrorCode, ServiceError } from '../errors.js';
import {
  decodeUtf8,
  holdsLoneSurrogate,
  isJsonDocument,
  isTextBody,
  parseMediaType,
  refusedCharset,
} from './body-text.js';
import type { AppDeps, AppEnv } from './context.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function problemResponse(
  c: Context<AppEnv>,
  code: ErrorCode,
  detail: string,
  extra: Record<string, unknown> = {},
): Response {
  const body = problemBody(code, detail, c.get('requestId') ?? 'unknown', extra);
  return c.body(body, JSON.parse(body).status, { 'Content-Type': PROBLEM_CONTENT_TYPE });
}

/** zod failures of any route, through the same envelope, naming each failing field. */
export function validationHook(
  result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } },
  c: Context<AppEnv>,
): Response | undefined {
  if (result.success) return undefined;
  const errors = (result.error?.issues ?? []).map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message: i.message,
  }));
  return problemResponse(c, 'validation_failed', `${errors.length} field(s) failed validation`, {
    errors,
  });
}

/** The methods some route serves on this path: a known path with another method is 405. */
function methodsFor(app: Router, path: string): string[] {
  const methods = new Set<string>();
  for (const r of app.routes) {
    if (r.method === 'ALL') continue;
    const pattern = r.path
      .split('/')
      .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    if (new RegExp(`^${pattern}$`).test(path)) methods.add(r.method);
  }
  return [...methods].sort();
}

/**
 * PostgreSQL refuses NUL in text (22021) and other untranslatable characters (22P05): that is
 * the client's input, so it is a 400 in every domain, not a 500.
 */
function isBadTextError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '22021' || code === '22P05';
}

/** A larger request body allowed on the paths `path` matches (bulk uploads). */
export interface BodyLimit {
  path: RegExp;
  bytes: number;
}

/** What any other request may send: forms and JSON commands are far smaller. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
}

export type Router = ReturnType<typeof createRouter>;

/** Error responses under a path prefix in another format than problem+json (TAXII's). */
export interface ErrorFormat {
  /** Such as `/taxii2/`. */
  prefix: string;
  /** The media type of its error documents. */
  mediaType: string;
  /** Rewrites the problem+json responses under the prefix into that format. */
  rewrite: MiddlewareHandler<AppEnv>;
}

const limitsOf = new WeakMap<Router, readonly BodyLimit[]>();
const formatsOf = new WeakMap<Router, readonly ErrorFormat[]>();

/** The most bytes a request body to `path` may hold on this app. */
export function bodyLimitOf(app: Router, path: string): number {
  return limitsOf.get(app)?.find((l) => l.path.test(path))?.bytes ?? DEFAULT_BODY_LIMIT;
}

/** The media type of the error documents the app answers on `path`. */
export function errorMediaTypeOf(app: Router, path: string): string {
  return (
    formatsOf.get(app)?.find((f) => path.startsWith(f.prefix))?.mediaType ?? PROBLEM_CONTENT_TYPE
  );
}

/** What the app that mounts the domains passes in, so the platform needs no domain. */
export interface AppHooks {
  /** Larger body limits for some paths (bulk uploads). */
  bodyLimits?: readonly BodyLimit[];
  /** Runs on a `forbidden` error no verb has audited yet, before the problem is answered. */
  onAccessDenied?: (c: Context<AppEnv>, err: ServiceError) => Promise<void>;
  /** Extra fields of a request's access-log line (who made it). */
  logFields?: (c: Context<AppEnv>) => Record<string, unknown>;
  /** Paths whose errors take another format: every refusal there is rewritten, body checks too. */
  errorFormats?: readonly ErrorFormat[];
}

/**
 * The hono app: request ids, access log, metrics, body limits, one error envelope. Domains mount
 * on it.
 */
export function createApp(deps: AppDeps, hooks: AppHooks = {}): Router {
  const { bodyLimits = [], onAccessDenied, logFields, errorFormats = [] } = hooks;
  const app = createRouter();
  limitsOf.set(app, bodyLimits);
  formatsOf.set(app, errorFormats);

  app.use('*', async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('deps', deps);
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
    // Every response, errors and assets included: a browser never guesses a type we did not send.
    c.header('X-Content-Type-Options', 'nosniff');
    const route = routePath(c) || 'unmatched';
    const status = String(c.res.status);
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.httpRequests.inc({ method: c.req.method, route, status });
    deps.metrics.httpDuration.observe({ method: c.req.method, route, status }, seconds);
    deps.log.info(
      {
        requestId,
        method: c.req.method,
        route,
        status: c.res.status,
        ms: Math.round(seconds * 1000 * 10) / 10,
        ...logFields?.(c),
      },
      'request',
    );
  });

  for (const f of errorFormats) app.use(`${f.prefix}*`, f.rewrite);

  // Every body is read through a limit, counted as it streams in (chunked uploads included), so
  // no request can make the process hold more than its route needs before a handler sees it.
  // The rest of a refused body is never read, so the connection cannot carry another request:
  // `Connection: close` tells a pooling client so, instead of it reusing a socket that is dropped.
  const limit = (bytes: number) =>
    bodyLimit({
      maxSize: bytes,
      onError: (c) => {
        c.header('Connection', 'close');
        return problemResponse(c, 'payload_too_large', `the body must be at most ${bytes} bytes`, {
          limit: bytes,
        });
      },
    });
  const limiters = bodyLimits.map((l) => ({ path: l.path, check: limit(l.bytes) }));
  const defaultLimit = limit(DEFAULT_BODY_LIMIT);
  app.use('*', (c, next) =>
    (limiters.find((l) => l.path.test(c.req.path))?.check ?? defaultLimit)(c, next),
  );
  app.use('*', async (c, next) => {
    const type = parseMediaType(c.req.header('content-type') ?? '');
    if (c.req.raw.body === null || !isTextBody(type)) return next();
    const refused = refusedCharset(type);
    if (refused) return problemResponse(c, 'unsupported_media_type', refused);
    const body = decodeUtf8(new Uint8Array(await c.req.arrayBuffer()));
    if (!body.ok) return problemResponse(c, 'invalid_utf8', body.detail);
    // Routes and validators read the body through hono's cache (which holds promises, whatever
    // its type says): the text is decoded once, as checked.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(body.text);
    if (isJsonDocument(type) && holdsLoneSurrogate(body.text))
      return problemResponse(
        c,
        'bad_request',
        'strings must be Unicode text: the body holds a lone UTF-16 surrogate escape',
      );
    return next();
  });

  app.onError(async (err, c) => {
    if (err instanceof ServiceError) {
      if (err.code === 'forbidden' && !err.audited) await onAccessDenied?.(c, err);
      return problemResponse(c, err.code, err.detail, err.extra);
    }
    if (isBadTextError(err))
      return problemResponse(c, 'bad_request', 'text fields must not contain NUL characters');
    if (err instanceof HTTPException) {
      if (err.status === 413) {
        c.header('Connection', 'close');
        return problemResponse(c, 'payload_too_large', err.message);
      }
      if (err.status === 415)
        return problemResponse(
          c,
          'unsupported_media_type',
          'this content type is not accepted here',
        );
      if (err.status === 401) return problemResponse(c, 'unauthorized', 'authentication required');
      if (err.status < 500)
        return problemResponse(c, 'bad_request', err.message || 'the request is malformed');
    }
    deps.log.error({ err, requestId: c.get('requestId') }, 'unhandled error');
    return problemResponse(c, 'internal_error', 'an internal error occurred; quote the requestId');
  });

  app.notFound((c) => {
    const allowed = methodsFor(app, c.req.path);
    if (allowed.length > 0) {
      c.header('Allow', allowed.join(', '));
      return problemResponse(
        c,
        'method_not_allowed',
        `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(' or ')}`,
      );
    }
    return problemResponse(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`);
  });
  return app;
}
