import { z } from '@hono/zod-openapi';
import { CELL_ID, MAX_CELLS_PER_UPLOAD, MAX_RANGE_M, RADIOS } from './cells.js';
import { GEOMETRY_LIMITS } from './geometry.js';
import { MIN_REASONS_LENGTH, ORDER_ACTIONS, ORDER_STATUSES, SERVICES } from './lifecycle.js';

export const MEASURES = ['full_suspension', 'power_reduction', 'cell_radius_limit'] as const;
export type Measure = (typeof MEASURES)[number];
export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const COVERAGE_MODES = ['inside', 'reach'] as const;
export type Coverage = (typeof COVERAGE_MODES)[number];

const Id = (name: string, example: string) =>
  z
    .object({
      id: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'id', in: 'path' }, example }),
    })
    .openapi(name);

export const ZoneIdParam = Id('ZoneIdParam', 'zone_4kq9Zx1mT0bQ2w8e');
export const OrderIdParam = Id('OrderIdParam', 'ord_4kq9Zx1mT0bQ2w8e');

/** A GeoJSON position as zones keep it: [longitude, latitude] in WGS84 degrees. */
const Position = z
  .tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)])
  .openapi({ description: '[longitude, latitude] in WGS84 degrees' });
const Ring = z.array(Position).min(4).max(GEOMETRY_LIMITS.maxRingVertices);

/** A stored zone's geometry, as every response gives it: a GeoJSON object, never a string. */
export const ZoneGeometrySchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('Polygon'), coordinates: z.array(Ring).min(1) }),
    z.object({
      type: z.literal('MultiPolygon'),
      coordinates: z.array(z.array(Ring).min(1)).min(1),
    }),
  ])
  .openapi('ZoneGeometry', {
    description:
      'GeoJSON (RFC 7946) Polygon or MultiPolygon: an object, [longitude, latitude] positions, each ring closed (its last position repeats its first).',
  });

const Geometry = z
  .record(z.string(), z.unknown(), {
    error: 'geometry must be a GeoJSON object with "type" and "coordinates"',
  })
  .openapi({
    description: `GeoJSON Polygon or MultiPolygon (a bare geometry object), [longitude, latitude] in WGS84; rings closed, at least 4 and at most ${GEOMETRY_LIMITS.maxRingVertices} positions each, at most ${GEOMETRY_LIMITS.maxTotalVertices} in all; no self-intersections; not across the antimeridian.`,
    example: {
      type: 'Polygon',
      coordinates: [
        [
          [102.56, 14.1],
          [102.62, 14.1],
          [102.62, 14.16],
          [102.56, 14.16],
          [102.56, 14.1],
        ],
      ],
    },
  });

export const ZoneCreateSchema = z
  .object({
    name: z.string().trim().min(1, 'must be 1-200 characters').max(200, 'must be 1-200 characters'),
    riskLevel: z.enum(RISK_LEVELS, { error: `must be one of ${RISK_LEVELS.join(', ')}` }),
    geometry: Geometry,
  })
  .openapi('ZoneCreate');

export const ZoneRefSchema = z
  .object({ id: z.string(), version: z.number().int() })
  .openapi('ZoneRef');

