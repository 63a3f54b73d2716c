import { describe, expect, it } from 'vitest';
import { normaliseName, sameName } from '../../src/registration/names.js';

describe('names as compared', () => {
  it('folds compatibility forms, case and whitespace, and nothing else', () => {
    expect(normaliseName('  ＳＯＭＣＨＡＩ \t\n Jaidee ')).toBe('somchai jaidee');
    expect(sameName('Straße Müller', 'STRASSE MÜLLER')).toBe(true);
    expect(sameName('Nguyễn Văn An', 'nguyễn  văn an')).toBe(true);
    /** Composed and decomposed accents are one name. */
    expect(sameName('Nguy\u1EC5n', 'Nguye\u0302\u0303n')).toBe(true);
    expect(sameName('Somchai Jaidee', 'Somsak Jaidee')).toBe(false);
    expect(sameName('Nguyễn', 'Nguyen')).toBe(false);
  });
});
