/**
 * Listed numbers (phone numbers, IMEIs) in one SharedArrayBuffer: the scorer's main thread
 * writes it, every stage thread reads the same memory, so a list of ten million numbers is held
 * once and a stage thread needs no copy of it at start.
 *
 * Layout: a header, then per entry (dense, in insertion order) the number, its length, its
 * expiry, its category and its indicator id packed in 12 bytes; an open-addressing table of
 * entry numbers (at most half full); and a blocked bit filter that answers nearly every unlisted
 * value (most of traffic) from one word: 8 bits an entry, a value's three bits in one 32-bit
 * word, so a million numbers need 1 MB (within a core's L2 beside the scorer's own state) and
 * 1-4.5% of unlisted values (as the table fills) pass on to the table. The filter is indexed by
 * `hash53` of the value, which the scorer already computes for a record's other party.
 *
 * One writer; readers check a sequence number around each lookup (a seqlock) and look again
 * when a write ran meanwhile. A removed value keeps its entry, inactive, until the table grows
 * into a new buffer (the writer's `set` answers the table to use from then on).
 */
import { hash53 } from '../../scoring/windows.js';
import { CATEGORIES, type Category } from '../contract.js';
import type { ListedEntry } from './matcher.js';

const ID_PREFIX = 'ind_';
/** `ind_` and 16 base64url characters: 12 bytes. */
const ID_BYTES = 12;
const HEADER_BYTES = 64;
/** Header words: the sequence number (odd while writing), entries used, entries active. */
const SEQ = 0;
const USED = 1;
const ACTIVE = 2;
const MIN_CAPACITY = 1024;
/** Entries of capacity per filter word (8 bits an entry). */
const ENTRIES_PER_FILTER_WORD = 4;
/** Bytes per entry of capacity: number, expiry, two slots, filter, hash, id, category, length. */
const ENTRY_BYTES = 8 + 8 + 8 + 4 / ENTRIES_PER_FILTER_WORD + 4 + ID_BYTES + 1 + 1;

/** The indicator id packed into 12 bytes, or undefined when it has another shape. */
function packId(id: string): Buffer | undefined {
  if (id.length !== ID_PREFIX.length + 16 || !id.startsWith(ID_PREFIX)) return undefined;
  const bytes = Buffer.from(id.slice(ID_PREFIX.length), 'base64url');
  if (bytes.length !== ID_BYTES || `${ID_PREFIX}${bytes.toString('base64url')}` !== id)
    return undefined;
  return bytes;
}

/**
 * The digits of `value` as a number, for a table whose values start with `prefix` ('+' or ''):
 * NaN when it has another shape. With its length, the number tells values apart.
 */
