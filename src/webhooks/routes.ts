import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireOrganisation } from '../access/middleware.js';
import type { Router } from '../platform/http/app.js';
import type { AppEnv } from '../platform/http/context.js';
import { errorResponses } from '../platform/http/problem.js';
import { json, operatorErrors, operatorSecurity as security } from '../platform/http/route-auth.js';
import { HOUR_MS } from '../platform/time.js';
import {
  DeliveryListSchema,
  DeliveryQuerySchema,
  WebhookCreateSchema,
  WebhookIdParam,
  WebhookListSchema,
  WebhookSecretSchema,
} from './contract.js';
import {
  createSubscription,
  deleteSubscription,
  listDeliveries,
  listSubscriptions,
  rotateSecret,
  type WebhookCtx,
} from './service.js';

/** Managing webhooks is its own scope: a key that only looks up cannot redirect pushed data. */
export const WEBHOOK_SCOPE = 'webhooks:manage';
const authErrors = [...operatorErrors, 'validation_failed'] as const;

function webhookCtx(c: Context<AppEnv>): WebhookCtx {
  const deps = c.get('deps');
  const org = c.get('organisation');
  return {
    db: deps.db,
    now: deps.clock(),
    org: { id: org.id, kind: org.kind },
    keyring: { keys: deps.secrets.piiKeys },
    urlPolicy: { allowInsecure: deps.config.WEBHOOK_ALLOW_INSECURE_URLS },
    secretGraceMs: deps.config.WEBHOOK_SECRET_GRACE_HOURS * HOUR_MS,
  };
}

export function mountWebhookRoutes(app: Router): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks',
      operationId: 'createWebhook',
      tags: ['webhooks'],
      summary:
        'Subscribe an https endpoint to watchlist events; the signing secret is shown only in this answer',
      security,
      middleware: [requireOrganisation(WEBHOOK_SCOPE)] as const,
      request: { body: { required: true, content: json(WebhookCreateSchema) } },
      responses: {
        201: { description: 'Subscribed', content: json(WebhookSecretSchema) },
        ...errorResponses(...authErrors, 'webhook_url_not_allowed'),
      },
    }),
    async (c) =>
      c.json(await createSubscription({ ctx: webhookCtx(c), input: c.req.valid('json') }), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks',
      operationId: 'listWebhooks',
      tags: ['webhooks'],
      summary: "The calling organisation's webhooks (never their secrets)",
      security,
      middleware: [requireOrganisation(WEBHOOK_SCOPE)] as const,
      responses: {
        200: { description: 'Webhooks', content: json(WebhookListSchema) },
        ...errorResponses(...authErrors),
      },
    }),
    async (c) => c.json(await listSubscriptions({ ctx: webhookCtx(c) }), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/webhooks/{id}',
      operationId: 'deleteWebhook',
      tags: ['webhooks'],
      summary: 'Delete a webhook: nothing more is delivered to it',
      security,
      middleware: [requireOrganisation(WEBHOOK_SCOPE)] as const,
      request: { params: WebhookIdParam },
      responses: {
        204: { description: 'Deleted' },
        ...errorResponses(...authErrors, 'not_found'),
      },
    }),
    async (c) => {
      await deleteSubscription({ ctx: webhookCtx(c), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks/{id}/rotate-secret',
      operationId: 'rotateWebhookSecret',
      tags: ['webhooks'],
      summary:
        'Replace the signing secret; the new one is shown only in this answer and signs every attempt from now on',
      security,
      middleware: [requireOrganisation(WEBHOOK_SCOPE)] as const,
      request: { params: WebhookIdParam },
      responses: {
        200: { description: 'Rotated', content: json(WebhookSecretSchema) },
        ...errorResponses(...authErrors, 'not_found'),
      },
    }),
    async (c) =>
      c.json(await rotateSecret({ ctx: webhookCtx(c), input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}/deliveries',
      operationId: 'listWebhookDeliveries',
      tags: ['webhooks'],
      summary: "A webhook's deliveries, newest first: status, attempts, the receiver's last answer",
      security,
      middleware: [requireOrganisation(WEBHOOK_SCOPE)] as const,
      request: { params: WebhookIdParam, query: DeliveryQuerySchema },
      responses: {
        200: { description: 'Deliveries', content: json(DeliveryListSchema) },
        ...errorResponses(...authErrors, 'not_found'),
      },
    }),
    async (c) =>
      c.json(
        await listDeliveries({
          ctx: webhookCtx(c),
          input: { ...c.req.valid('param'), ...c.req.valid('query') },
        }),
        200,
      ),
  );
}
