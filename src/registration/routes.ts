import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireOperator } from '../access/middleware.js';
import { ServiceError } from '../platform/errors.js';
import { type Router, validationHook } from '../platform/http/app.js';
import type { AppEnv } from '../platform/http/context.js';
import { errorResponses, PROBLEM_CONTENT_TYPE } from '../platform/http/problem.js';
import {
  operatorErrors as authErrors,
  operatorSecurity as security,
} from '../platform/http/route-auth.js';
import { idempotentRoute } from '../platform/idempotency.js';
import { HOUR_MS } from '../platform/time.js';
import {
  DeregisterRequestSchema,
  RegistrationCreatedSchema,
  RegistrationRequestSchema,
  RegistrationViewSchema,
  SimSummaryRequestSchema,
  SimSummarySchema,
} from './contract.js';
import {
  auditRegistrationRefused,
  deregisterSim,
  getRegistration,
  REFUSALS,
  type RegistrationCtx,
  registerSim,
  requestFingerprint,
} from './service.js';
import { auditSimSummary, simSummary } from './sim-summary.js';

const MsisdnParam = z.object({
  msisdn: z
    .string()
    .regex(/^\+[1-9]\d{7,14}$/, 'must be E.164, e.g. +66812345678')
    .openapi({ param: { name: 'msisdn', in: 'path' }, example: '+66812345678' }),
});

function registrationCtx(c: Context<AppEnv>): RegistrationCtx {
  const deps = c.get('deps');
  return {
    db: deps.db,
    operator: c.get('operator'),
    identityPepper: deps.secrets.identityPepper,
    keyring: { keys: deps.secrets.piiKeys },
    now: deps.clock(),
    requestId: c.get('requestId'),
    quarantineDays: deps.config.QUARANTINE_DAYS,
    idempotencyTtlMs: deps.config.IDEMPOTENCY_TTL_HOURS * HOUR_MS,
  };
}

export const registerRoute = createRoute({
  method: 'post',
  path: '/v1/registrations',
  operationId: 'registerSim',
  tags: ['registration'],
  summary: 'Register a SIM to a verified identity at the point of sale',
  description:
    'Checks the identity document offline and the verification evidence against the country policy (a verification reference belongs to the one person it verified), then enforces exactly the per-operator and national SIM caps and the acquisition limit (new SIMs per person in a rolling window across operators, deregistered ones included). An ICCID registers once, ever. Under an exempt account only its authorised representatives register, and the SIM counts against the account limit. Requires an Idempotency-Key; a retry with the same key and body replays the stored response byte for byte.',
  security,
  middleware: [requireOperator('registrations:write')] as const,
  request: {
    headers: z.object({
      'idempotency-key': z
        .string()
        .min(1)
        .max(255)
        .optional()
        /** Optional to zod so a missing key gets its own code; required in the document. */
        .openapi({
          description: '1-255 characters, unique per request',
          param: { required: true },
        }),
    }),
    body: {
      required: true,
      content: { 'application/json': { schema: RegistrationRequestSchema } },
    },
  },
  responses: {
    201: {
      description: 'Registered',
      content: { 'application/json': { schema: RegistrationCreatedSchema } },
    },
    ...errorResponses(
      'validation_failed',
      'idempotency_key_missing',
      ...authErrors,
      'sim_cap_exceeded',
      'cooling_off_active',
      'msisdn_already_registered',
      'msisdn_quarantined',
      'msisdn_watchlisted',
      'identity_watchlisted',
      'iccid_already_registered',
      'acquisition_limit_exceeded',
      'idempotency_in_flight',
      'invalid_document',
      'document_not_accepted',
      'verification_insufficient',
      'verification_reused',
      'account_representative_required',
      'idempotency_key_reused',
      'unprocessable',
    ),
  },
});

