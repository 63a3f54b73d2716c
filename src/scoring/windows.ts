/**
 * Event-time machinery shared by the line engine and the IMEI windows: hour buckets, record-id
 * hashes for deduplication, bounded distinct lists and the watermark clock.
 *
 * Time is event time only (each record's `startedAt`); nothing here reads a clock, so replaying a
 * stream gives exactly the results it gave live.
 */

import { HOUR_MS, MINUTE_MS } from '../platform/time.js';

/** Re-exported for the scorer's modules, which take it from here. */
export { HOUR_MS };

export const WINDOW_HOURS = 24;
export const DEFAULT_ALLOWED_LATENESS_MS = 10 * MINUTE_MS;

/** The UTC hour of an epoch-ms instant, as hours since the epoch. */
export function hourOf(epochMs: number): number {
  return Math.floor(epochMs / HOUR_MS);
}

/**
 * A 53-bit hash of a string (record ids, party numbers): FNV-1a in the low 32 bits, a second
 * FNV-style pass with another seed and multiplier in the high 21 bits. Collisions among the
 * values one bucket keeps (a line-hour's record ids, its distinct callees) are negligible (about
 * n² / 2⁵⁴), and a number costs far less memory than the string, which dies young instead of
 * being kept for a day.
 */
export function hash53(id: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0x2c1b3c6d);
  h2 ^= h2 >>> 12;
  return (h2 & 0x1fffff) * 4_294_967_296 + (h1 >>> 0);
}

/**
 * Record-id hashes seen in one bucket. Most line-hours hold one or a handful of records, so the
 * first hash is a field, the next ones a packed array of doubles (8 bytes each, no boxing), and
 * past `SMALL_ID_LIST` they move to a Set, where linear scans would start to cost. Hashes are
 * non-negative (`hash53`), so -1 marks an empty bucket.
 */
const SMALL_ID_LIST = 32;

export class RecordIds {
  private first = -1;
  private rest: number[] | null = null;
  private set: Set<number> | null = null;

  /** Adds `hash`; false when it was already there. */
  add(hash: number): boolean {
    const set = this.set;
    if (set !== null) {
      if (set.has(hash)) return false;
      set.add(hash);
      return true;
    }
    if (this.first < 0) {
      this.first = hash;
      return true;
    }
    if (this.first === hash) return false;
    const rest = this.rest;
    if (rest === null) {
      this.rest = [hash];
      return true;
    }
    if (rest.includes(hash)) return false;
    if (rest.length < SMALL_ID_LIST - 1) {
      rest.push(hash);
    } else {
      const grown = new Set(rest);
      grown.add(this.first);
      grown.add(hash);
      this.set = grown;
      this.rest = null;
    }
    return true;
  }

  get size(): number {
    if (this.set !== null) return this.set.size;
    return this.first < 0 ? 0 : 1 + (this.rest?.length ?? 0);
  }

  forEach(f: (hash: number) => void): void {
    if (this.set !== null) {
      this.set.forEach(f);
      return;
    }
    if (this.first >= 0) f(this.first);
    this.rest?.forEach(f);
  }
}

/**
 * Counts distinct `hash53` values up to a cap, in an open-addressing table reused from count to
 * count: a window's distinct callees are counted at every evaluation, and a Set would allocate
 * a table and box every value each time. Slots are marked with the count's generation, so
 * starting a count clears nothing.
 */
export class DistinctCounter {
  private values = new Float64Array(128);
  private marks = new Uint32Array(128);
  private generation = 0;
  private cap = 0;
  size = 0;

  /** Starts a count that stops at `cap` distinct values. */
  start(cap: number): void {
    if (cap * 2 > this.values.length) {
      let n = this.values.length;
      while (n < cap * 2) n *= 2;
      this.values = new Float64Array(n);
      this.marks = new Uint32Array(n);
      this.generation = 0;
    }
    this.generation++;
    if (this.generation === 0xffffffff) {
      this.marks.fill(0);
      this.generation = 1;
    }
    this.cap = cap;
    this.size = 0;
  }

  /** Adds the values of `list` until the cap is reached. */
  addAll(list: readonly number[]): void {
    const { values, marks, generation } = this;
    const mask = values.length - 1;
    for (let i = 0; i < list.length && this.size < this.cap; i++) {
      const v = list[i] as number;
      // The low 32 bits of a hash53 value are FNV-1a: spread enough to index by.
      let slot = (v >>> 0) & mask;
      for (;;) {
        if (marks[slot] !== generation) {
          marks[slot] = generation;
          values[slot] = v;
          this.size++;
          break;
        }
        if (values[slot] === v) break;
        slot = (slot + 1) & mask;
      }
    }
  }
}

/** Shared empty list: buckets point at it until their first value, saving an array each. */
export const NO_VALUES: readonly never[] = Object.freeze([]);

/** `NO_VALUES` as the type of the list a bucket field holds. */
export function noValues<T>(): T[] {
  return NO_VALUES as unknown as T[];
}

/**
 * Adds `value` to a distinct list that stops growing at `cap` entries, returning the list to
 * store (a fresh one the first time). Lists stay short, so a linear scan beats a Set.
 */
