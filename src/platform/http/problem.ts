import { z } from '@hono/zod-openapi';
import { ERROR_CODES, type ErrorCode } from '../errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: ErrorCode): string {
  return `urn:simline:problem:${code}`;
}

/** The RFC 9457 document as a string, so it can be stored and replayed byte for byte. */
export function problemBody(
  code: ErrorCode,
  detail: string,
  requestId: string,
  extra: Record<string, unknown> = {},
): string {
  const { status, title } = ERROR_CODES[code];
  return JSON.stringify({
    type: problemType(code),
    title,
    status,
    detail,
    code,
    requestId,
    ...extra,
  });
}

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:simline:problem:validation_failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    requestId: z.string(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'Each failing field (validation_failed).' }),
  })
  .passthrough()
  .openapi('Problem');

/** OpenAPI `responses` entries for the given error codes, grouped by status. */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const s = ERROR_CODES[code].status;
    byStatus.set(s, [...(byStatus.get(s) ?? []), code]);
  }
  const out: Record<
    number,
    { description: string; content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof ProblemSchema } } }
  > = {};
  for (const [status, list] of byStatus) {
    out[status] = {
      description: `Problem: ${list.join(', ')}`,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
    };
  }
  return out;
}
