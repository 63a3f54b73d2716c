/**
 * What one operator may see of what a group's members share. A group can hold several operators'
 * lines; an operator sees the handsets and points of sale of its own member lines, never those
 * only other operators' lines used, and the group's counts (persons, spreads, targets) as they
 * are: they name nobody.
 */
import type { GroupShared, MemberSummary } from './engine.js';

/** A group's shared facts with the points of sale of its registrations (`outletsOf`). */
export type StoredShared = GroupShared & {
  registeredLines?: number;
  sameOutletWithinHours?: string[];
  sameOutletLines?: number;
};

/**
 * `shared` cut to what the operator of `own` lines may see: handsets that carried one of them,
 * and points of sale in `ownOutlets` (where they were registered).
 */
export function sharedFor(
  shared: StoredShared,
  own: readonly Pick<MemberSummary, 'imeis'>[],
  ownOutlets: ReadonlySet<string>,
): StoredShared {
  const imeis = new Set(own.flatMap((m) => m.imeis));
  const out: StoredShared = { ...shared, handsets: shared.handsets.filter((h) => imeis.has(h)) };
  if (shared.sameOutletWithinHours !== undefined)
    out.sameOutletWithinHours = shared.sameOutletWithinHours.filter((o) => ownOutlets.has(o));
  return out;
}
