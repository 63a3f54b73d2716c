import { z } from '@hono/zod-openapi';
import { E164 } from './numbering.js';
import { VERIFICATION_METHODS } from './verification.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const alpha2 = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code in upper case');

export const SubscriberSchema = z
  .object({
    documentType: z.enum(['national_id', 'passport', 'id_card']),
    documentCountry: alpha2.openapi({ example: 'TH' }),
    documentNumber: z.string().min(1).max(64).openapi({ example: '1101700230708' }),
    mrz: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: 'Lines joined by \\n: 2 lines (TD3 passport) or 3 (TD1 ID card)' }),
    fullName: z.string().trim().min(1).max(200),
    dateOfBirth: isoDate.openapi({ example: '1990-01-31' }),
    nationality: alpha2,
  })
  .strict()
  .openapi('Subscriber');

export const VerificationSchema = z
  .object({
    method: z.enum(VERIFICATION_METHODS),
    reference: z.string().min(1).max(200),
    score: z.number().min(0).max(1),
    verifiedAt: z.iso.datetime({ offset: true }).openapi({ example: '2026-11-25T10:00:00Z' }),
  })
  .strict()
  .openapi('Verification');

export const RegistrationRequestSchema = z
  .object({
    msisdn: z.string().regex(E164, 'must be E.164, e.g. +66812345678'),
    iccid: z.string().regex(/^\d{19,20}$/, 'must be 19-20 digits'),
    imsi: z.string().regex(/^\d{15}$/, 'must be 15 digits'),
    subscriber: SubscriberSchema,
    verification: VerificationSchema,
    pointOfSale: z
      .object({ agentId: z.string().min(1).max(100), outletId: z.string().min(1).max(100) })
      .strict(),
    account: z
      .object({ accountRef: z.string().min(1).max(100) })
      .strict()
      .optional()
      .openapi({
        description:
          "An approved corporate/IoT account: the subscriber must be one of its authorised representatives, and the SIM counts against the account's limit, not the person's caps or acquisition limit",
      }),
  })
  .strict()
  .openapi('RegistrationRequest', {
    example: {
      msisdn: '+66812345678',
      iccid: '8966001234567890122',
      imsi: '520011234567890',
      subscriber: {
        documentType: 'national_id',
        documentCountry: 'TH',
        documentNumber: '1101700230708',
        fullName: 'Somchai Jaidee',
        dateOfBirth: '1990-01-31',
        nationality: 'TH',
      },
      verification: {
        method: 'face_liveness',
        reference: 'liveness-7f3a',
        score: 0.97,
        verifiedAt: '2026-11-25T10:00:00Z',
      },
      pointOfSale: { agentId: 'agent-17', outletId: 'bkk-042' },
    },
  });

export type RegistrationRequest = z.infer<typeof RegistrationRequestSchema>;
export type Subscriber = z.infer<typeof SubscriberSchema>;

const Counts = z.object({ operator: z.number().int(), national: z.number().int() });
const Caps = z.object({ operator: z.number().int(), national: z.number().int().nullable() });

export const RegistrationCreatedSchema = z
  .object({
    registrationId: z.string(),
    msisdn: z.string(),
    status: z.literal('active'),
    counts: Counts,
    caps: Caps,
    registeredAt: z.string(),
    account: z
      .object({ accountRef: z.string(), count: z.number().int(), limit: z.number().int() })
      .optional(),
  })
  .openapi('RegistrationCreated');
export type RegistrationCreated = z.infer<typeof RegistrationCreatedSchema>;

export const RegistrationViewSchema = z
  .object({
    registrationId: z.string(),
    msisdn: z.string(),
    iccid: z.string(),
    imsi: z.string(),
    status: z.enum(['active', 'deregistered']),
    registeredAt: z.string(),
    deregisteredAt: z.string().nullable(),
    deregistrationReason: z.string().nullable(),
    quarantineUntil: z.string().nullable(),
    verification: z.object({
      method: z.string(),
      reference: z.string(),
      score: z.number(),
      verifiedAt: z.string(),
    }),
    pointOfSale: z.object({ agentId: z.string(), outletId: z.string() }),
    exemptAccount: z.boolean(),
  })
  .openapi('Registration');
export type RegistrationView = z.infer<typeof RegistrationViewSchema>;

export const DeregisterRequestSchema = z
  .object({
    reason: z
      .string()
      .min(3)
      .max(500)
      .regex(/\S/, 'must say why')
      .openapi({ example: 'customer request' }),
  })
  .strict()
  .openapi('DeregisterRequest');

export const SimSummaryRequestSchema = z
  .object({
    subscriber: SubscriberSchema,
    verification: VerificationSchema.openapi({
      description:
        'Fresh evidence that the person is present, as for a registration (checked against the country policy)',
    }),
  })
  .strict()
  .openapi('SimSummaryRequest');
export type SimSummaryRequest = z.infer<typeof SimSummaryRequestSchema>;

export const SimSummarySchema = z
  .object({
    counts: Counts,
    caps: Caps,
    remaining: z.object({ operator: z.number().int(), national: z.number().int().nullable() }),
    coolingOffUntil: z.string().nullable(),
    ownLines: z.array(z.string()).openapi({ description: "This operator's active numbers only" }),
  })
  .openapi('SimSummary');
export type SimSummary = z.infer<typeof SimSummarySchema>;
