import type { z } from 'zod';
import { InvalidError } from './errors.js';

/**
 * A verb's input through its contract schema: the same parse for the JSON API and the console's
 * forms, failing as `validation_failed` with each failing field named (as the routes' hook does).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message: i.message,
  }));
  throw new InvalidError(`${errors.length} field(s) failed validation`, errors);
}