export const ZoneSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    name: z.string(),
    riskLevel: z.string(),
    geometry: ZoneGeometrySchema,
    areaKm2: z.number(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .openapi('Zone');

export const CellSchema = z
  .object({
    cellId: z.string().openapi({ example: '520-01-1234-5678' }),
    radio: z.enum(RADIOS),
    lat: z.number(),
    lon: z.number(),
    rangeM: z.number().int(),
  })
  .openapi('Cell');

export const ZoneCellsSchema = z
  .object({
    zoneId: z.string(),
    version: z.number().int(),
    coverage: z.enum(COVERAGE_MODES),
    cells: z.array(CellSchema.extend({ radio: z.string(), operatorId: z.string() })),
  })
  .openapi('ZoneCells');

export const CoverageQuery = z.object({
  coverage: z
    .enum(COVERAGE_MODES)
    .default('inside')
    .openapi({ description: "'reach' also counts sites whose coverage circle reaches the zone" }),
});

const Datetime = z.iso
  .datetime({ offset: true, error: 'must be a valid date' })
  .openapi({ example: '2026-12-01T00:00:00Z' });

export const OrderDraftSchema = z
  .object({
    zoneId: z.string().min(1),
    measure: z.enum(MEASURES, { error: `must be one of ${MEASURES.join(', ')}` }),
    services: z
      .array(z.enum(SERVICES))
      .min(1, `at least one of ${SERVICES.join(', ')} is required`)
      .openapi({ uniqueItems: true }),
    operatorIds: z.array(z.string().min(1)).min(1, 'at least one operator is required'),
    startsAt: Datetime,
    endsAt: Datetime,
    legalBasis: z
      .string()
      .max(2000)
      .refine((t) => t.trim().length > 0, 'a legal basis is required')
      .openapi({ pattern: '\\S', description: 'Not blank' }),
    reasons: z
      .string()
      .max(10_000)
      .refine((t) => t.trim().length > 0, 'written reasons are required')
      .refine(
        (t) => t.trim().length === 0 || t.trim().length >= MIN_REASONS_LENGTH,
        `must be at least ${MIN_REASONS_LENGTH} characters`,
      )
      .openapi({
        minLength: MIN_REASONS_LENGTH,
        description: `At least ${MIN_REASONS_LENGTH} characters, not counting surrounding spaces`,
      }),
    exemptCells: z.array(z.string().max(64)).max(10_000).default([]),
    coverage: z
      .enum(COVERAGE_MODES, { error: `must be one of ${COVERAGE_MODES.join(', ')}` })
      .default('inside'),
  })
  .openapi('OrderDraft');
export type OrderDraft = z.output<typeof OrderDraftSchema>;

export const OrderAmendSchema = OrderDraftSchema.partial().openapi('OrderAmendment', {
  description: 'Only the fields that change; the rest are taken from the amended version.',
});

export const OrderNoteSchema = z
  .object({ note: z.string().max(2000).optional() })
  .openapi('OrderActionNote', {
    description: 'A note; required (≥ 10 characters) for reject and lift',
  });

const Progress = z.object({
  operatorId: z.string(),
  operatorName: z.string(),
  issuedAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  overdue: z.boolean(),
  cells: z.object({
    total: z.number().int(),
    pending: z.number().int(),
    suspended: z.number().int(),
    failed: z.number().int(),
    restored: z.number().int(),
  }),
});

export const OrderSchema = z
  .object({
    id: z.string(),
    reference: z.string(),
    version: z.number().int(),
    amendsId: z.string().nullable(),
    status: z.enum(ORDER_STATUSES),
    zone: z.object({
      id: z.string(),
      version: z.number().int(),
      name: z.string(),
      riskLevel: z.string(),
    }),
    measure: z.string(),
    services: z.array(z.string()),
    operatorIds: z.array(z.string()),
    coverage: z.string(),
    exemptCells: z.array(z.string()),
    startsAt: z.string(),
    endsAt: z.string(),
    legalBasis: z.string(),
    reasons: z.string(),
    draftedBy: z.string(),
    createdAt: z.string(),
    submittedBy: z.string().nullable(),
    submittedAt: z.string().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionNote: z.string().nullable(),
    liftedBy: z.string().nullable(),
    liftedAt: z.string().nullable(),
    liftNote: z.string().nullable(),
    review: z
      .object({
        dueAt: z.string(),
        overdue: z.boolean(),
        reviewedAt: z.string().nullable(),
        reviewedBy: z.string().nullable(),
        note: z.string().nullable(),
      })
      .nullable(),
    allowedActions: z.array(z.enum(ORDER_ACTIONS)),
    impact: z.object({
      frozen: z.boolean(),
      cells: z.number().int(),
      byOperator: z.record(z.string(), z.number().int()),
    }),
    cellChanges: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }).nullable(),
    operators: z.array(Progress),
  })
  .openapi('SuspensionOrder');

export const OrderListSchema = z
  .object({
    orders: z.array(
      z.object({
        id: z.string(),
        reference: z.string(),
        version: z.number().int(),
        status: z.enum(ORDER_STATUSES),
        zoneId: z.string(),
        zoneName: z.string(),
        measure: z.string(),
        startsAt: z.string(),
        endsAt: z.string(),
        operatorIds: z.array(z.string()),
      }),
    ),
  })
  .openapi('SuspensionOrderList');

const STATUS = `\\s*(${ORDER_STATUSES.join('|')})\\s*`;

export const OrderStatusQuery = z.object({
  status: z
    .string()
    .regex(new RegExp(`^(${STATUS}(,${STATUS})*)?$`), `must be among ${ORDER_STATUSES.join(', ')}`)
    .optional()
    .openapi({
      description: 'Comma-separated statuses at the time of asking, e.g. active,scheduled',
    }),
});

