import { createRoute, z } from '@hono/zod-openapi';
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
  CoverageQuery,
  RISK_LEVELS,
  ZoneCellsSchema,
  ZoneCreateSchema,
  ZoneIdParam,
  ZoneRefSchema,
  ZoneSchema,
} from '../contract.js';
import { ordersCtx } from '../request-context.js';
import { cellsForZone, getZone, listZones, saveZone } from '../zones.js';

/** Zones drawn by regulators, versioned; their cells across operators. */
export function mountZoneRoutes(app: Router): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/zones',
      operationId: 'createZone',
      tags: ['zones'],
      summary: 'Create a zone (version 1) from a GeoJSON Polygon or MultiPolygon',
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { body: { required: true, content: json(ZoneCreateSchema) } },
      responses: {
        201: { description: 'Created', content: json(ZoneRefSchema) },
        ...errorResponses('validation_failed', ...writeErrors),
      },
    }),
    async (c) => {
      const ctx = ordersCtx(c);
      return c.json(await saveZone({ ctx, input: c.req.valid('json') }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/zones/{id}/versions',
      operationId: 'versionZone',
      tags: ['zones'],
      summary: 'Redraw a zone: a new version; orders keep the version they were drafted on',
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { params: ZoneIdParam, body: { required: true, content: json(ZoneCreateSchema) } },
      responses: {
        201: { description: 'Created', content: json(ZoneRefSchema) },
        ...errorResponses('validation_failed', ...writeErrors, 'not_found'),
      },
    }),
    async (c) => {
      const ctx = ordersCtx(c);
      const input = { ...c.req.valid('json'), zoneId: c.req.valid('param').id };
      return c.json(await saveZone({ ctx, input }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/zones',
      operationId: 'listZones',
      tags: ['zones'],
      summary: "Zones at their current versions (`riskLevel=high`: the scorer's evidence zones)",
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { query: z.object({ riskLevel: z.enum(RISK_LEVELS).optional() }) },
      responses: {
        200: { description: 'Zones', content: json(z.object({ zones: z.array(ZoneSchema) })) },
        ...errorResponses('validation_failed', ...sessionErrors),
      },
    }),
    async (c) => c.json({ zones: await listZones(c.get('deps').db, c.req.valid('query')) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/zones/{id}',
      operationId: 'getZone',
      tags: ['zones'],
      summary: 'A zone at its current version',
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { params: ZoneIdParam },
      responses: {
        200: { description: 'Zone', content: json(ZoneSchema) },
        ...errorResponses('validation_failed', ...sessionErrors, 'not_found'),
      },
    }),
    async (c) => c.json(await getZone(c.get('deps').db, { zoneId: c.req.valid('param').id }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/zones/{id}/cells',
      operationId: 'getZoneCells',
      tags: ['zones'],
      summary: "The registry's cells the zone covers, across operators",
      security: sessionSecurity,
      middleware: [requireUser()] as const,
      request: { params: ZoneIdParam, query: CoverageQuery },
      responses: {
        200: { description: 'Cells', content: json(ZoneCellsSchema) },
        ...errorResponses('validation_failed', ...sessionErrors, 'not_found'),
      },
    }),
    async (c) => {
      const db = c.get('deps').db;
      const zone = await getZone(db, { zoneId: c.req.valid('param').id });
      const { coverage } = c.req.valid('query');
      const cells = await cellsForZone(db, { geometry: zone.geometry, coverage });
      return c.json(
        {
          zoneId: zone.id,
          version: zone.version,
          coverage,
          cells,
        },
        200,
      );
    },
  );
}
