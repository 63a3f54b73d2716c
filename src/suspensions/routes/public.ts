import { createRoute } from '@hono/zod-openapi';
import type { Router } from '../../platform/http/app.js';
import { json } from '../../platform/http/route-auth.js';
import { PublicOrdersSchema } from '../contract.js';
import { publicOrders } from '../operator.js';

/** The transparency export, without authentication. */
export function mountPublicRoutes(app: Router): void {
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
