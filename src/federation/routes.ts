import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { requirePartner } from '../access/middleware.js';
import { ERROR_CODES, type ErrorCode, ServiceError } from '../platform/errors.js';
import type { ErrorFormat, Router } from '../platform/http/app.js';
import { parseMediaType } from '../platform/http/body-text.js';
import type { AppEnv } from '../platform/http/context.js';
import { PROBLEM_CONTENT_TYPE } from '../platform/http/problem.js';
import { STIX_MEDIA_TYPE } from './stix.js';
import {
  addSightings,
  getObject,
  getStatus,
  getVersions,
  INDICATORS_COLLECTION_ID,
  listManifest,
  listObjects,
  MAX_PAGE,
  type ObjectQuery,
  type TaxiiCtx,
} from './taxii.js';

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
const API_ROOT = '/taxii2/api/';
const MAX_CONTENT_LENGTH = 1024 * 1024;
const security: Record<string, string[]>[] = [{ partnerKey: [] }, { partnerBasic: [] }];
const taxii = (description: string) => ({
  description,
  content: { [TAXII_MEDIA_TYPE]: { schema: z.object({}).passthrough() } },
});

/** OpenAPI entries for the given error codes, as TAXII error objects, grouped by status. */
function errors(...codes: ErrorCode[]) {
  const out: Record<number, ReturnType<typeof taxii>> = {};
  for (const code of [
    'unauthorized',
    'forbidden',
    'not_acceptable',
    'rate_limited',
    ...codes,
  ] as const) {
    const status = ERROR_CODES[code].status;
    const prior = out[status]?.description.replace('TAXII error: ', '');
    out[status] = taxii(`TAXII error: ${prior ? `${prior}, ` : ''}${code}`);
  }
  return out;
}

/** Whether one media range of an Accept header admits TAXII 2.1. */
function acceptsTaxii(range: string): boolean {
  const type = parseMediaType(range);
  if (type.essence === '*/*' || type.essence === 'application/*') return true;
  if (type.essence !== 'application/taxii+json') return false;
  const version = /;\s*version\s*=\s*"?([^";\s]+)"?/i.exec(range)?.[1];
  return version === undefined || version === '2.1';
}

/**
 * TAXII 2.1 content negotiation: a request must accept `application/taxii+json;version=2.1`
 * (406 otherwise) and a body must be of that type (415 otherwise).
 */
const negotiate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const accept = c.req.header('accept');
  if (accept && !accept.split(',').some(acceptsTaxii))
    throw new ServiceError('not_acceptable', `this server answers ${TAXII_MEDIA_TYPE} only`);
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? '';
    const essence = parseMediaType(type).essence;
    const version = /;\s*version\s*=\s*"?([^";\s]+)"?/i.exec(type)?.[1];
    if (essence !== 'application/taxii+json' || (version !== undefined && version !== '2.1'))
      throw new ServiceError('unsupported_media_type', `send ${TAXII_MEDIA_TYPE}`);
  }
  await next();
};

/** Authentication first, then content negotiation, so nothing is told to a caller without a key. */
const read = () => [requirePartner('taxii:read'), negotiate];
const write = () => [requirePartner('taxii:write'), negotiate];

/**
 * TAXII errors are TAXII error objects in the TAXII media type: the app's problem documents
 * under /taxii2/ are rewritten, keeping the stable code as `error_code`.
 */
const rewriteTaxiiErrors: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (!c.res.headers.get('content-type')?.startsWith(PROBLEM_CONTENT_TYPE)) return;
  const problem = (await c.res.clone().json()) as Record<string, unknown>;
  const { title, detail, status, code, requestId, type: _type, ...extra } = problem;
  const headers = new Headers(c.res.headers);
  headers.set('Content-Type', TAXII_MEDIA_TYPE);
  headers.delete('Content-Length');
  c.res = new Response(
    JSON.stringify({
      title,
      description: detail,
      error_id: requestId,
      error_code: code,
      http_status: String(status),
      details: { code, requestId, ...extra },
    }),
    { status: c.res.status, headers },
  );
};

/** Passed to createApp, so refusals before any TAXII route (body checks) are TAXII errors too. */
export const taxiiErrorFormat: ErrorFormat = {
  prefix: '/taxii2/',
  mediaType: TAXII_MEDIA_TYPE,
  rewrite: rewriteTaxiiErrors,
};

function taxiiCtx(c: Context<AppEnv>): TaxiiCtx {
  const deps = c.get('deps');
  const p = c.get('partner');
  return {
    db: deps.db,
    now: deps.clock(),
    country: deps.config.SIMLINE_COUNTRY,
    partner: { id: p.id, keyId: p.keyId, country: p.country },
  };
}