export function mountRegistrationRoutes(app: Router): void {
  app.openapi(registerRoute, async (c) => {
    const key = c.req.valid('header')['idempotency-key'];
    if (key === undefined)
      throw new ServiceError(
        'idempotency_key_missing',
        'the Idempotency-Key header (1-255 characters) is required',
      );
    const request = c.req.valid('json');
    const deps = c.get('deps');
    const ctx = registrationCtx(c);
    const res = await idempotentRoute(
      deps.db,
      {
        operatorId: ctx.operator.id,
        key,
        fingerprint: requestFingerprint(
          deps.secrets.fingerprintKeys,
          'POST',
          '/v1/registrations',
          request,
        ),
        now: ctx.now,
        ttlMs: ctx.idempotencyTtlMs,
      },
      {
        requestId: ctx.requestId,
        refusals: REFUSALS,
        run: async (tx) => {
          const created = await registerSim({ ctx: { ...ctx, tx }, input: request });
          return { status: 201, body: JSON.stringify(created) };
        },
        auditRefusal: (tx, refusal) =>
          auditRegistrationRefused({ ctx: { ...ctx, tx }, input: { request, refusal } }),
      },
    );
    const outcome = res.replayed ? 'replayed' : (res.refusal?.code ?? 'created');
    deps.metrics.registrations.inc({ outcome });
    if (res.refusal?.code === 'sim_cap_exceeded') {
      const cap = typeof res.refusal.extra.cap === 'string' ? res.refusal.extra.cap : 'unknown';
      deps.metrics.capRefusals.inc({ cap, country: ctx.operator.country });
    }
    if (res.replayed) c.header('Idempotent-Replayed', 'true');
    const type = res.status >= 400 ? PROBLEM_CONTENT_TYPE : 'application/json';
    return c.body(res.body, res.status as 201, { 'Content-Type': type }) as never;
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/registrations/{msisdn}',
      operationId: 'getRegistration',
      tags: ['registration'],
      summary: "The calling operator's registration of a number (another operator's is 404)",
      security,
      middleware: [requireOperator('registrations:read')] as const,
      request: { params: MsisdnParam },
      responses: {
        200: {
          description: 'The registration',
          content: { 'application/json': { schema: RegistrationViewSchema } },
        },
        ...errorResponses('validation_failed', ...authErrors, 'not_found'),
      },
    }),
    async (c) => {
      const view = await getRegistration({
        ctx: registrationCtx(c),
        input: { msisdn: c.req.valid('param').msisdn },
      });
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/registrations/{msisdn}/deregister',
      operationId: 'deregisterSim',
      tags: ['registration'],
      summary: 'End a registration: frees the cap slot and quarantines the number',
      security,
      middleware: [requireOperator('registrations:write')] as const,
      request: {
        params: MsisdnParam,
        body: {
          required: true,
          content: { 'application/json': { schema: DeregisterRequestSchema } },
        },
      },
      responses: {
        200: {
          description: 'Deregistered',
          content: { 'application/json': { schema: RegistrationViewSchema } },
        },
        ...errorResponses('validation_failed', ...authErrors, 'not_found'),
      },
    }),
    async (c) => {
      const deps = c.get('deps');
      const view = await deregisterSim({
        ctx: registrationCtx(c),
        input: { msisdn: c.req.valid('param').msisdn, reason: c.req.valid('json').reason },
      });
      deps.metrics.registrations.inc({ outcome: 'deregistered' });
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/identity/sim-summary',
      operationId: 'simSummary',
      tags: ['registration'],
      summary: "SIM counts and caps for one identity (the calling operator's lines only)",
      description:
        'Needs the same fresh verification evidence as a registration. Answers only when name and date of birth match the identity on record; otherwise, and for an unknown document, the answer is zero counts. Limited per operator (SIM_SUMMARY_RATE_PER_MINUTE, shared by all replicas; 429 with Retry-After beyond it). Every call is audited.',
      security,
      middleware: [requireOperator('registrations:read')] as const,
      request: {
        body: {
          required: true,
          content: { 'application/json': { schema: SimSummaryRequestSchema } },
        },
      },
      responses: {
        200: {
          description: 'Counts and caps',
          content: { 'application/json': { schema: SimSummarySchema } },
        },
        ...errorResponses(
          'validation_failed',
          ...authErrors,
          'invalid_document',
          'verification_insufficient',
          'unprocessable',
        ),
      },
    }),
    async (c) => {
      try {
        const summary = await simSummary({
          ctx: {
            ...registrationCtx(c),
            perMinute: c.get('deps').config.SIM_SUMMARY_RATE_PER_MINUTE,
          },
          input: c.req.valid('json'),
        });
        return c.json(summary, 200);
      } catch (err) {
        if (err instanceof ServiceError && typeof err.extra.retryAfter === 'number')
          c.header('Retry-After', String(err.extra.retryAfter));
        throw err;
      }
    },
    /** A malformed call (no evidence, say) is a call too: audited, naming only the fields. */
    async (result, c) => {
      if (!result.success) {
        await auditSimSummary(
          { db: c.get('deps').db, operator: c.get('operator'), now: c.get('deps').clock() },
          'refused',
          ['operator', c.get('operator').id],
          {
            code: 'validation_failed',
            fields: [
              ...new Set(result.error.issues.map((i) => i.path.map(String).join('.') || '(body)')),
            ],
          },
        );
      }
      return validationHook(result, c) as never;
    },
  );
}
