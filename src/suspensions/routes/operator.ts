import { createRoute, z } from '@hono/zod-openapi';
import { requireOperator } from '../../access/middleware.js';
import { InvalidError, ServiceError } from '../../platform/errors.js';
import type { Router } from '../../platform/http/app.js';
import { parseMediaType } from '../../platform/http/body-text.js';
import { errorResponses } from '../../platform/http/problem.js';
import { json, operatorErrors, operatorSecurity } from '../../platform/http/route-auth.js';
import {
  type CellInput,
  CSV_HEADER,
  listCells,
  MAX_CELLS_PER_UPLOAD,
  OPENCELLID_HEADER,
  parseCellsCsv,
  replaceCells,
} from '../cells.js';
import {
  AcknowledgementSchema,
  anyCase,
  CellSchema,
  CellsReplacedSchema,
  CellsUploadSchema,
  ComplianceAcceptedSchema,
  ComplianceSchema,
  OperatorOrdersSchema,
  OrderIdParam,
} from '../contract.js';
import { acknowledgeOrder, listOperatorOrders, reportCompliance } from '../operator.js';
import { operatorCtx } from '../request-context.js';

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

/** The operator API: its cell sites, the orders concerning it, acknowledgement, compliance. */
export function mountOperatorRoutes(app: Router): void {
  app.openAPIRegistry.register('CellsUpload', CellsUploadSchema);
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
}
