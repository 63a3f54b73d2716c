import { createRoute, z } from '@hono/zod-openapi';
import type { Router } from '../platform/http/app.js';
import { errorResponses } from '../platform/http/problem.js';
import {
  json,
  sessionSecurity,
  sessionWriteErrors as writeErrors,
} from '../platform/http/route-auth.js';
import { requireUser } from './middleware.js';
import { createUser, disableUser, listUsers, NewUserSchema } from './users.js';

const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    role: z.string(),
    mustChangePassword: z.boolean(),
    disabledAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('ConsoleUser');
const CreatedSchema = z
  .object({
    userId: z.string(),
    username: z.string(),
    role: z.string(),
    oneTimePassword: z
      .string()
      .openapi({ description: 'Shown once; must be changed at first login' }),
  })
  .openapi('ConsoleUserCreated');
const UserIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

export function toUserView(u: Awaited<ReturnType<typeof listUsers>>[number]) {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    mustChangePassword: u.must_change_password,
    disabledAt: u.disabled_at?.toISOString() ?? null,
    createdAt: u.created_at.toISOString(),
  };
}

/** User administration: admins create and disable users; auditors may list them. */
export function mountUserRoutes(app: Router): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/users',
      operationId: 'listUsers',
      tags: ['console auth'],
      summary: 'Console users (admin, auditor)',
      security: sessionSecurity,
      middleware: [requireUser({ roles: ['admin', 'auditor'] })] as const,
      responses: {
        200: { description: 'Users', content: json(z.object({ users: z.array(UserSchema) })) },
        ...errorResponses(
          'unauthorized',
          'session_expired',
          'password_change_required',
          'forbidden',
        ),
      },
    }),
    async (c) => c.json({ users: (await listUsers(c.get('deps').db)).map(toUserView) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/users',
      operationId: 'createUser',
      tags: ['console auth'],
      summary: 'Create a console user with a one-time password (admin)',
      security: sessionSecurity,
      middleware: [requireUser({ roles: ['admin'] })] as const,
      request: { body: { required: true, content: json(NewUserSchema) } },
      responses: {
        201: { description: 'Created', content: json(CreatedSchema) },
        ...errorResponses('validation_failed', ...writeErrors, 'conflict'),
      },
    }),
    async (c) => {
      const deps = c.get('deps');
      const created = await createUser({
        ctx: { db: deps.db, now: deps.clock(), actor: c.get('user').id },
        input: c.req.valid('json'),
      });
      return c.json(created, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/users/{id}/disable',
      operationId: 'disableUser',
      tags: ['console auth'],
      summary: 'Disable a console user and end their sessions (admin)',
      security: sessionSecurity,
      middleware: [requireUser({ roles: ['admin'] })] as const,
      request: { params: UserIdParam },
      responses: {
        204: { description: 'Disabled' },
        ...errorResponses('validation_failed', ...writeErrors, 'not_found', 'conflict'),
      },
    }),
    async (c) => {
      const deps = c.get('deps');
      await disableUser({
        ctx: { db: deps.db, now: deps.clock(), actor: c.get('user').id },
        input: { userId: c.req.valid('param').id },
      });
      return c.body(null, 204);
    },
  );
}
