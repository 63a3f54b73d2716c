import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireOperator, requireOperatorOrUser } from '../access/middleware.js';
import { ServiceError } from '../platform/errors.js';
import type { Router } from '../platform/http/app.js';
import type { AppEnv } from '../platform/http/context.js';
import { errorResponses } from '../platform/http/problem.js';
import {
  operatorErrors as authErrors,
  operatorSecurity as security,
  operatorOrSessionSecurity as sharedSecurity,
} from '../platform/http/route-auth.js';
import { E164 } from '../registration/numbering.js';
import {
  AlertListSchema,
  AlertQuerySchema,
  AlertSchema,
  CdrIngestResultSchema,
  CloseAlertRequestSchema,
  LineRiskSchema,
  MAX_CDRS_PER_REQUEST,
} from './contract.js';
import type { HttpScorer } from './pipeline.js';
import { closeAlert, ingestCdrs, lineRisk, listAlerts, type ScoringCtx } from './service.js';

const sharedAuthErrors = [...authErrors, 'session_expired', 'csrf_failed'] as const;
/** Roles that act on alerts; auditors read everything and change nothing. */
const ALERT_CLOSERS = ['officer', 'approver', 'admin'] as const;
const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json-seq'];

const MsisdnParam = z.object({
  msisdn: z
    .string()
    .regex(E164, 'must be E.164, e.g. +66812345678')
    .openapi({ param: { name: 'msisdn', in: 'path' }, example: '+66812345678' }),
});
const AlertIdParam = z.object({
  id: z
    .string()
    .regex(/^\d{1,18}$/, 'must be an alert id')
    .openapi({ param: { name: 'id', in: 'path' }, example: '42' }),
});

/** An operator API key sees its own lines; a regulator's console session sees every line. */
function viewerCtx(c: Context<AppEnv>): ScoringCtx & { actor: string } {
  const deps = c.get('deps');
  const op = c.get('operator');
  const common = { db: deps.db, now: deps.clock() };
  if (op)
    return {
      ...common,
      viewer: { kind: 'operator', operatorId: op.id },
      actor: `${op.id}/${op.keyId}`,
    };
  return { ...common, viewer: { kind: 'regulator' }, actor: `user:${c.get('user').id}` };
}

export function mountScoringRoutes(app: Router, scorer: HttpScorer): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/cdrs',
      operationId: 'ingestCdrs',
      tags: ['scoring'],
      summary: 'Feed call detail records (NDJSON) to the scorer as the calling operator',
      description: `One CDR JSON object per line, at most ${MAX_CDRS_PER_REQUEST} lines. Valid records are scored; invalid ones are counted and the first few reported by line number. Records belong to the calling operator: a record of a line actively registered with another operator, of an unregistered line another operator fed first, or written by another operator's network (the record's operator) is refused and reported the same way. A record without operator is the calling operator's when it has one network; with several it must name one. A record whose startedAt is more than SCORING_MAX_FUTURE_SKEW_MS (default 15 minutes) ahead of the server's clock is refused, counted in future and reported the same way. Each operator's records are scored in a stream of their own (their own event-time clock and lateness), so nothing another operator sends changes how they are scored. A record of type data (an IP detail record: remoteIp, optional host, no otherParty or duration) is only matched against the watchlist and counts in no rule's window. Every record is matched against the watchlist (watchlist_contact, watchlist_line_active, watchlist_device, watchlist_server). Alerts appear in GET /v1/alerts within seconds.`,
      security,
      middleware: [requireOperator('cdrs:write')] as const,
      request: {
        body: {
          required: true,
          content: { 'application/x-ndjson': { schema: z.string().openapi({ format: 'binary' }) } },
        },
      },
      responses: {
        202: {
          description: 'Accepted for scoring',
          content: { 'application/json': { schema: CdrIngestResultSchema } },
        },
        ...errorResponses(
          'bad_request',
          ...authErrors,
          'payload_too_large',
          'too_many_records',
          'unsupported_media_type',
        ),
      },
    }),
    async (c) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!NDJSON_TYPES.includes(type))
        throw new ServiceError(
          'unsupported_media_type',
          'send the records as application/x-ndjson, one JSON object per line',
        );
      const body = await c.req.text();
      if (body.trim() === '') throw new ServiceError('bad_request', 'the body holds no records');
      const deps = c.get('deps');
      const result = await ingestCdrs({
        ctx: { scorer, operatorId: c.get('operator').id, now: deps.clock() },
        input: { body },
      });
      return c.json(result, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/alerts',
      operationId: 'listAlerts',
      tags: ['scoring'],
      summary: "Alerts, newest first (an operator sees its own lines' alerts, a regulator all)",
      security: sharedSecurity,
      middleware: [requireOperatorOrUser('alerts:read')] as const,
      request: { query: AlertQuerySchema },
      responses: {
        200: {
          description: 'A page of alerts',
          content: { 'application/json': { schema: AlertListSchema } },
        },
        ...errorResponses('validation_failed', 'invalid_cursor', ...sharedAuthErrors),
      },
    }),
    async (c) => c.json(await listAlerts({ ctx: viewerCtx(c), input: c.req.valid('query') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/lines/{msisdn}/risk',
      operationId: 'lineRisk',
      tags: ['scoring'],
      summary: "A line's current features, combined score and open alerts",
      security: sharedSecurity,
      middleware: [requireOperatorOrUser('alerts:read')] as const,
      request: { params: MsisdnParam },
      responses: {
        200: {
          description: 'The line risk',
          content: { 'application/json': { schema: LineRiskSchema } },
        },
        ...errorResponses('validation_failed', ...sharedAuthErrors, 'not_found'),
      },
    }),
    async (c) =>
      c.json(
        await lineRisk({ ctx: viewerCtx(c), input: { msisdn: c.req.valid('param').msisdn } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/alerts/{id}/close',
      operationId: 'closeAlert',
      tags: ['scoring'],
      summary: 'Close an alert after review; the line leaves enhanced monitoring when none is open',
      security: sharedSecurity,
      middleware: [requireOperatorOrUser('alerts:write', { roles: ALERT_CLOSERS })] as const,
      request: {
        params: AlertIdParam,
        body: {
          required: true,
          content: { 'application/json': { schema: CloseAlertRequestSchema } },
        },
      },
      responses: {
        200: {
          description: 'The closed alert',
          content: { 'application/json': { schema: AlertSchema } },
        },
        ...errorResponses(
          'validation_failed',
          ...sharedAuthErrors,
          'password_change_required',
          'not_found',
          'alert_not_open',
        ),
      },
    }),
    async (c) => {
      const alert = await closeAlert({
        ctx: viewerCtx(c),
        input: { id: c.req.valid('param').id, reason: c.req.valid('json').reason },
      });
      return c.json(alert, 200);
    },
  );
}
