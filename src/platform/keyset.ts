/**
 * Keyset pages. A list query asks for `limit + 1` rows in its key order; the page is the first
 * `limit`, and the cursor names the last row's key when more follow. A cursor is opaque to
 * clients: a tag naming the list and the key's parts, in base64url, checked part by part on the
 * way back so that a forged one is a 400, never a query.
 */
import { ServiceError } from './errors.js';

/** The page of `rows` (fetched as `limit + 1`) and the cursor after it, null on the last page. */
export function keysetPage<R>(
  rows: readonly R[],
  limit: number,
  cursorOf: (last: R) => string,
): { page: R[]; next: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, next: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

export function encodeCursor(tag: string, ...parts: (string | number)[]): string {
  return Buffer.from([tag, ...parts].join(':')).toString('base64url');
}

/** The parts of a cursor `encodeCursor(tag, ...)` made, each matching its pattern; else 400. */
export function decodeCursor(cursor: string, tag: string, patterns: readonly RegExp[]): string[] {
  const [head, ...parts] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (
    head !== tag ||
    parts.length !== patterns.length ||
    !parts.every((p, i) => patterns[i]?.test(p))
  )
    throw new ServiceError('invalid_cursor', 'the cursor is not one this API returned');
  return parts;
}