function numberOf(value: string, prefix: string): number {
  const n = value.length;
  const from = prefix.length;
  if (n <= from || n - from > 15 || (from > 0 && value[0] !== prefix)) return Number.NaN;
  let v = 0;
  for (let i = from; i < n; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

function slotHash(key: number): number {
  let h = (key >>> 0) ^ Math.imul(Math.floor(key / 4_294_967_296), 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The filter hash of a value of hash53 `h`: its low bits choose the word. */
function filterHash(h: number): number {
  const x = Math.imul((h >>> 0) ^ Math.floor(h / 4_294_967_296), 0x9e3779b1);
  return (x ^ (x >>> 15)) >>> 0;
}

/** The three bits a value of filter hash `f` sets in its word (from all of `f`'s bits). */
function filterBits(f: number): number {
  const y = Math.imul(f ^ (f >>> 16), 0x85ebca6b);
  return (1 << (y >>> 27)) | (1 << ((y >>> 22) & 31)) | (1 << ((y >>> 17) & 31));
}

/** What a table is made of, to hand to another thread (the buffer is shared, not copied). */
export interface SharedTableHandle {
  buffer: SharedArrayBuffer;
  type: string;
  prefix: string;
}

export class SharedNumberTable {
  readonly capacity: number;
  private readonly header: Int32Array;
  private readonly keys: Float64Array;
  private readonly validUntil: Float64Array;
  private readonly slots: Int32Array;
  private readonly filter: Uint32Array;
  /** Per entry, its filter hash (moved as is when the table grows). */
  private readonly hashes: Uint32Array;
  private readonly ids: Uint8Array;
  private readonly categories: Uint8Array;
  private readonly lengths: Uint8Array;
  private readonly slotMask: number;
  private readonly filterMask: number;

  /** The table in `handle`'s buffer (made by `create`, maybe on another thread). */
  constructor(readonly handle: SharedTableHandle) {
    const cap = (handle.buffer.byteLength - HEADER_BYTES) / ENTRY_BYTES;
    this.capacity = cap;
    const b = handle.buffer;
    let at = HEADER_BYTES;
    const take = <T>(make: (offset: number) => T, bytes: number): T => {
      const view = make(at);
      at += bytes;
      return view;
    };
    this.header = new Int32Array(b, 0, 4);
    this.keys = take((o) => new Float64Array(b, o, cap), 8 * cap);
    this.validUntil = take((o) => new Float64Array(b, o, cap), 8 * cap);
    this.slots = take((o) => new Int32Array(b, o, 2 * cap), 8 * cap);
    const words = cap / ENTRIES_PER_FILTER_WORD;
    this.filter = take((o) => new Uint32Array(b, o, words), 4 * words);
    this.hashes = take((o) => new Uint32Array(b, o, cap), 4 * cap);
    this.ids = take((o) => new Uint8Array(b, o, ID_BYTES * cap), ID_BYTES * cap);
    this.categories = take((o) => new Uint8Array(b, o, cap), cap);
    this.lengths = take((o) => new Uint8Array(b, o, cap), cap);
    this.slotMask = 2 * cap - 1;
    this.filterMask = words - 1;
  }

  /** An empty table of `type` values starting with `prefix`, room for `entries` at least. */
  static create(type: string, prefix: string, entries = 0): SharedNumberTable {
    let cap = MIN_CAPACITY;
    while (cap < entries) cap *= 2;
    const buffer = new SharedArrayBuffer(HEADER_BYTES + ENTRY_BYTES * cap);
    return new SharedNumberTable({ buffer, type, prefix });
  }

  /** Values listed and active. */
  get size(): number {
    return Atomics.load(this.header, ACTIVE);
  }

  /** Whether `value` has the shape this table holds and `id` and `category` fit in it. */
  fits(value: string, id: string, category: string): boolean {
    return (
      !Number.isNaN(numberOf(value, this.handle.prefix)) &&
      packId(id) !== undefined &&
      CATEGORIES.includes(category as Category)
    );
  }

  /** False when no listed value has hash53 `h`; true for listed ones and 1-4.5% of others. */
  mayHold(h: number): boolean {
    const f = filterHash(h);
    const bits = filterBits(f);
    return ((this.filter[f & this.filterMask] as number) & bits) === bits;
  }

  /** The entry of `value`, listed or not; `h` is `hash53(value)`. */
  get(value: string, h = hash53(value)): ListedEntry | undefined {
    if (!this.mayHold(h)) return undefined;
    const key = numberOf(value, this.handle.prefix);
    if (Number.isNaN(key)) return undefined;
    for (;;) {
      const seq = Atomics.load(this.header, SEQ);
      if ((seq & 1) === 0) {
        const e = this.find(key, value.length);
        const found = e < 0 ? undefined : this.entry(e);
        if (Atomics.load(this.header, SEQ) === seq) return found;
      }
    }
  }

  /** The entry index of `key`, or -1. */
  private find(key: number, length: number): number {
    let i = slotHash(key) & this.slotMask;
    for (;;) {
      const s = this.slots[i] as number;
      if (s === 0) return -1;
      const e = s - 1;
      if (this.keys[e] === key && this.lengths[e] === length) return e;
      i = (i + 1) & this.slotMask;
    }
  }

  private entry(e: number): ListedEntry | undefined {
    const validUntil = this.validUntil[e] as number;
    if (validUntil === Number.NEGATIVE_INFINITY) return undefined;
    const at = e * ID_BYTES;
    const id = Buffer.from(this.ids.buffer, this.ids.byteOffset + at, ID_BYTES);
    return {
      id: `${ID_PREFIX}${id.toString('base64url')}`,
      type: this.handle.type,
      category: CATEGORIES[this.categories[e] as number] as string,
      validUntil,
    };
  }

  /**
   * Lists `value` (or, with no entry, removes it); the value, id and category must `fit`. Answers
   * the table to use from now on: this one, or a larger copy when this one is full.
   */
  set(value: string, entry: ListedEntry | undefined): SharedNumberTable {
    const key = numberOf(value, this.handle.prefix);
    const found = this.find(key, value.length);
    if (entry === undefined) {
      if (found >= 0 && this.validUntil[found] !== Number.NEGATIVE_INFINITY) {
        this.write(() => {
          this.validUntil[found] = Number.NEGATIVE_INFINITY;
          this.header[ACTIVE] = (this.header[ACTIVE] as number) - 1;
        });
      }
      return this;
    }
    const id = packId(entry.id) as Buffer;
    const category = CATEGORIES.indexOf(entry.category as Category);
    if (found < 0)
      return this.add(key, value.length, filterHash(hash53(value)), id, category, entry.validUntil);
    this.write(() => {
      if (this.validUntil[found] === Number.NEGATIVE_INFINITY)
        this.header[ACTIVE] = (this.header[ACTIVE] as number) + 1;
      this.fill(found, id, category, entry.validUntil);
    });
    return this;
  }

  /** Adds a new entry; answers the table it is in (a larger one when this one was full). */
  private add(
    key: number,
    length: number,
    hash: number,
    id: Uint8Array,
    category: number,
    validUntil: number,
  ): SharedNumberTable {
    const used = this.header[USED] as number;
    if (used === this.capacity)
      return this.grown().add(key, length, hash, id, category, validUntil);
    this.write(() => {
      this.keys[used] = key;
      this.lengths[used] = length;
      this.hashes[used] = hash;
      this.fill(used, id, category, validUntil);
      let i = slotHash(key) & this.slotMask;
      while (this.slots[i] !== 0) i = (i + 1) & this.slotMask;
      this.slots[i] = used + 1;
      const w = hash & this.filterMask;
      this.filter[w] = (this.filter[w] as number) | filterBits(hash);
      this.header[USED] = used + 1;
      this.header[ACTIVE] = (this.header[ACTIVE] as number) + 1;
    });
    return this;
  }

  private fill(e: number, id: Uint8Array, category: number, validUntil: number): void {
    this.ids.set(id, e * ID_BYTES);
    this.categories[e] = category;
    this.validUntil[e] = validUntil;
  }

  /** Runs a change between two steps of the sequence number, so readers never use it half made. */
  private write(change: () => void): void {
    Atomics.add(this.header, SEQ, 1);
    change();
    Atomics.add(this.header, SEQ, 1);
  }

  /** A copy with twice the room, holding the active entries. */
  private grown(): SharedNumberTable {
    let next = SharedNumberTable.create(this.handle.type, this.handle.prefix, 2 * this.capacity);
    const used = this.header[USED] as number;
    for (let e = 0; e < used; e++) {
      const validUntil = this.validUntil[e] as number;
      if (validUntil === Number.NEGATIVE_INFINITY) continue;
      next = next.add(
        this.keys[e] as number,
        this.lengths[e] as number,
        this.hashes[e] as number,
        this.ids.subarray(e * ID_BYTES, (e + 1) * ID_BYTES),
        this.categories[e] as number,
        validUntil,
      );
    }
    return next;
  }
}
