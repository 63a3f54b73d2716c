import { createRoute } from '@hono/zod-openapi';
import { requireUser } from '../../access/middleware.js';
import type { Router } from '../../platform/http/app.js';
import { errorResponses } from '../../platform/http/problem.js';
import {
  json,
  sessionSecurity,
  sessionWriteErrors as writeErrors,
} from '../../platform/http/route-auth.js';
import { OrderAmendSchema, OrderIdParam, OrderNoteSchema, OrderSchema } from '../contract.js';
import { ORDER_ACTION_TABLE, type OrderVerb, SIMPLE_ORDER_ACTIONS } from '../order-actions.js';
import { actOnOrder, amendOrder, reviewOrder } from '../orders.js';
import { ordersCtx } from '../request-context.js';

/** `POST /v1/suspension-orders/{id}/<action>` for every action in `ORDER_ACTION_TABLE`. */
export function mountOrderActionRoutes(app: Router): void {
  for (const action of SIMPLE_ORDER_ACTIONS) {
    const { operationId, summary } = ORDER_ACTION_TABLE[action];
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
      path: '/v1/suspension-orders/{id}/review' satisfies `${string}/${OrderVerb}`,
      operationId: ORDER_ACTION_TABLE.review.operationId,
      tags: ['suspension orders'],
      summary: ORDER_ACTION_TABLE.review.summary,
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
      path: '/v1/suspension-orders/{id}/amend' satisfies `${string}/${OrderVerb}`,
      operationId: ORDER_ACTION_TABLE.amend.operationId,
      tags: ['suspension orders'],
      summary: ORDER_ACTION_TABLE.amend.summary,
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
}
