import { z } from '@hono/zod-openapi';
import { INDICATOR_TYPES } from './normalise.js';

export const CATEGORIES = [
  'scam_caller',
  'mule_account',
  'scam_server',
  'phishing',
  'sim_farm_device',
  'other',
] as const;
/** TLP 2.0 markings (FIRST). */
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export const INDICATOR_STATUSES = ['active', 'suspended', 'revoked'] as const;
export const RISK_BANDS = ['none', 'medium', 'high', 'very_high'] as const;
export const SIGHTING_KINDS = ['seen', 'false_positive'] as const;
export const REVIEW_DECISIONS = ['reinstate', 'revoke'] as const;
export type Category = (typeof CATEGORIES)[number];
export type Tlp = (typeof TLP_LEVELS)[number];
export type IndicatorStatus = (typeof INDICATOR_STATUSES)[number];
export type RiskBand = (typeof RISK_BANDS)[number];

const Type = z.enum(INDICATOR_TYPES);

export const IndicatorCreateSchema = z
  .object({
    type: Type,
    value: z.string().min(1).max(2048).openapi({ example: '+85512345678' }),
    bankCode: z
      .string()
      .max(20)
      .optional()
      .openapi({ description: 'bank_account only: a BIC or the national bank code' }),
    category: z.enum(CATEGORIES),
    confidence: z.number().int().min(0).max(100),
    tlp: z.enum(TLP_LEVELS),
    shareWith: z
      .array(z.string().regex(/^([A-Z]{2}|\*)$/, 'must be a country code such as LA, or *'))
      .min(1)
      .max(20)
      .refine((l) => !l.includes('*') || l.length === 1, 'either ["*"] or country codes, not both')
      .openapi({ description: 'Country codes of the partners that may receive it, or ["*"]' }),
    validUntil: z.iso.datetime({ offset: true }).optional().openapi({
      description: "Default: now + the type's lifetime; at most now + the type's maximum",
    }),
    description: z.string().trim().min(1).max(2000),
    caseRef: z.string().trim().min(1).max(200).optional(),
  })
  .openapi('IndicatorCreate');
export type IndicatorCreate = z.infer<typeof IndicatorCreateSchema>;

export const IndicatorRefSchema = z
  .object({
    id: z.string(),
    stixId: z.string(),
    status: z.enum(INDICATOR_STATUSES),
    validUntil: z.string(),
  })
  .openapi('IndicatorRef');

export const IndicatorSchema = z
  .object({
    id: z.string(),
    stixId: z.string(),
    type: Type,
    value: z.string(),
    bankCode: z.string(),
    category: z.enum(CATEGORIES),
    confidence: z.number().int(),
    tlp: z.enum(TLP_LEVELS),
    shareWith: z.array(z.string()),
    status: z.enum(INDICATOR_STATUSES),
    validUntil: z.string(),
    description: z.string(),
    caseRef: z.string().nullable(),
    sourceCountry: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    revokedAt: z.string().nullable(),
    revokeReason: z.string().nullable(),
  })
  .openapi('Indicator');
export type IndicatorView = z.infer<typeof IndicatorSchema>;

export const IndicatorDetailSchema = IndicatorSchema.extend({
  sources: z
    .array(
      z.object({
        sourceOrg: z.string(),
        owner: z.boolean(),
        confidence: z.number().int(),
        description: z.string(),
        caseRef: z.string().nullable(),
        listedAt: z.string(),
      }),
    )
    .nullable()
    .openapi({ description: 'Who listed it (console users only; null for organisations)' }),
  sightings: z
    .array(
      z.object({
        kind: z.enum(SIGHTING_KINDS),
        note: z.string(),
        byOrg: z.string(),
        at: z.string(),
      }),
    )
    .nullable()
    .openapi({ description: 'Sightings, newest first (console users only)' }),
}).openapi('IndicatorDetail');

export const IndicatorListSchema = z
  .object({ items: z.array(IndicatorSchema), next: z.string().nullable() })
  .openapi('IndicatorList');

export const IndicatorQuerySchema = z.object({
  type: Type.optional(),
  value: z
    .string()
    .max(2048)
    .optional()
    .openapi({ description: 'Needs type; matched in canonical form' }),
  bankCode: z.string().max(20).optional(),
  status: z.enum(INDICATOR_STATUSES).optional(),
  category: z.enum(CATEGORIES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(128).optional(),
});

export const CheckQuerySchema = z.object({
  type: Type,
  value: z.string().min(1).max(2048),
  bankCode: z.string().max(20).optional(),
});

export const CheckResultSchema = z
  .object({
    listed: z.boolean(),
    risk: z.enum(RISK_BANDS).openapi({
      description:
        'From the highest confidence of the matching indicators: very_high ≥ 85, high ≥ 60, medium below; none when nothing matches',
    }),
    categories: z.array(z.enum(CATEGORIES)),
    indicatorIds: z.array(z.string()),
  })
  .openapi('WatchlistCheck');

export const SightingCreateSchema = z
  .object({
    kind: z.enum(SIGHTING_KINDS),
    note: z.string().trim().max(2000).default(''),
  })
  .openapi('SightingCreate');

export const SightingResultSchema = z
  .object({
    sightingId: z.string(),
    indicatorId: z.string(),
    kind: z.enum(SIGHTING_KINDS),
    status: z.enum(INDICATOR_STATUSES),
    validUntil: z.string(),
  })
  .openapi('SightingResult');

export const ReviewSchema = z
  .object({
    decision: z.enum(REVIEW_DECISIONS),
    note: z.string().trim().min(1).max(2000),
  })
  .openapi('IndicatorReview');

export const RevokeSchema = z
  .object({ reason: z.string().trim().min(1).max(2000) })
  .openapi('IndicatorRevoke');

export const IndicatorIdParam = z.object({
  id: z
    .string()
    .regex(/^ind_[A-Za-z0-9_-]{16}$/, 'must be an indicator id')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'ind_AbCdEfGhIjKlMnOp' }),
});
