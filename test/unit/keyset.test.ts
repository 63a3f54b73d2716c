import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/platform/errors.js';
import { decodeCursor, encodeCursor, keysetPage } from '../../src/platform/keyset.js';

describe('keyset pages', () => {
  it('answers the first `limit` rows, and a cursor only when more follow', () => {
    const cursorOf = (n: number) => encodeCursor('t', n);
    expect(keysetPage([5, 4, 3], 2, cursorOf)).toEqual({
      page: [5, 4],
      next: encodeCursor('t', 4),
    });
    expect(keysetPage([5, 4], 2, cursorOf)).toEqual({ page: [5, 4], next: null });
    expect(keysetPage([], 2, cursorOf)).toEqual({ page: [], next: null });
  });

  it('reads back the parts of its own cursors and refuses any other as invalid_cursor', () => {
    const patterns = [/^\d{1,15}$/, /^ind_[A-Za-z0-9_-]{16}$/];
    const cursor = encodeCursor('w', 1_764_000_000_000, 'ind_AAAAAAAAAAAAAAAA');
    expect(decodeCursor(cursor, 'w', patterns)).toEqual(['1764000000000', 'ind_AAAAAAAAAAAAAAAA']);
    for (const forged of [
      encodeCursor('a', 1_764_000_000_000, 'ind_AAAAAAAAAAAAAAAA'),
      encodeCursor('w', 1_764_000_000_000),
      encodeCursor('w', 1_764_000_000_000, 'ind_AAAAAAAAAAAAAAAA', 7),
      encodeCursor('w', "1' or 1=1", 'ind_AAAAAAAAAAAAAAAA'),
      'not base64 at all!',
      '',
    ]) {
      const err = (() => {
        try {
          decodeCursor(forged, 'w', patterns);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ServiceError);
      expect((err as ServiceError).code).toBe('invalid_cursor');
    }
  });
});