function taxiiJson(c: Context<AppEnv>, body: unknown, status: 200 | 202 = 200) {
  return c.body(JSON.stringify(body), status, { 'Content-Type': TAXII_MEDIA_TYPE });
}

/** Sets the X-TAXII-Date-Added-First/Last headers of a page. */
function dateHeaders(c: Context<AppEnv>, d: { first: string; last: string } | undefined) {
  if (!d) return;
  c.header('X-TAXII-Date-Added-First', d.first);
  c.header('X-TAXII-Date-Added-Last', d.last);
}

const list = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const Timestamp = z.iso.datetime({ offset: true });
const CollectionParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: INDICATORS_COLLECTION_ID }),
});
const ObjectParam = CollectionParam.extend({
  objectId: z
    .string()
    .max(200)
    .openapi({ param: { name: 'objectId', in: 'path' }, example: 'indicator--…' }),
});
const MatchQuery = z.object({
  added_after: Timestamp.optional(),
  'match[id]': z.string().max(20_000).optional(),
  'match[type]': z.string().max(1000).optional(),
  'match[version]': z.string().max(2000).optional(),
  'match[spec_version]': z.string().max(100).optional(),
});
const PageQuery = MatchQuery.extend({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
  next: z.string().max(200).optional(),
});

function objectQuery(id: string, q: z.infer<typeof PageQuery>): ObjectQuery {
  return {
    collectionId: id,
    addedAfter: q.added_after ? new Date(q.added_after) : undefined,
    limit: q.limit,
    next: q.next,
    ids: list(q['match[id]']),
    types: list(q['match[type]']),
    versions: list(q['match[version]']),
    specVersions: list(q['match[spec_version]']),
  };
}

const COLLECTION = {
  id: INDICATORS_COLLECTION_ID,
  title: 'indicators',
  description:
    'Watchlist indicators (STIX 2.1) this partner may receive; sightings of them may be posted',
  can_read: true,
  can_write: true,
  media_types: [STIX_MEDIA_TYPE],
};

