import { createRoute, z } from '@hono/zod-openapi';
import { ServiceError } from '../platform/errors.js';
import type { Router } from '../platform/http/app.js';
import { errorResponses } from '../platform/http/problem.js';
import { sessionSecurity } from '../platform/http/route-auth.js';
import {
  clearSessionCookie,
  clientAddress,
  readSessionId,
  requireUser,
  sessionPolicy,
  writeSessionCookie,
} from './middleware.js';
import { CONSOLE_ROLES } from './roles.js';
import {
  changePassword,
  login,
  logout,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
} from './users.js';

const LoginSchema = z
  .object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) })
  .openapi('LoginRequest');
const SessionSchema = z
  .object({
    userId: z.string(),
    username: z.string(),
    role: z.enum(CONSOLE_ROLES),
    mustChangePassword: z.boolean(),
    csrfToken: z.string().openapi({ description: 'Send as X-CSRF-Token on every write' }),
  })
  .openapi('ConsoleSession');
const PasswordSchema = z
  .object({
    currentPassword: z.string().max(1000),
    newPassword: z.string().max(1000).openapi({
      minLength: MIN_PASSWORD_LENGTH,
      maxLength: MAX_PASSWORD_LENGTH,
      description: 'Differs from the current password',
    }),
  })
  .openapi('PasswordChange');

export function mountAuthRoutes(app: Router): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'consoleSession', {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-simline_session',
    description:
      'Console session cookie set by POST /v1/auth/login (named simline_session over plain http). Writes also need the X-CSRF-Token header.',
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/login',
      operationId: 'login',
      tags: ['console auth'],
      summary: 'Log in: sets a fresh session cookie and returns its CSRF token',
      request: {
        body: { required: true, content: { 'application/json': { schema: LoginSchema } } },
      },
      responses: {
        200: {
          description: 'Logged in',
          content: { 'application/json': { schema: SessionSchema } },
        },
        ...errorResponses('validation_failed', 'invalid_credentials', 'login_throttled'),
      },
    }),
    async (c) => {
      const deps = c.get('deps');
      const body = c.req.valid('json');
      const res = await login({
        ctx: { db: deps.db, now: deps.clock(), policy: sessionPolicy(c) },
        input: { ...body, previousSessionId: readSessionId(c), clientAddress: clientAddress(c) },
      }).catch((err: unknown) => {
        const retryAfter = err instanceof ServiceError ? err.extra.retryAfter : undefined;
        if (typeof retryAfter === 'number') c.header('Retry-After', String(retryAfter));
        throw err;
      });
      writeSessionCookie(c, res.sessionId);
      return c.json(
        {
          userId: res.user.id,
          username: res.user.username,
          role: res.user.role,
          mustChangePassword: res.user.mustChangePassword,
          csrfToken: res.csrfToken,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/auth/session',
      operationId: 'getSession',
      tags: ['console auth'],
      summary: 'The current session (and its CSRF token)',
      security: sessionSecurity,
      middleware: [requireUser({ allowPasswordChange: true })] as const,
      responses: {
        200: {
          description: 'The session',
          content: { 'application/json': { schema: SessionSchema } },
        },
        ...errorResponses('unauthorized', 'session_expired'),
      },
    }),
    (c) => {
      const u = c.get('user');
      return c.json(
        {
          userId: u.id,
          username: u.username,
          role: u.role,
          mustChangePassword: u.mustChangePassword,
          csrfToken: u.csrfToken,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/logout',
      operationId: 'logout',
      tags: ['console auth'],
      summary: 'End the session',
      security: sessionSecurity,
      middleware: [requireUser({ allowPasswordChange: true })] as const,
      responses: {
        204: { description: 'Logged out' },
        ...errorResponses('unauthorized', 'session_expired', 'csrf_failed'),
      },
    }),
    async (c) => {
      const deps = c.get('deps');
      await logout(deps.db, { user: c.get('user'), now: deps.clock() });
      clearSessionCookie(c);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/password',
      operationId: 'changePassword',
      tags: ['console auth'],
      summary: 'Change the password (required after the one-time password)',
      security: sessionSecurity,
      middleware: [requireUser({ allowPasswordChange: true })] as const,
      request: {
        body: { required: true, content: { 'application/json': { schema: PasswordSchema } } },
      },
      responses: {
        204: { description: 'Changed; other sessions of the user are ended' },
        ...errorResponses(
          'validation_failed',
          'unauthorized',
          'session_expired',
          'csrf_failed',
          'invalid_credentials',
        ),
      },
    }),
    async (c) => {
      const deps = c.get('deps');
      await changePassword({
        ctx: { db: deps.db, now: deps.clock(), user: c.get('user') },
        input: c.req.valid('json'),
      });
      return c.body(null, 204);
    },
  );
}
