import { z } from '@hono/zod-openapi';
import { E164 } from '../registration/numbering.js';
import { CAPPED_FEATURES } from './features.js';
import { ALERT_RULE_CODES } from './rules/index.js';

export const MAX_CDRS_PER_REQUEST = 10_000;
/** 10,000 records of about 400 bytes, with room to spare. */
export const MAX_CDR_BODY_BYTES = 16 * 1024 * 1024;

export const CdrIngestResultSchema = z
  .object({
    accepted: z.number().int().openapi({ description: 'Valid records (duplicates included)' }),
    rejected: z.number().int(),
    duplicates: z
      .number()
      .int()
      .openapi({ description: 'Records whose recordId was already counted' }),
    late: z.number().int().openapi({ description: 'Records older than the allowed lateness' }),
    future: z.number().int().openapi({
      description:
        "Records refused because startedAt is more than SCORING_MAX_FUTURE_SKEW_MS (default 15 minutes) ahead of the server's clock; counted in rejected and reported in errors. They move no watermark.",
    }),
    errors: z
      .array(z.object({ line: z.number().int(), error: z.string() }))
      .openapi({ description: 'The first few rejected records, by 1-based line number' }),
  })
  .openapi('CdrIngestResult');
export type CdrIngestResult = z.infer<typeof CdrIngestResultSchema>;

export const EvidenceSchema = z
  .object({
    checks: z.array(
      z.object({
        feature: z.string(),
        value: z.number(),
        threshold: z.number(),
        op: z.enum(['>', '>=', '<=']),
      }),
    ),
    lineScore: z.number(),
    imei: z.string().optional(),
    imsis: z.array(z.string()).optional(),
    indicator: z
      .object({ id: z.string(), type: z.string(), category: z.string() })
      .optional()
      .openapi({ description: 'Watchlist alerts: the listed indicator the record matched' }),
    recordId: z
      .string()
      .optional()
      .openapi({ description: 'Watchlist alerts: the record that matched' }),
    group: z
      .object({
        key: z.string(),
        memberLines: z.number().int(),
        shared: z.record(z.string(), z.unknown()),
      })
      .optional()
      .openapi({
        description:
          'Group alerts: the group key (cell:, sms-block:, call-block:), its member lines, and what they share (handsets, persons, timing, points of sale)',
      }),
    member: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "Group alerts: this member line's own figures in the group" }),
  })
  .openapi('AlertEvidence');

export const AlertSchema = z
  .object({
    id: z.string(),
    msisdn: z.string(),
    rule: z.enum(ALERT_RULE_CODES),
    score: z.number(),
    windowStart: z.string(),
    windowEnd: z.string(),
    evidence: EvidenceSchema,
    status: z.enum(['open', 'closed']),
    createdAt: z.string(),
    closedAt: z.string().nullable(),
  })
  .openapi('Alert');
export type AlertView = z.infer<typeof AlertSchema>;

export const AlertListSchema = z
  .object({ items: z.array(AlertSchema), next: z.string().nullable() })
  .openapi('AlertList');

export const AlertQuerySchema = z.object({
  rule: z.enum(ALERT_RULE_CODES).optional(),
  msisdn: z.string().regex(E164, 'must be E.164').optional(),
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: 'createdAt ≥ since' }),
  status: z.enum(['open', 'closed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(64).optional(),
});

export const LineRiskSchema = z
  .object({
    msisdn: z.string(),
    score: z.number().openapi({
      description:
        "Combined over the rules firing on the current window (windowEnd) and the line's open group alerts of that window's day (openAlerts with evidence.group whose window holds windowEnd, each with its group rule's score): 1 − Π(1 − sᵢ); 0 when the line has no records in it. Past windows speak through openAlerts.",
    }),
    rules: z.array(z.string()).openapi({ description: 'Rules firing on the current window' }),
    windowEnd: z.string().nullable().openapi({
      description:
        'End of the current 24-hour window the features describe; null when the line has no records in it',
    }),
    features: z.record(z.string(), z.number().nullable()).nullable(),
    lowerBounds: z.array(z.enum(CAPPED_FEATURES)).openapi({
      description:
        'Features whose value is a lower bound: distinct counts are kept only up to a cap (one past the highest threshold that reads them), so a feature listed here reached its cap and the true count is at least its value. A feature not listed is exact.',
      example: ['distinct_callees_24h'],
    }),
    enhancedMonitoring: z.boolean().openapi({
      description:
        'True while the line has an open alert, from any window, until the alert is closed',
    }),
    openAlerts: z.array(AlertSchema),
    highRiskZones: z
      .array(z.object({ zoneId: z.string(), name: z.string(), cells: z.array(z.string()) }))
      .openapi({
        description:
          'High-risk zones (console) covering cells this line used in the window: evidence that the line operates where scam compounds are',
      }),
  })
  .openapi('LineRisk');

export const CloseAlertRequestSchema = z
  .object({ reason: z.string().trim().min(3).max(500) })
  .strict()
  .openapi('CloseAlertRequest');