/** A pattern matching `word` in any case (JSON Schema patterns have no case-insensitive flag). */
export function anyCase(word: string): string {
  return [...word]
    .map((ch) => (/[a-z]/i.test(ch) ? `[${ch.toUpperCase()}${ch.toLowerCase()}]` : ch))
    .join('');
}

/** What replaceCells checks (cells.ts), written into the schema; the verb names each failure. */
const CellUpload = z.object({
  cellId: z.string().openapi({ pattern: CELL_ID.source, example: '520-01-1234-5678' }),
  radio: z.string().openapi({
    pattern: `^(${RADIOS.map(anyCase).join('|')})$`,
    description: `${RADIOS.join(', ')}, in any case`,
  }),
  lat: z.number().openapi({ minimum: -90, maximum: 90 }),
  lon: z.number().openapi({ minimum: -180, maximum: 180 }),
  rangeM: z.number().openapi({
    type: 'integer',
    minimum: 0,
    maximum: MAX_RANGE_M,
    description: 'Coverage radius in metres',
  }),
});

export const CellsUploadSchema = z
  .object({
    cells: z.array(CellUpload).openapi({
      maxItems: MAX_CELLS_PER_UPLOAD,
      description: 'Cell ids unique within the upload',
    }),
  })
  .openapi('CellsUpload');

export const CellsReplacedSchema = z
  .object({ operatorId: z.string(), count: z.number().int(), uploadedAt: z.string() })
  .openapi('CellsReplaced');

export const OperatorOrdersSchema = z
  .object({
    orders: z.array(
      z.object({
        id: z.string(),
        reference: z.string(),
        version: z.number().int(),
        amendsId: z.string().nullable(),
        status: z.enum(ORDER_STATUSES),
        zone: z.object({
          id: z.string(),
          version: z.number().int(),
          name: z.string(),
          geometry: ZoneGeometrySchema,
        }),
        measure: z.string(),
        services: z.array(z.string()),
        startsAt: z.string(),
        endsAt: z.string(),
        liftedAt: z.string().nullable(),
        legalBasis: z.string(),
        reasons: z.string(),
        issuedAt: z.string(),
        acknowledgedAt: z.string().nullable(),
        acknowledgementDueAt: z.string(),
        acknowledgementOverdue: z.boolean(),
        cells: z.array(
          z.object({
            cellId: z.string(),
            radio: z.string(),
            lat: z.number(),
            lon: z.number(),
            status: z.string(),
            cause: z.string().nullable(),
            reportedAt: z.string().nullable(),
          }),
        ),
      }),
    ),
  })
  .openapi('OperatorSuspensionOrders');

export const AcknowledgementSchema = z
  .object({ orderId: z.string(), acknowledgedAt: z.string(), late: z.boolean() })
  .openapi('Acknowledgement');

export const ComplianceSchema = z
  .object({
    suspended: z.array(z.string().min(1).max(64)).max(100_000).default([]),
    failed: z
      .array(
        z.object({
          cellId: z.string().min(1).max(64),
          cause: z
            .string()
            .min(1)
            .max(500)
            .openapi({ pattern: '\\S', description: 'Why the cell could not be suspended' }),
        }),
      )
      .max(100_000)
      .default([]),
    restored: z.array(z.string().min(1).max(64)).max(100_000).default([]),
  })
  .openapi('ComplianceReport');

export const ComplianceAcceptedSchema = z
  .object({
    orderId: z.string(),
    reportedAt: z.string(),
    suspended: z.number().int(),
    failed: z.number().int(),
    restored: z.number().int(),
  })
  .openapi('ComplianceAccepted');

export const PublicOrdersSchema = z
  .object({
    orders: z.array(
      z.object({
        reference: z.string(),
        version: z.number().int(),
        status: z.enum(ORDER_STATUSES),
        zone: z.object({ name: z.string(), geometry: ZoneGeometrySchema }),
        measure: z.string(),
        services: z.array(z.string()),
        startsAt: z.string(),
        endsAt: z.string(),
        liftedAt: z.string().nullable(),
        supersededAt: z
          .string()
          .nullable()
          .openapi({ description: 'When the next version replaced this one' }),
        legalBasis: z.string(),
        reasons: z.string(),
      }),
    ),
  })
  .openapi('PublicSuspensionOrders');
