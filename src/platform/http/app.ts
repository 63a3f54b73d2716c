import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { type ErrorCode, ServiceError } from '../errors.js';
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
function validationHook(
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

export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
}

export type Router = ReturnType<typeof createRouter>;

/** The hono app: request ids, access log, metrics, one error envelope. Domains mount on it. */
export function createApp(deps: AppDeps): Router {
  const app = createRouter();

  app.use('*', async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('deps', deps);
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
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
        operatorId: c.get('operator')?.id,
      },
      'request',
    );
  });

  app.onError((err, c) => {
    if (err instanceof ServiceError) return problemResponse(c, err.code, err.detail, err.extra);
    if (err instanceof HTTPException) {
      if (err.status === 413) return problemResponse(c, 'payload_too_large', err.message);
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

  app.notFound((c) =>
    problemResponse(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`),
  );
  return app;
}
