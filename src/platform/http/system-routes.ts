import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { migrationsApplied } from '../db/migrate.js';
import { ServiceError } from '../errors.js';
import { bodyLimitOf, errorMediaTypeOf, problemResponse, type Router } from './app.js';
import { errorResponses, PROBLEM_CONTENT_TYPE } from './problem.js';

const HealthSchema = z.object({ status: z.literal('ok') }).openapi('Health');
const ReadySchema = z
  .object({ status: z.enum(['ready']), database: z.literal('ok'), migrations: z.literal('ok') })
  .openapi('Ready');

/** swagger-ui-dist ships the docs page's assets, served from this process: no internet needed. */
function swaggerAssets(): Map<string, { type: string; body: Buffer }> {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('swagger-ui-dist/package.json'));
  const files: [string, string][] = [
    ['swagger-ui.css', 'text/css; charset=utf-8'],
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ];
  return new Map(files.map(([f, type]) => [f, { type, body: readFileSync(join(dir, f)) }]));
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simline API</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script></body></html>`;
const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`;

/**
 * The docs page runs only this server's scripts and styles (swagger-ui's bundle and init.js),
 * fetches only /openapi.json, and may not be framed: an injected script or style does not run.
 * swagger-ui's stylesheet draws its icons from data: URLs.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const docsPolicy: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('Content-Security-Policy', DOCS_CSP);
};

type Operation = {
  security?: Record<string, string[]>[];
  requestBody?: { description?: string; [k: string]: unknown };
  responses: Record<string, { description: string }>;
};
type Document = ReturnType<Router['getOpenAPI31Document']>;

/** Over plain http the console session cookie has no `__Host-` prefix (access/middleware.ts, sessionCookie). */
const PLAIN_HTTP_SESSION = {
  type: 'apiKey' as const,
  in: 'cookie' as const,
  name: 'simline_session',
  description:
    'The console session cookie where it cannot be Secure (plain http, CONSOLE_COOKIE_SECURE=auto or never): the same session as consoleSession, named without the __Host- prefix. Writes also need the X-CSRF-Token header.',
};

/**
 * What is checked before every route, written into each operation: the size of the headers
 * (platform/http/client-errors.ts); the body's byte limit, UTF-8 and charset checks with their
 * answers; and the plain-http name of the console session cookie beside the `__Host-` one
 * wherever a console session is accepted.
 */
function completeDocument(
  doc: Document,
  limitFor: (path: string) => number,
  errorMediaTypeFor: (path: string) => string,
): void {
  const bodyChecks = errorResponses('invalid_utf8', 'payload_too_large', 'unsupported_media_type');
  const headerChecks = errorResponses('headers_too_large');
  const schemes = doc.components?.securitySchemes;
  const hasConsole = schemes?.consoleSession !== undefined;
  if (schemes && hasConsole) schemes.consoleSessionPlainHttp = PLAIN_HTTP_SESSION;
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const value of Object.values(item ?? {})) {
      if (typeof value !== 'object' || value === null || !('responses' in value)) continue;
      // Routes share security lists and body objects: each operation gets its own copies.
      const op = value as Operation;
      if (hasConsole && op.security?.some((s) => 'consoleSession' in s))
        op.security = [...op.security, { consoleSessionPlainHttp: [] }];
      addResponses(op, headerChecks);
      if (!op.requestBody) continue;
      const bytes = limitFor(path.replace(/\{[^}]+\}/g, 'x'));
      const limit = `At most ${bytes} bytes (413 payload_too_large beyond); text is UTF-8.`;
      op.requestBody = {
        ...op.requestBody,
        description: [op.requestBody.description, limit].filter(Boolean).join(' '),
        'x-max-body-bytes': bytes,
      };
      addResponses(op, inMediaType(bodyChecks, errorMediaTypeFor(path)));
    }
}

type Responses = Record<string, { description: string; content: Record<string, unknown> }>;

/** The same responses, their documents in `mediaType` (a path's own error format). */
function inMediaType(responses: Responses, mediaType: string): Responses {
  if (mediaType === PROBLEM_CONTENT_TYPE) return responses;
  return Object.fromEntries(
    Object.entries(responses).map(([status, r]) => [
      status,
      { ...r, content: { [mediaType]: r.content[PROBLEM_CONTENT_TYPE] } },
    ]),
  );
}

/** `extra` merged into the operation's responses (codes appended where the status is known). */
function addResponses(op: Operation, extra: Responses): void {
  op.responses = { ...op.responses };
  for (const [status, response] of Object.entries(extra)) {
    const codes = response.description.replace(/^Problem: /, '');
    const known = op.responses[status];
    if (!known) op.responses[status] = response;
    else if (!known.description.includes(codes))
      op.responses[status] = { ...known, description: `${known.description}, ${codes}` };
  }
}

export function mountSystemRoutes(app: Router): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      tags: ['system'],
      summary: 'The process is up',
      responses: {
        200: { description: 'Up', content: { 'application/json': { schema: HealthSchema } } },
      },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      operationId: 'ready',
      tags: ['system'],
      summary: 'The database answers and every migration of this build is applied',
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: ReadySchema } } },
        ...errorResponses('unavailable'),
      },
    }),
    async (c) => {
      const deps = c.get('deps');
      const applied = await migrationsApplied(deps.sql, deps.expectedMigrations).catch(() => {
        throw new ServiceError('unavailable', 'the database is not reachable');
      });
      if (!applied) throw new ServiceError('unavailable', 'migrations are not all applied yet');
      return c.json(
        { status: 'ready' as const, database: 'ok' as const, migrations: 'ok' as const },
        200,
      );
    },
  );

  app.get('/metrics', async (c) => {
    const { registry } = c.get('deps').metrics;
    return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'operatorKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'API key of an operator (or, on the watchlist routes, a bank): `Authorization: Bearer slk_…`',
  });
  app.get('/openapi.json', (c) => {
    const doc = app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'simline',
        version: '0.1.0',
        description:
          'SIM registration against verified identities, CDR scam scoring and signal-suspension orders. Errors are RFC 9457 problem+json with a stable `code`. Text bodies (JSON, NDJSON, CSV) are UTF-8 (another declared charset is 415 `unsupported_media_type`, bytes that are not UTF-8 are 400 `invalid_utf8`); no string may hold a NUL character or a lone UTF-16 surrogate (400 `bad_request`).',
      },
    });
    completeDocument(
      doc,
      (path) => bodyLimitOf(app, path),
      (path) => errorMediaTypeOf(app, path),
    );
    return c.json(doc);
  });

  let assets: ReturnType<typeof swaggerAssets> | undefined;
  app.use('/docs', docsPolicy);
  app.use('/docs/*', docsPolicy);
  app.get('/docs', (c) => c.html(DOCS_HTML));
  app.get('/docs/assets/:file', (c) => {
    if (c.req.param('file') === 'init.js')
      return c.body(DOCS_INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
    assets ??= swaggerAssets();
    const asset = assets.get(c.req.param('file'));
    if (!asset) return problemResponse(c, 'not_found', 'no such asset');
    return c.body(new Uint8Array(asset.body), 200, {
      'Content-Type': asset.type,
      'Cache-Control': 'public, max-age=86400',
    });
  });
}
