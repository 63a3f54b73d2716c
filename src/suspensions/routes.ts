import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { sessionSecurity } from '../access/auth-routes.js';
import { requireOperator, requireUser } from '../access/middleware.js';
import { InvalidError, ServiceError } from '../platform/errors.js';
import type { Router } from '../platform/http/app.js';
import { parseMediaType } from '../platform/http/body-text.js';
import type { AppEnv } from '../platform/http/context.js';
import { errorResponses } from '../platform/http/problem.js';
import {
  type CellInput,
  CSV_HEADER,
  listCells,
  MAX_CELLS_PER_UPLOAD,
  OPENCELLID_HEADER,
  parseCellsCsv,
  replaceCells,
} from './cells.js';
import {
  AcknowledgementSchema,
  anyCase,
  CellSchema,
  CellsReplacedSchema,
  CellsUploadSchema,
  ComplianceAcceptedSchema,
  ComplianceSchema,
  CoverageQuery,
  OperatorOrdersSchema,
  OrderAmendSchema,
  OrderDraftSchema,
  OrderIdParam,
  OrderListSchema,
  OrderNoteSchema,
  OrderSchema,
  OrderStatusQuery,
  PublicOrdersSchema,
  ZoneCellsSchema,
  ZoneCreateSchema,
  ZoneIdParam,
  ZoneRefSchema,
  ZoneSchema,
} from './contract.js';
import {
  acknowledgeOrder,
  listOperatorOrders,
  publicOrders,
  reportCompliance,
} from './operator.js';
import { getOrder, listOrders } from './order-queries.js';
import { actOnOrder, amendOrder, draftOrder, reviewOrder } from './orders.js';
import { ordersCtx, parseStatusFilter } from './request-context.js';
import { cellsForZone, getZone, listZones, RISK_LEVELS, saveZone } from './zones.js';

const sessionErrors = ['unauthorized', 'session_expired', 'password_change_required'] as const;
const writeErrors = [...sessionErrors, 'csrf_failed', 'forbidden'] as const;
const operatorErrors = ['unauthorized', 'forbidden', 'rate_limited'] as const;
const operatorSecurity = [{ operatorKey: [] }];

function operatorCtx(c: Context<AppEnv>) {
  const deps = c.get('deps');
  return {
    db: deps.db,
    now: deps.clock(),
    operator: c.get('operator'),
    ackDeadlineMs: deps.config.ORDER_ACK_DEADLINE_HOURS * 3_600_000,
  };
}

const json = <T>(schema: T) => ({ 'application/json': { schema } });

/** A JSON cell upload, checked against its schema with every failing field named. */
function parseCellsJson(text: string): CellInput[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ServiceError('bad_request', 'the body is not JSON');
  }
  const parsed = CellsUploadSchema.safeParse(body);
  if (parsed.success) return parsed.data.cells;
  const errors = parsed.error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message: i.message,
  }));
  throw new InvalidError(`${errors.length} field(s) failed validation`, errors);
}

const ACTIONS = [
  ['submit', 'submitOrder', 'Submit a draft for approval (drafter: officer or admin)'],
  ['approve', 'approveOrder', 'Approve (approver or admin other than the drafter); freezes cells'],
  ['reject', 'rejectOrder', 'Reject with a note (approver or admin other than the drafter)'],
  ['withdraw', 'withdrawOrder', 'Withdraw a draft or pending order, or a scheduled one'],
  ['lift', 'liftOrder', 'Lift a scheduled or active order early, with a note'],
] as const;

