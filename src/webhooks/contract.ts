import { z } from '@hono/zod-openapi';

/** The events an organisation can subscribe to, Standard Webhooks style (`type`). */
export const WEBHOOK_EVENT_TYPES = [
  'watchlist.account_listed',
  'watchlist.account_revoked',
  'watchlist.match',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Which events each kind of organisation receives: banks their accounts, operators their lines. */
export const EVENTS_BY_KIND: Readonly<Record<string, readonly WebhookEventType[]>> = {
  bank: ['watchlist.account_listed', 'watchlist.account_revoked'],
  operator: ['watchlist.match'],
};

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export const WebhookCreateSchema = z
  .object({
    url: z.string().min(1).max(2048).openapi({ example: 'https://hooks.bank.example/simline' }),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length).openapi({
      description:
        'Banks: watchlist.account_listed, watchlist.account_revoked; operators: watchlist.match',
    }),
  })
  .openapi('WebhookCreate');
export type WebhookCreate = z.infer<typeof WebhookCreateSchema>;

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    createdAt: z.string(),
    rotatedAt: z.string().nullable(),
  })
  .openapi('Webhook');
export type WebhookView = z.infer<typeof WebhookSchema>;

export const WebhookSecretSchema = z
  .object({
    id: z.string(),
    secret: z.string().openapi({
      description: 'whsec_ and the base64 key: shown only now; verify deliveries with it',
      example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    }),
  })
  .openapi('WebhookSecret');

export const WebhookListSchema = z.object({ items: z.array(WebhookSchema) }).openapi('WebhookList');

export const WebhookIdParam = z.object({
  id: z
    .string()
    .regex(/^wh_[A-Za-z0-9_-]{16}$/)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

export const DeliverySchema = z
  .object({
    id: z.number().int(),
    eventId: z.string().openapi({ description: 'The webhook-id header of the delivery' }),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    lastStatus: z.number().int().nullable().openapi({ description: "The receiver's HTTP status" }),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('WebhookDelivery');

export const DeliveryQuerySchema = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const DeliveryListSchema = z
  .object({ items: z.array(DeliverySchema) })
  .openapi('WebhookDeliveryList');
