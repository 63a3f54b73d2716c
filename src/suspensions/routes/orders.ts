import { createRoute } from '@hono/zod-openapi';
import { requireUser } from '../../access/middleware.js';
import type { Router } from '../../platform/http/app.js';
import { errorResponses } from '../../platform/http/problem.js';
import {
  json,
  sessionErrors,
  sessionSecurity,
  sessionWriteErrors as writeErrors,
} from '../../platform/http/route-auth.js';
import {
  OrderDraftSchema,
  OrderIdParam,
  OrderListSchema,
  OrderSchema,
  OrderStatusQuery,
} from '../contract.js';
import { getOrder, listOrders } from '../order-queries.js';
import { draftOrder } from '../orders.js';
import { ordersCtx, parseStatusFilter } from '../request-context.js';

/** Drafting, listing and reading suspension orders; their actions are in `order-actions.ts`. */
export function mountOrderRoutes(app: Router): void {
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
}
