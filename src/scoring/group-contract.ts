import { z } from '@hono/zod-openapi';
import { GROUP_RULE_CODES } from './rules/index.js';
import type { GroupKeyKind } from './rules/rule.js';

/** The kinds of group key, as the key's prefix (`cell:520-01-…`, `sms-block:+6681234`). */
const GROUP_KEY_KINDS = [
  'cell',
  'sms-block',
  'call-block',
] as const satisfies readonly GroupKeyKind[];

const CheckSchema = z.object({
  feature: z.string().openapi({ example: 'member_lines' }),
  value: z.number(),
  threshold: z.number(),
  op: z.enum(['>', '>=', '<=']),
});

const OperatorCountSchema = z.object({
  operatorId: z.string().nullable().openapi({
    description: 'null for member lines whose operator the scorer could not tell',
  }),
  memberLines: z.number().int(),
});

export const GroupAlertSummarySchema = z
  .object({
    id: z.string(),
    rule: z.enum(GROUP_RULE_CODES),
    groupKey: z.string().openapi({
      description:
        'What the members share: a cell (`cell:<cell id>`), or a block of a thousand target numbers texted (`sms-block:<number less 3 digits>`) or called (`call-block:<…>`)',
      example: 'cell:520-01-77-7001',
    }),
    keyKind: z.enum(GROUP_KEY_KINDS),
    windowStart: z.string().openapi({ description: 'Start of the UTC day the group was seen in' }),
    windowEnd: z.string(),
    score: z.number(),
    memberLines: z.number().int().openapi({ description: 'Member lines of every operator' }),
    hiddenMemberLines: z.number().int().openapi({
      description:
        "Member lines this caller does not see: for an operator's key, other operators' lines (counted, never named); 0 for a regulator",
    }),
    operators: z.array(OperatorCountSchema).openapi({
      description:
        "Member lines per operator: every operator for a regulator, only the caller's own for an operator's key",
    }),
    checks: z.array(CheckSchema).openapi({
      description: "The group's totals against the rule's thresholds when it was last raised",
    }),
    createdAt: z.string().openapi({ description: 'When the group alert was first raised' }),
    updatedAt: z.string().openapi({ description: 'When members were last added' }),
  })
  .openapi('GroupAlertSummary');
export type GroupAlertSummary = z.infer<typeof GroupAlertSummarySchema>;

export const GroupAlertListSchema = z
  .object({ items: z.array(GroupAlertSummarySchema), next: z.string().nullable() })
  .openapi('GroupAlertList');

export const GroupSharedSchema = z
  .object({
    handsets: z
      .array(z.string())
      .openapi({ description: 'IMEIs carrying two or more member lines' }),
    persons: z.number().int().openapi({ description: 'Persons registered to two or more members' }),
    linesOfSharedPersons: z.number().int(),
    startSpreadMin: z.number().openapi({
      description:
        "Minutes between the first and the last member's first record (synchronised starts)",
    }),
    stopSpreadMin: z.number(),
    distinctTargets: z
      .number()
      .int()
      .openapi({ description: 'Distinct numbers the group reached' }),
    registeredLines: z.number().int().optional().openapi({
      description: 'Member lines with a registration here',
    }),
    sameOutletWithinHours: z.array(z.string()).optional().openapi({
      description:
        'Points of sale where different persons registered member lines within 6 hours of each other',
    }),
    sameOutletLines: z.number().int().optional(),
  })
  .openapi('GroupShared');

export const GroupMemberSchema = z
  .object({
    msisdn: z.string(),
    operatorId: z.string().nullable(),
    personKey: z.string().nullable().openapi({
      description: 'Pseudonymous key of the registered person (same person, same key)',
    }),
    outgoingCalls: z.number().int(),
    shortOrUnanswered: z.number().int(),
    incomingCalls: z.number().int(),
    urlSms: z.number().int(),
    oneRingCalls: z.number().int(),
    targets: z.number().int().openapi({ description: 'Distinct numbers this line reached here' }),
    targetBlocks: z.number().int(),
    imeis: z.array(z.string()),
    firstAt: z.string(),
    lastAt: z.string(),
    alertId: z.string().nullable().openapi({
      description: "This member line's own alert (GET /v1/alerts), to close it after review",
    }),
    alertStatus: z.enum(['open', 'closed']).nullable(),
  })
  .openapi('GroupMember');
export type GroupMemberView = z.infer<typeof GroupMemberSchema>;

export const GroupAlertDetailSchema = GroupAlertSummarySchema.extend({
  shared: GroupSharedSchema,
  members: z.array(GroupMemberSchema).openapi({
    description:
      "Member lines with their figures in the group, by operator then number; an operator's key sees only its own",
  }),
}).openapi('GroupAlertDetail');
export type GroupAlertDetail = z.infer<typeof GroupAlertDetailSchema>;

export const GroupAlertQuerySchema = z.object({
  rule: z.enum(GROUP_RULE_CODES).optional(),
  since: z.iso.datetime({ offset: true }).optional().openapi({
    description: 'Groups whose day window ends after this instant',
  }),
  until: z.iso.datetime({ offset: true }).optional().openapi({
    description: 'Groups whose day window starts before this instant',
  }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(64).optional(),
});
export type GroupAlertQuery = z.infer<typeof GroupAlertQuerySchema>;