export function mountSuspensionRoutes(app: Router): void {
  app.openAPIRegistry.register('CellsUpload', CellsUploadSchema);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/zones',
      operationId: 'createZone',
      tags: ['zones'],
      summary: 'Create a zone (version 1) from a GeoJSON Polygon or MultiPolygon',
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { body: { required: true, content: json(ZoneCreateSchema) } },
      responses: {
        201: { description: 'Created', content: json(ZoneRefSchema) },
        ...errorResponses('validation_failed', ...writeErrors),
      },
    }),
    async (c) => {
      const ctx = ordersCtx(c);
      return c.json(await saveZone({ ctx, input: c.req.valid('json') }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/zones/{id}/versions',
      operationId: 'versionZone',
      tags: ['zones'],
      summary: 'Redraw a zone: a new version; orders keep the version they were drafted on',
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { params: ZoneIdParam, body: { required: true, content: json(ZoneCreateSchema) } },
      responses: {
        201: { description: 'Created', content: json(ZoneRefSchema) },
        ...errorResponses('validation_failed', ...writeErrors, 'not_found'),
      },
    }),
    async (c) => {
      const ctx = ordersCtx(c);
      const input = { ...c.req.valid('json'), zoneId: c.req.valid('param').id };
      return c.json(await saveZone({ ctx, input }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/zones',
      operationId: 'listZones',
      tags: ['zones'],
      summary: "Zones at their current versions (`riskLevel=high`: the scorer's evidence zones)",
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { query: z.object({ riskLevel: z.enum(RISK_LEVELS).optional() }) },
      responses: {
        200: { description: 'Zones', content: json(z.object({ zones: z.array(ZoneSchema) })) },
        ...errorResponses('validation_failed', ...sessionErrors),
      },
    }),
    async (c) => c.json({ zones: await listZones(c.get('deps').db, c.req.valid('query')) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/zones/{id}',
      operationId: 'getZone',
      tags: ['zones'],
      summary: 'A zone at its current version',
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { params: ZoneIdParam },
      responses: {
        200: { description: 'Zone', content: json(ZoneSchema) },
        ...errorResponses('validation_failed', ...sessionErrors, 'not_found'),
      },
    }),
    async (c) => c.json(await getZone(c.get('deps').db, { zoneId: c.req.valid('param').id }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/zones/{id}/cells',
      operationId: 'getZoneCells',
      tags: ['zones'],
      summary: "The registry's cells the zone covers, across operators",
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { params: ZoneIdParam, query: CoverageQuery },
      responses: {
        200: { description: 'Cells', content: json(ZoneCellsSchema) },
        ...errorResponses('validation_failed', ...sessionErrors, 'not_found'),
      },
    }),
    async (c) => {
      const db = c.get('deps').db;
      const zone = await getZone(db, { zoneId: c.req.valid('param').id });
      const { coverage } = c.req.valid('query');
      const cells = await cellsForZone(db, { geometry: zone.geometry, coverage });
      return c.json(
        {
          zoneId: zone.id,
          version: zone.version,
          coverage,
          cells,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/suspension-orders',
      operationId: 'draftOrder',
      tags: ['suspension orders'],
      summary: 'Draft an order (officer or admin)',
      description:
        'Checks the policy: duration at most ORDER_MAX_DAYS (default 15), written reasons (≥ 20 characters) and a legal basis, known zone and operators.',
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { body: { required: true, content: json(OrderDraftSchema) } },
      responses: {
        201: { description: 'Drafted', content: json(OrderSchema) },
        ...errorResponses('validation_failed', ...writeErrors),
      },
    }),
    async (c) => c.json(await draftOrder({ ctx: ordersCtx(c), input: c.req.valid('json') }), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/suspension-orders',
      operationId: 'listOrders',
      tags: ['suspension orders'],
      summary: 'Order versions, newest first, with their status at the time of asking',
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { query: OrderStatusQuery },
      responses: {
        200: { description: 'Orders', content: json(OrderListSchema) },
        ...errorResponses('validation_failed', ...sessionErrors),
      },
    }),
    async (c) => {
      const deps = c.get('deps');
      const status = parseStatusFilter(c.req.valid('query').status);
      return c.json({ orders: await listOrders(deps.db, { now: deps.clock(), status }) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/suspension-orders/{id}',
      operationId: 'getOrder',
      tags: ['suspension orders'],
      summary: 'An order version: status, impact, allowed actions, per-operator progress',
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { params: OrderIdParam },
      responses: {
        200: { description: 'Order', content: json(OrderSchema) },
        ...errorResponses('validation_failed', ...sessionErrors, 'not_found'),
      },
    }),
    async (c) => {
      const ctx = ordersCtx(c);
      return c.json(await getOrder(ctx.db, { ...ctx, orderId: c.req.valid('param').id }), 200);
    },
  );

  for (const [action, operationId, summary] of ACTIONS) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/suspension-orders/{id}/${action}`,
        operationId,
        tags: ['suspension orders'],
        summary,
        security: sessionSecurity,
        middleware: [requireUser()] as const,
        request: {
          params: OrderIdParam,
          body: { required: false, content: json(OrderNoteSchema) },
        },
        responses: {
          200: { description: 'The order after the action', content: json(OrderSchema) },
          ...errorResponses(
            'validation_failed',
            ...writeErrors,
            'not_found',
            'four_eyes_violation',
            'invalid_transition',
            'order_window_passed',
            'note_required',
          ),
        },
      }),
      async (c) => {
        const note = c.req.header('content-type') ? c.req.valid('json')?.note : undefined;
        const view = await actOnOrder({
          ctx: ordersCtx(c),
          input: { orderId: c.req.valid('param').id, action, note },
        });
        return c.json(view, 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/suspension-orders/{id}/review',
      operationId: 'reviewOrder',
      tags: ['suspension orders'],
      summary: 'Record the review of a scheduled or active order, with a note',
      description: `Approver or admin other than the one who approved it; due ORDER_REVIEW_DAYS (default 5) after approval.`,
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { params: OrderIdParam, body: { required: true, content: json(OrderNoteSchema) } },
      responses: {
        200: { description: 'The reviewed order', content: json(OrderSchema) },
        ...errorResponses(
          'validation_failed',
          ...writeErrors,
          'not_found',
          'four_eyes_violation',
          'invalid_transition',
          'conflict',
          'note_required',
        ),
      },
    }),
    async (c) => {
      const view = await reviewOrder({
        ctx: ordersCtx(c),
        input: { orderId: c.req.valid('param').id, note: c.req.valid('json').note },
      });
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/suspension-orders/{id}/amend',
      operationId: 'amendOrder',
      tags: ['suspension orders'],
      summary: 'Change a scheduled or active order: a new version pending approval',
      description:
        'Approver or admin. The new version references the amended one and, once another user approves it, supersedes it; `cellChanges` lists the cells added and removed.',
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { params: OrderIdParam, body: { required: true, content: json(OrderAmendSchema) } },
      responses: {
        201: { description: 'The new version', content: json(OrderSchema) },
        ...errorResponses(
          'validation_failed',
          ...writeErrors,
          'not_found',
          'invalid_transition',
          'conflict',
        ),
      },
    }),
    async (c) => {
      const view = await amendOrder({
        ctx: ordersCtx(c),
        input: { orderId: c.req.valid('param').id, changes: c.req.valid('json') },
      });
      return c.json(view, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/operator/cells',
      operationId: 'replaceCells',
      tags: ['operator'],
      summary: "Replace the calling operator's cell sites (JSON or CSV), atomically",
      description: `JSON, or CSV (RFC 4180) in one of two layouts told apart by the header line: \`${CSV_HEADER.join(',')}\`, or OpenCellID's \`${OPENCELLID_HEADER.join(',')}\` (a cell's id is then \`mcc-net-area-cell\` with the MNC in at least two digits, e.g. \`520-01-1234-5678\`; \`range\` is its rangeM; the other columns are not kept). Radio values in any case (\`LTE\`, \`lte\`). At most ${MAX_CELLS_PER_UPLOAD} cells; errors name the CSV line.`,
      security: operatorSecurity,
      middleware: [requireOperator('suspensions:write')] as const,
      request: {
        body: {
          required: true,
          content: {
            // A reference, not the zod schema: hono would validate every body as JSON, CSV too.
            'application/json': { schema: { $ref: '#/components/schemas/CellsUpload' } },
            'text/csv': {
              schema: z.string().openapi({
                pattern: `^\\s*(${[CSV_HEADER, OPENCELLID_HEADER].map((h) => h.map(anyCase).join(' *, *')).join('|')}) *\\r?(\\n|$)`,
                description: `Header \`${CSV_HEADER.join(',')}\` or \`${OPENCELLID_HEADER.join(',')}\`, then one cell per line`,
                example: `${CSV_HEADER.join(',')}\n520-01-1-1,LTE,13.75,100.5,1500`,
              }),
            },
          },
        },
      },
      responses: {
        200: { description: 'Replaced', content: json(CellsReplacedSchema) },
        ...errorResponses('validation_failed', 'unsupported_media_type', ...operatorErrors),
      },
    }),
    async (c) => {
      const type = parseMediaType(c.req.header('content-type') ?? '').essence;
      let cells: CellInput[];
      if (type === 'text/csv') cells = parseCellsCsv(await c.req.text());
      else if (type === 'application/json') cells = parseCellsJson(await c.req.text());
      else throw new ServiceError('unsupported_media_type', 'send application/json or text/csv');
      return c.json(await replaceCells({ ctx: operatorCtx(c), input: { cells } }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/operator/cells',
      operationId: 'listOwnCells',
      tags: ['operator'],
      summary: "The calling operator's cell sites as last uploaded",
      security: operatorSecurity,
      middleware: [requireOperator('suspensions:read')] as const,
      responses: {
        200: {
          description: 'Cells',
          content: json(z.object({ cells: z.array(CellSchema.extend({ radio: z.string() })) })),
        },
        ...errorResponses(...operatorErrors),
      },
    }),
    async (c) => {
      const ctx = operatorCtx(c);
      const cells = await listCells(ctx.db, { operatorIds: [ctx.operator.id] });
      return c.json({ cells: cells.map(({ operatorId: _, ...cell }) => cell) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/operator/suspension-orders',
      operationId: 'listOperatorOrders',
      tags: ['operator'],
      summary: 'Issued orders concerning the calling operator, with its cells and their status',
      security: operatorSecurity,
      middleware: [requireOperator('suspensions:read')] as const,
      responses: {
        200: { description: 'Orders', content: json(OperatorOrdersSchema) },
        ...errorResponses(...operatorErrors),
      },
    }),
    async (c) => c.json(await listOperatorOrders({ ctx: operatorCtx(c) }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/operator/suspension-orders/{id}/acknowledge',
      operationId: 'acknowledgeOrder',
      tags: ['operator'],
      summary: 'Acknowledge receipt of an order (idempotent)',
      security: operatorSecurity,
      middleware: [requireOperator('suspensions:write')] as const,
      request: { params: OrderIdParam },
      responses: {
        200: { description: 'Acknowledged', content: json(AcknowledgementSchema) },
        ...errorResponses('validation_failed', ...operatorErrors, 'not_found'),
      },
    }),
    async (c) =>
      c.json(
        await acknowledgeOrder({
          ctx: operatorCtx(c),
          input: { orderId: c.req.valid('param').id },
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/operator/suspension-orders/{id}/compliance',
      operationId: 'reportCompliance',
      tags: ['operator'],
      summary: 'Report per-cell outcomes: suspended, failed (with cause), restored',
      security: operatorSecurity,
      middleware: [requireOperator('suspensions:write')] as const,
      request: { params: OrderIdParam, body: { required: true, content: json(ComplianceSchema) } },
      responses: {
        200: { description: 'Recorded', content: json(ComplianceAcceptedSchema) },
        ...errorResponses(
          'validation_failed',
          ...operatorErrors,
          'not_found',
          'invalid_transition',
        ),
      },
    }),
    async (c) =>
      c.json(
        await reportCompliance({
          ctx: operatorCtx(c),
          input: { ...c.req.valid('json'), orderId: c.req.valid('param').id },
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/public/suspension-orders',
      operationId: 'listPublicOrders',
      tags: ['public'],
      summary:
        'Transparency export: issued orders with zone, measure, period, legal basis, reasons',
      responses: { 200: { description: 'Issued orders', content: json(PublicOrdersSchema) } },
    }),
    async (c) => {
      const deps = c.get('deps');
      return c.json(await publicOrders(deps.db, { now: deps.clock() }), 200);
    },
  );
}
