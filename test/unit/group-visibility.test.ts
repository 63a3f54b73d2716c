import { describe, expect, it } from 'vitest';
import { type StoredShared, sharedFor } from '../../src/scoring/group/visibility.js';

const shared: StoredShared = {
  handsets: ['350000000000001', '350000000000002'],
  persons: 1,
  linesOfSharedPersons: 2,
  startSpreadMin: 3,
  stopSpreadMin: 4,
  distinctTargets: 90,
  registeredLines: 6,
  sameOutletWithinHours: ['outlet-a', 'outlet-b'],
  sameOutletLines: 4,
};

describe('sharedFor', () => {
  it('keeps the handsets and points of sale of the operator’s own lines, and every count', () => {
    const own = [{ imeis: ['350000000000002', '350000000000009'] }];
    expect(sharedFor(shared, own, new Set(['outlet-b', 'outlet-z']))).toEqual({
      ...shared,
      handsets: ['350000000000002'],
      sameOutletWithinHours: ['outlet-b'],
    });
  });

  it('shows nothing of other operators’ handsets and points of sale to an operator with none', () => {
    const v = sharedFor(shared, [{ imeis: [] }], new Set());
    expect(v.handsets).toEqual([]);
    expect(v.sameOutletWithinHours).toEqual([]);
    expect(v.sameOutletLines).toBe(4);
  });

  it('leaves out what a group without registrations never had', () => {
    const { registeredLines, sameOutletWithinHours, sameOutletLines, ...bare } = shared;
    expect(sharedFor(bare, [{ imeis: [] }], new Set()).sameOutletWithinHours).toBeUndefined();
  });
});
