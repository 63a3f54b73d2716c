import { describe, expect, it } from 'vitest';
import { checkChineseArea } from '../../src/registration/china-areas.js';
import { checkMyanmarNrc } from '../../src/registration/myanmar-nrc.js';
import { CN_AREA_CODES } from '../../src/registration/tables/cn-gb2260-areas.js';
import { MM_NRC_TOWNSHIPS } from '../../src/registration/tables/mm-nrc-townships.js';

describe('Myanmar NRC township table', () => {
  it('covers the 14 states and regions with unique codes per state', () => {
    const states = new Set(MM_NRC_TOWNSHIPS.map(([state]) => state));
    expect([...states].sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    ]);
    const keys = MM_NRC_TOWNSHIPS.map(([state, code]) => `${state}/${code}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(MM_NRC_TOWNSHIPS.length).toBeGreaterThan(400);
  });

  it('maps every spelling of every township to its code, and nothing to a second one', () => {
    for (const [state, code, myanmar, aliases] of MM_NRC_TOWNSHIPS) {
      for (const spelling of [code, ...myanmar, ...aliases]) {
        expect(checkMyanmarNrc(`${state}/${spelling}(N)123456`)).toEqual({
          ok: true,
          canonical: `${state}/${code}(N)123456`,
        });
      }
    }
  });

  it('gives every township its 3-letter Myanmar-script code', () => {
    for (const [, , myanmar] of MM_NRC_TOWNSHIPS) {
      expect(myanmar.some((form) => /^[\u1000-\u1021\u1023-\u102A]{3}$/u.test(form))).toBe(true);
    }
  });
});

describe('GB/T 2260 area table', () => {
  const tokens = CN_AREA_CODES.split(/\s+/).filter((token) => token !== '');

  it('is sorted by code, one entry per code', () => {
    const codes = tokens.map((token) => token.slice(0, 6));
    expect(codes).toEqual([...codes].sort());
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.length).toBeGreaterThan(7000);
  });

  it('answers by the birth year', () => {
    expect(checkChineseArea('110105', 1949)).toBe('known');
    expect(checkChineseArea('110103', 2009)).toBe('known');
    expect(checkChineseArea('110103', 2010)).toBe('not_in_use');
    expect(checkChineseArea('130108', 2000)).toBe('not_in_use');
    expect(checkChineseArea('130108', 1999)).toBe('known');
    expect(checkChineseArea('910000', 1980)).toBe('unknown');
    expect(checkChineseArea('810000', 1960)).toBe('known');
  });
});
