import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireOrganisationOrUser } from '../access/middleware.js';
import type { ConsoleRole } from '../access/roles.js';
import type { Router } from '../platform/http/app.js';
import type { AppEnv } from '../platform/http/context.js';
import { errorResponses } from '../platform/http/problem.js';
import {
  operatorOrSessionErrors as authErrors,
  json,
  operatorOrSessionSecurity as security,
} from '../platform/http/route-auth.js';
import {
  CheckQuerySchema,
  CheckResultSchema,
  IndicatorCreateSchema,
  IndicatorDetailSchema,
  IndicatorIdParam,
  IndicatorListSchema,
  IndicatorQuerySchema,
  IndicatorRefSchema,
  IndicatorSchema,
  ReviewSchema,
  RevokeSchema,
  SightingCreateSchema,
  SightingResultSchema,
} from './contract.js';
import {
  addSighting,
  checkIndicator,
  getIndicator,
  listIndicator,
  reviewIndicator,
  revokeIndicator,
  searchIndicators,
  type WatchCtx,
} from './service.js';

/** Console roles that list, sight, review and revoke; auditors only read. */
const WRITERS: readonly ConsoleRole[] = ['officer', 'analyst'];
const READERS: readonly ConsoleRole[] = ['officer', 'analyst', 'auditor'];
const writeErrors = [...authErrors, 'csrf_failed', 'validation_failed'] as const;
const read = () => requireOrganisationOrUser('watchlist:read', { roles: READERS });
const write = () => requireOrganisationOrUser('watchlist:write', { roles: WRITERS });

/** The caller: an operator's or bank's API key, or a console user. */
function watchCtx(c: Context<AppEnv>): WatchCtx {
  const deps = c.get('deps');
  const org = c.get('organisation');
  const user = c.get('user');
  return {
    db: deps.db,
    now: deps.clock(),
    country: deps.config.SIMLINE_COUNTRY,
    actor: org
      ? { kind: 'organisation', orgId: org.id, keyId: org.keyId }
      : { kind: 'user', userId: user.id, role: user.role },
  };
}

export function mountWatchlistRoutes(app: Router): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/watchlist/indicators',
      operationId: 'listIndicator',
      tags: ['watchlist'],
      summary:
        'List an indicator; the same value from another source joins the one indicator (200)',
      security,
      middleware: [write()] as const,
      request: { body: { required: true, content: json(IndicatorCreateSchema) } },
      responses: {
        201: { description: 'Listed', content: json(IndicatorRefSchema) },
        200: {
          description: 'Already listed: this source added',
          content: json(IndicatorRefSchema),
        },
        ...errorResponses(...writeErrors, 'warninglisted', 'invalid_indicator'),
      },
    }),
    async (c) => {
      const out = await listIndicator({ ctx: watchCtx(c), input: c.req.valid('json') });
      return out.created ? c.json(out.indicator, 201) : c.json(out.indicator, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/watchlist/indicators',
      operationId: 'searchIndicators',
      tags: ['watchlist'],
      summary: 'Indicators, newest first, in pages (value in any spelling of its type)',
      security,
      middleware: [read()] as const,
      request: { query: IndicatorQuerySchema },
      responses: {
        200: { description: 'A page of indicators', content: json(IndicatorListSchema) },
        ...errorResponses(
          ...authErrors,
          'validation_failed',
          'invalid_cursor',
          'invalid_indicator',
        ),
      },
    }),
    async (c) =>
      c.json(await searchIndicators({ ctx: watchCtx(c), input: c.req.valid('query') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/watchlist/indicators/{id}',
      operationId: 'getIndicator',
      tags: ['watchlist'],
      summary: 'One indicator; console users also see its sources and sightings',
      security,
      middleware: [read()] as const,
      request: { params: IndicatorIdParam },
      responses: {
        200: { description: 'The indicator', content: json(IndicatorDetailSchema) },
        ...errorResponses(...authErrors, 'validation_failed', 'not_found'),
      },
    }),
    async (c) =>
      c.json(
        await getIndicator({ ctx: watchCtx(c), input: { indicatorId: c.req.valid('param').id } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/watchlist/check',
      operationId: 'checkIndicator',
      tags: ['watchlist'],
      summary: 'Whether a value is listed now, with a risk band (no source or evidence)',
      security,
      middleware: [read()] as const,
      request: { query: CheckQuerySchema },
      responses: {
        200: { description: 'The answer', content: json(CheckResultSchema) },
        ...errorResponses(...authErrors, 'validation_failed', 'invalid_indicator'),
      },
    }),
    async (c) =>
      c.json(await checkIndicator({ ctx: watchCtx(c), input: c.req.valid('query') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/watchlist/indicators/{id}/sightings',
      operationId: 'addSighting',
      tags: ['watchlist'],
      summary:
        'A sighting: seen (extends validity) or false_positive (suspends, from a trusted source)',
      security,
      middleware: [write()] as const,
      request: {
        params: IndicatorIdParam,
        body: { required: true, content: json(SightingCreateSchema) },
      },
      responses: {
        201: { description: 'Recorded', content: json(SightingResultSchema) },
        ...errorResponses(...writeErrors, 'not_found', 'indicator_not_active'),
      },
    }),
    async (c) => {
      const input = { ...c.req.valid('json'), indicatorId: c.req.valid('param').id };
      return c.json(await addSighting({ ctx: watchCtx(c), input }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/watchlist/indicators/{id}/review',
      operationId: 'reviewIndicator',
      tags: ['watchlist'],
      summary: "The owner's review of a suspended indicator: reinstate or revoke",
      security,
      middleware: [write()] as const,
      request: { params: IndicatorIdParam, body: { required: true, content: json(ReviewSchema) } },
      responses: {
        200: { description: 'Reviewed', content: json(IndicatorSchema) },
        ...errorResponses(...writeErrors, 'not_found', 'indicator_not_active'),
      },
    }),
    async (c) => {
      const input = { ...c.req.valid('json'), indicatorId: c.req.valid('param').id };
      return c.json(await reviewIndicator({ ctx: watchCtx(c), input }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/watchlist/indicators/{id}/revoke',
      operationId: 'revokeIndicator',
      tags: ['watchlist'],
      summary: 'Revoke an indicator with a reason (console officer or analyst, or its owner)',
      security,
      middleware: [write()] as const,
      request: { params: IndicatorIdParam, body: { required: true, content: json(RevokeSchema) } },
      responses: {
        200: { description: 'Revoked', content: json(IndicatorSchema) },
        ...errorResponses(...writeErrors, 'not_found', 'indicator_not_active'),
      },
    }),
    async (c) => {
      const input = { ...c.req.valid('json'), indicatorId: c.req.valid('param').id };
      return c.json(await revokeIndicator({ ctx: watchCtx(c), input }), 200);
    },
  );
}
