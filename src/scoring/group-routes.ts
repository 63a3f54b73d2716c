import { createRoute, z } from '@hono/zod-openapi';
import { requireOperatorOrUser } from '../access/middleware.js';
import type { Router } from '../platform/http/app.js';
import { errorResponses } from '../platform/http/problem.js';
import {
  operatorOrSessionErrors as authErrors,
  operatorOrSessionSecurity as security,
} from '../platform/http/route-auth.js';
import { GROUP_ALERT_READERS, getGroupAlert, listGroupAlerts } from './group-alerts.js';
import {
  GroupAlertDetailSchema,
  GroupAlertListSchema,
  GroupAlertQuerySchema,
} from './group-contract.js';
import { groupReadCtx } from './request-context.js';

const GroupIdParam = z.object({
  id: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a group alert id')
    .openapi({ param: { name: 'id', in: 'path' }, example: '7' }),
});

const read = () => requireOperatorOrUser('alerts:read', { roles: GROUP_ALERT_READERS });

export function mountGroupAlertRoutes(app: Router): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/group-alerts',
      operationId: 'listGroupAlerts',
      tags: ['scoring'],
      summary: 'Coordinated campaigns (group alerts), newest day first',
      description:
        "One item per group rule, group key (a cell, or a block of target numbers) and UTC day, with the group's totals against the thresholds and its member lines counted by operator. Regulators (console roles officer, analyst, auditor) see every group; an operator's API key (scope alerts:read) sees only groups holding one of its lines, with only its own lines counted by operator and the others counted in hiddenMemberLines. Bank and partner keys are refused. Pages follow `next` (keyset on the day and the id: every group that existed when paging began is returned exactly once, whatever is raised meanwhile).",
      security,
      middleware: [read()] as const,
      request: { query: GroupAlertQuerySchema },
      responses: {
        200: {
          description: 'A page of group alerts',
          content: { 'application/json': { schema: GroupAlertListSchema } },
        },
        ...errorResponses('validation_failed', 'invalid_cursor', ...authErrors),
      },
    }),
    async (c) =>
      c.json(await listGroupAlerts({ ctx: groupReadCtx(c), input: c.req.valid('query') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/group-alerts/{id}',
      operationId: 'getGroupAlert',
      tags: ['scoring'],
      summary: 'One coordinated campaign: what its members share and every member line',
      description:
        "The group's rule, key, day, totals against thresholds, what the members share (handsets, persons, timing, targets, points of sale) and each member line with its operator, its figures in the group and its own alert. An operator's key sees only its own member lines (the others are counted in hiddenMemberLines, never shown); a group without one of its lines is not found. A regulator's read of member lines of several operators is written to the audit log (scoring.group_read).",
      security,
      middleware: [read()] as const,
      request: { params: GroupIdParam },
      responses: {
        200: {
          description: 'The group alert',
          content: { 'application/json': { schema: GroupAlertDetailSchema } },
        },
        ...errorResponses('validation_failed', ...authErrors, 'not_found'),
      },
    }),
    async (c) =>
      c.json(
        await getGroupAlert({ ctx: groupReadCtx(c), input: { id: c.req.valid('param').id } }),
        200,
      ),
  );
}