export function mountTaxiiRoutes(app: Router): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'partnerKey', {
    type: 'http',
    scheme: 'bearer',
    description: "A partner instance's API key: `Authorization: Bearer slk_…`",
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'partnerBasic', {
    type: 'http',
    scheme: 'basic',
    description: "A partner instance's API key as the HTTP Basic password (any username)",
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/taxii2/',
      operationId: 'taxiiDiscovery',
      tags: ['taxii'],
      summary: 'TAXII 2.1 server discovery',
      security,
      middleware: read(),
      responses: { 200: taxii('Discovery'), ...errors() },
    }),
    (c) => {
      const country = c.get('deps').config.SIMLINE_COUNTRY;
      return taxiiJson(c, {
        title: `simline ${country}`,
        description: `Scam indicators shared by the simline instance of ${country}`,
        default: API_ROOT,
        api_roots: [API_ROOT],
      }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/taxii2/api/',
      operationId: 'taxiiApiRoot',
      tags: ['taxii'],
      summary: 'The API root',
      security,
      middleware: read(),
      responses: { 200: taxii('API root information'), ...errors() },
    }),
    (c) =>
      taxiiJson(c, {
        title: `simline ${c.get('deps').config.SIMLINE_COUNTRY} watchlist`,
        versions: [TAXII_MEDIA_TYPE],
        max_content_length: MAX_CONTENT_LENGTH,
      }) as never,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/taxii2/api/collections/',
      operationId: 'taxiiCollections',
      tags: ['taxii'],
      summary: 'The collections: one, of indicators',
      security,
      middleware: read(),
      responses: { 200: taxii('Collections'), ...errors() },
    }),
    (c) => taxiiJson(c, { collections: [COLLECTION] }) as never,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/taxii2/api/collections/{id}/',
      operationId: 'taxiiCollection',
      tags: ['taxii'],
      summary: 'One collection',
      security,
      middleware: read(),
      request: { params: CollectionParam },
      responses: { 200: taxii('Collection'), ...errors('validation_failed', 'not_found') },
    }),
    (c) => {
      if (c.req.valid('param').id !== INDICATORS_COLLECTION_ID)
        throw new ServiceError('not_found', `collection ${c.req.valid('param').id} was not found`);
      return taxiiJson(c, COLLECTION) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/taxii2/api/collections/{id}/objects/',
      operationId: 'taxiiObjects',
      tags: ['taxii'],
      summary: 'Objects the partner may read, in change order (next: lossless cursor)',
      security,
      middleware: read(),
      request: { params: CollectionParam, query: PageQuery },
      responses: {
        200: taxii('An envelope'),
        ...errors('validation_failed', 'invalid_cursor', 'not_found'),
      },
    }),
    async (c) => {
      const out = await listObjects({
        ctx: taxiiCtx(c),
        input: objectQuery(c.req.valid('param').id, c.req.valid('query')),
      });
      dateHeaders(c, out.dateAdded);
      return taxiiJson(c, out.envelope) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/taxii2/api/collections/{id}/objects/',
      operationId: 'taxiiAddObjects',
      tags: ['taxii'],
      summary: "A partner's sightings of indicators (an envelope of STIX sighting objects)",
      security,
      middleware: write(),
      request: {
        params: CollectionParam,
        body: {
          required: true,
          content: {
            [TAXII_MEDIA_TYPE]: {
              schema: z.object({
                objects: z.array(z.record(z.string(), z.unknown())).max(1000).default([]),
              }),
            },
          },
        },
      },
      responses: {
        202: taxii('A status resource'),
        ...errors('validation_failed', 'not_found', 'unsupported_media_type'),
      },
    }),
    async (c) => {
      const status = await addSightings({
        ctx: taxiiCtx(c),
        input: { collectionId: c.req.valid('param').id, objects: c.req.valid('json').objects },
      });
      return taxiiJson(c, status, 202) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/taxii2/api/collections/{id}/objects/{objectId}/',
      operationId: 'taxiiObject',
      tags: ['taxii'],
      summary: 'One object (404 alike when unknown or not for this partner)',
      security,
      middleware: read(),
      request: { params: ObjectParam, query: MatchQuery },
      responses: {
        200: taxii('An envelope'),
        ...errors('validation_failed', 'invalid_cursor', 'not_found'),
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const q = c.req.valid('query');
      const out = await getObject({
        ctx: taxiiCtx(c),
        input: {
          collectionId: p.id,
          objectId: p.objectId,
          addedAfter: q.added_after ? new Date(q.added_after) : undefined,
          versions: list(q['match[version]']),
          specVersions: list(q['match[spec_version]']),
        },
      });
      dateHeaders(c, out.dateAdded);
      return taxiiJson(c, out.envelope) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/taxii2/api/collections/{id}/objects/{objectId}/versions/',
      operationId: 'taxiiObjectVersions',
      tags: ['taxii'],
      summary: "An object's versions (this server keeps the latest)",
      security,
      middleware: read(),
      request: { params: ObjectParam, query: MatchQuery },
      responses: { 200: taxii('Versions'), ...errors('validation_failed', 'not_found') },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const q = c.req.valid('query');
      const out = await getVersions({
        ctx: taxiiCtx(c),
        input: {
          collectionId: p.id,
          objectId: p.objectId,
          addedAfter: q.added_after ? new Date(q.added_after) : undefined,
          specVersions: list(q['match[spec_version]']),
        },
      });
      dateHeaders(c, out.dateAdded);
      return taxiiJson(c, out.versions) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/taxii2/api/collections/{id}/manifest/',
      operationId: 'taxiiManifest',
      tags: ['taxii'],
      summary: 'Manifest records of the objects the partner may read',
      security,
      middleware: read(),
      request: { params: CollectionParam, query: PageQuery },
      responses: {
        200: taxii('A manifest'),
        ...errors('validation_failed', 'invalid_cursor', 'not_found'),
      },
    }),
    async (c) => {
      const out = await listManifest({
        ctx: taxiiCtx(c),
        input: objectQuery(c.req.valid('param').id, c.req.valid('query')),
      });
      dateHeaders(c, out.dateAdded);
      return taxiiJson(c, out.manifest) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/taxii2/api/status/{statusId}/',
      operationId: 'taxiiStatus',
      tags: ['taxii'],
      summary: 'The status of a POST of objects (only the partner that posted it)',
      security,
      middleware: read(),
      request: {
        params: z.object({
          statusId: z
            .string()
            .uuid()
            .openapi({ param: { name: 'statusId', in: 'path' } }),
        }),
      },
      responses: { 200: taxii('A status resource'), ...errors('validation_failed', 'not_found') },
    }),
    async (c) =>
      taxiiJson(
        c,
        await getStatus({ ctx: taxiiCtx(c), input: { statusId: c.req.valid('param').statusId } }),
      ) as never,
  );
}