export function addDistinct<T extends string | number>(
  list: readonly T[],
  value: T,
  cap: number,
): T[] {
  if (list === NO_VALUES) {
    if (cap <= 0) return list as T[];
    // Two literals, two allocation sites: one shared by strings and numbers would make every
    // number list a list of boxed numbers (16 bytes each and a pointer, slower to scan).
    return typeof value === 'number' ? [value] : [value];
  }
  const mutable = list as T[];
  if (mutable.length < cap && !mutable.includes(value)) mutable.push(value);
  return mutable;
}

export interface HourBucket {
  readonly hour: number;
}

/** The bucket for `hour` in a list kept sorted by hour, created with `Make` when missing. */
export function bucketAt<B extends HourBucket>(
  buckets: B[],
  hour: number,
  Make: new (hour: number) => B,
): B {
  const n = buckets.length;
  const last = buckets[n - 1];
  if (last === undefined || last.hour < hour) {
    const created = new Make(hour);
    buckets.push(created);
    return created;
  }
  if (last.hour === hour) return last;
  let i = n - 2;
  for (; i >= 0; i--) {
    const b = buckets[i] as B;
    if (b.hour === hour) return b;
    if (b.hour < hour) break;
  }
  const created = new Make(hour);
  buckets.splice(i + 1, 0, created);
  return created;
}

/** Drops the buckets before `hour`; returns how many remain. */
export function evictBefore(buckets: HourBucket[], hour: number): number {
  let stale = 0;
  while (stale < buckets.length && (buckets[stale] as HourBucket).hour < hour) stale++;
  if (stale > 0) buckets.splice(0, stale);
  return buckets.length;
}

export interface ClockState {
  v: 1;
  maxSeen: number | null;
  evaluatedUntil: number | null;
}

/**
 * Watermark = max startedAt seen − allowed lateness. Windows end on UTC hour boundaries; the
 * windows ending at boundary E are evaluated once the watermark reaches E. A record is late when
 * its hour lies entirely before the earliest 24-hour window not yet evaluated, i.e. when it can
 * no longer change any result.
 */
export class EventTimeClock {
  maxSeen = Number.NEGATIVE_INFINITY;
  /** The last boundary (epoch ms) whose windows were evaluated. */
  evaluatedUntil = Number.NEGATIVE_INFINITY;
  /** Records in hours before this one are late. */
  firstOpenHour = Number.NEGATIVE_INFINITY;

  constructor(readonly allowedLatenessMs: number) {}

  /** The latest boundary the watermark has reached. */
  watermarkBoundary(): number {
    return Math.floor((this.maxSeen - this.allowedLatenessMs) / HOUR_MS) * HOUR_MS;
  }

  /**
   * Moves max-seen to `t` if later. Returns true when boundaries became due. The first
   * observation only starts the clock: nothing before it can be evaluated.
   */
  observe(t: number): boolean {
    if (t <= this.maxSeen) return false;
    this.maxSeen = t;
    if (this.evaluatedUntil === Number.NEGATIVE_INFINITY) {
      this.markEvaluated(this.watermarkBoundary());
      return false;
    }
    return this.watermarkBoundary() > this.evaluatedUntil;
  }

  /** The next boundary due for evaluation, or undefined when the watermark has not reached it. */
  nextDue(): number | undefined {
    const next = this.evaluatedUntil + HOUR_MS;
    return next <= this.watermarkBoundary() ? next : undefined;
  }

  markEvaluated(boundary: number): void {
    this.evaluatedUntil = boundary;
    this.firstOpenHour = boundary / HOUR_MS + 1 - WINDOW_HOURS;
  }

  /** Back to a clock that has seen nothing: the next observation starts it. */
  reset(): void {
    this.maxSeen = Number.NEGATIVE_INFINITY;
    this.evaluatedUntil = Number.NEGATIVE_INFINITY;
    this.firstOpenHour = Number.NEGATIVE_INFINITY;
  }

  export(): ClockState {
    return {
      v: 1,
      maxSeen: Number.isFinite(this.maxSeen) ? this.maxSeen : null,
      evaluatedUntil: Number.isFinite(this.evaluatedUntil) ? this.evaluatedUntil : null,
    };
  }

  import(state: unknown): void {
    if (typeof state !== 'object' || state === null) throw new Error('clock state: not an object');
    const s = state as Record<string, unknown>;
    if (s.v !== 1) throw new Error('clock state: unsupported version');
    const maxSeen = s.maxSeen;
    const evaluatedUntil = s.evaluatedUntil;
    if (maxSeen === null && evaluatedUntil === null) {
      this.reset();
      return;
    }
    if (
      typeof maxSeen !== 'number' ||
      typeof evaluatedUntil !== 'number' ||
      !Number.isFinite(maxSeen) ||
      !Number.isInteger(evaluatedUntil / HOUR_MS)
    ) {
      throw new Error('clock state: maxSeen and evaluatedUntil must be numbers on an hour');
    }
    this.maxSeen = maxSeen;
    this.markEvaluated(evaluatedUntil);
  }
}
