/**
 * The scorer's in-memory index of listed indicators it matches traffic against: numbers and
 * devices in hash tables of canonical strings, IP addresses exact and by CIDR range (one table
 * per prefix length), domains checked for a host and each of its parents. Holds only indicators
 * that were active when last read; expiry is checked at match time against the server's time.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { SharedNumberTable, type SharedTableHandle } from './shared-table.js';

/** The shared part of a matcher, as the scorer's main thread hands it to its stage threads. */
export interface SharedWatchlist {
  msisdn: SharedTableHandle;
  imei: SharedTableHandle;
  /** One word: the count of the writer's `apply` calls. */
  applied: SharedArrayBuffer;
}

/** What the scorer keeps of an indicator row (plain data: it crosses to stage threads). */
export interface IndicatorChange {
  id: string;
  type: string;
  value: string;
  category: string;
  status: string;
  /** Epoch milliseconds. */
  validUntil: number;
}

export interface ListedEntry {
  id: string;
  type: string;
  category: string;
  validUntil: number;
}

function ipv4Number(ip: string): number {
  let n = 0;
  for (const part of ip.split('.')) n = n * 256 + Number(part);
  return n;
}

function ipv6BigInt(ip: string): bigint {
  let text = ip;
  const dotted = text.lastIndexOf(':');
  const tail = text.slice(dotted + 1);
  if (isIPv4(tail)) {
    const n = ipv4Number(tail);
    text = `${text.slice(0, dotted + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(Number.parseInt(g, 16));
  return v;
}

/**
 * The number of a dotted-quad IPv4 address (what `isIPv4` accepts: no leading zeros), else -1.
 * One pass, no regular expression and no array: a data record's address is read on every record.
 */
function ipv4Parse(ip: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9 || (digits === 1 && part === 0) || digits === 3) return -1;
    digits++;
    part = part * 10 + d;
    if (part > 255) return -1;
  }
  return digits === 0 || dots !== 3 ? -1 : n * 256 + part;
}

/**
 * The key of `ip` within a range of `len` leading bits, or undefined when it is no address or
 * `len` is longer than its family's: for IPv4 the number of its leading bits (no string is made
 * on the data records' path), for IPv6 a string of them. `v4` is `ipv4Parse(ip)`.
 */
function rangeKey(ip: string, len: number, v4 = ipv4Parse(ip)): number | string | undefined {
  if (v4 >= 0) return len > 32 ? undefined : Math.floor(v4 / 2 ** (32 - len));
  if (isIPv6(ip)) {
    if (len > 128) return undefined;
    return `6:${(ipv6BigInt(ip) >> BigInt(128 - len)).toString(36)}`;
  }
  return undefined;
}

/** The Luhn check digit of 14 digits. */
function luhnDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    let d = digits.charCodeAt(i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * The canonical 15-digit IMEI of what a record carries: 15 digits as they are, 14 (no check
 * digit) or 16 (an IMEISV) with the Luhn digit computed; undefined for anything else.
 */
export function imeiKey(imei: string): string | undefined {
  const n = imei.length;
  if (n === 15) return imei;
  if ((n !== 14 && n !== 16) || !allDigits(imei)) return undefined;
  const body = imei.slice(0, 14);
  return `${body}${luhnDigit(body)}`;
}

/** Bits of the pre-check per key held: one hash, so about 3% of absent keys pass it. */
const FILTER_BITS_PER_KEY = 32;

function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A hash table of listed values behind a one-hash bit filter a few megabytes large: nearly
 * every record's value is not listed, and the filter answers that from one word, where the table
 * (millions of entries) costs several cache misses. Removed keys leave their bit set until the
 * filter is rebuilt (on growth): a stale bit only sends a lookup on to the table.
 */
class FilteredTable {
  private readonly table = new Map<string, ListedEntry>();
  private bits = new Uint32Array(1024);
  private mask = 1024 * 32 - 1;

  get size(): number {
    return this.table.size;
  }

  has(key: string): boolean {
    return this.table.has(key);
  }

  get(key: string): ListedEntry | undefined {
    const h = keyHash(key) & this.mask;
    if (((this.bits[h >>> 5] as number) & (1 << (h & 31))) === 0) return undefined;
    return this.table.get(key);
  }

  set(key: string, entry: ListedEntry | undefined): void {
    if (entry === undefined) {
      this.table.delete(key);
      return;
    }
    this.table.set(key, entry);
    if (this.table.size * FILTER_BITS_PER_KEY > this.bits.length * 32) this.rebuild();
    else this.mark(key);
  }

  private mark(key: string): void {
    const h = keyHash(key) & this.mask;
    this.bits[h >>> 5] = (this.bits[h >>> 5] as number) | (1 << (h & 31));
  }

  private rebuild(): void {
    let words = this.bits.length;
    while (this.table.size * FILTER_BITS_PER_KEY > words * 32) words *= 2;
    this.bits = new Uint32Array(words);
    this.mask = words * 32 - 1;
    for (const key of this.table.keys()) this.mark(key);
  }
}

/**
 * Numbers and IMEIs live in shared tables (`shared-table.ts`) that the scorer's main thread
 * writes and its stage threads only read (`attach`); a row the shared table cannot hold (an id
 * of another shape, a value that is no number) goes to a table of this thread's own, and such
 * rows, with addresses and domains, are what `apply` answers for the stage threads to apply.
 */
export class WatchlistMatcher {
  private msisdnTable = SharedNumberTable.create('msisdn', '+');
  private imeiTable = SharedNumberTable.create('imei', '');
  private applied = new Int32Array(new SharedArrayBuffer(4));
  /** Whether the shared tables are another thread's (this matcher only reads them). */
  private reader = false;
  /** Changes of this thread's own: applied rows, tables attached. */
  private localChanges = 0;
  private readonly msisdns = new FilteredTable();
  private readonly imeis = new FilteredTable();
  private readonly ips = new Map<string, ListedEntry>();
  private readonly domains = new Map<string, ListedEntry>();
  /** Per prefix length, the ranges listed, by the key of their leading bits. */
  private readonly ranges = new Map<number, Map<number | string, ListedEntry>>();
  /** Prefix lengths in use, longest first (the most specific range answers). */
  private rangeLengths: number[] = [];
  /** Changes with every `apply` (here or by the writer): an answer remembered before may be stale. */
  get generation(): number {
    return Atomics.load(this.applied, 0) + this.localChanges;
  }

  /** The shared tables, for a stage thread to `attach` (buffers are shared, not copied). */
  shared(): SharedWatchlist {
    return {
      msisdn: this.msisdnTable.handle,
      imei: this.imeiTable.handle,
      applied: this.applied.buffer as SharedArrayBuffer,
    };
  }

  /** Reads the shared tables of the writer's matcher from now on (again when they grew). */
  attach(shared: SharedWatchlist): void {
    this.reader = true;
    if (this.msisdnTable.handle.buffer !== shared.msisdn.buffer)
      this.msisdnTable = new SharedNumberTable(shared.msisdn);
    if (this.imeiTable.handle.buffer !== shared.imei.buffer)
      this.imeiTable = new SharedNumberTable(shared.imei);
    if (this.applied.buffer !== shared.applied) this.applied = new Int32Array(shared.applied);
    this.localChanges++;
  }

  get size(): number {
    let n = this.msisdnTable.size + this.imeiTable.size;
    n += this.msisdns.size + this.imeis.size + this.ips.size + this.domains.size;
    for (const r of this.ranges.values()) n += r.size;
    return n;
  }

  /**
   * Applies changed rows: an active one is (re)listed, any other status removes it. Answers the
   * rows a reader of the shared tables must apply too (those that changed no shared table).
   */
  apply(changes: readonly IndicatorChange[]): IndicatorChange[] {
    if (this.reader) this.localChanges++;
    else Atomics.add(this.applied, 0, 1);
    const own: IndicatorChange[] = [];
    for (const c of changes) {
      const entry: ListedEntry | undefined =
        c.status === 'active'
          ? { id: c.id, type: c.type, category: c.category, validUntil: c.validUntil }
          : undefined;
      switch (c.type) {
        case 'msisdn': {
          const place = placeNumber(this.msisdnTable, this.msisdns, c, entry);
          if (place !== 'shared') own.push(c);
          if (place !== 'own' && !this.reader)
            this.msisdnTable = this.msisdnTable.set(c.value, entry);
          break;
        }
        case 'imei': {
          const place = placeNumber(this.imeiTable, this.imeis, c, entry);
          if (place !== 'shared') own.push(c);
          if (place !== 'own' && !this.reader) this.imeiTable = this.imeiTable.set(c.value, entry);
          break;
        }
        case 'domain':
          set(this.domains, c.value, entry);
          own.push(c);
          break;
        case 'ip':
          this.applyIp(c.value, entry);
          own.push(c);
          break;
      }
    }
    return own;
  }

  private applyIp(value: string, entry: ListedEntry | undefined): void {
    const slash = value.indexOf('/');
    if (slash < 0) {
      set(this.ips, value, entry);
      return;
    }
    const len = Number(value.slice(slash + 1));
    const key = rangeKey(value.slice(0, slash), len);
    if (key === undefined || !Number.isInteger(len)) return;
    let table = this.ranges.get(len);
    if (table === undefined) {
      if (entry === undefined) return;
      table = new Map();
      this.ranges.set(len, table);
    }
    set(table, key, entry);
    if (table.size === 0) this.ranges.delete(len);
    this.rangeLengths = [...this.ranges.keys()].sort((a, b) => b - a);
  }

  /** `hash` is `hash53(value)` when the caller has it already. */
  msisdn(value: string, now: number, hash?: number): ListedEntry | undefined {
    return live(
      this.msisdnTable.get(value, hash) ??
        (this.msisdns.size === 0 ? undefined : this.msisdns.get(value)),
      now,
    );
  }

  imei(value: string, now: number): ListedEntry | undefined {
    return live(
      this.imeiTable.get(value) ?? (this.imeis.size === 0 ? undefined : this.imeis.get(value)),
      now,
    );
  }

  /** An exact listing of `ip`, else the most specific listed range holding it. */
  ip(value: string, now: number): ListedEntry | undefined {
    const exact = this.ips.size === 0 ? undefined : live(this.ips.get(value), now);
    if (exact !== undefined || this.rangeLengths.length === 0) return exact;
    const v4 = ipv4Parse(value);
    for (const len of this.rangeLengths) {
      const key = rangeKey(value, len, v4);
      // A length only the other family has (an IPv6 /48 for an IPv4 address).
      if (key === undefined) continue;
      const hit = live(this.ranges.get(len)?.get(key), now);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** `host` itself listed, else its closest listed parent domain. */
  domain(host: string, now: number): ListedEntry | undefined {
    if (this.domains.size === 0) return undefined;
    let name = host.toLowerCase();
    if (name.endsWith('.')) name = name.slice(0, -1);
    for (;;) {
      const hit = live(this.domains.get(name), now);
      if (hit !== undefined) return hit;
      const dot = name.indexOf('.');
      if (dot < 0) return undefined;
      name = name.slice(dot + 1);
    }
  }
}

/**
 * Where a number's row goes: to this thread's own table when the shared one cannot hold it
 * (`own`: readers apply it too), else to the shared one, leaving the own table if it was there
 * (`left`: readers drop theirs too) or not (`shared`: readers need nothing).
 */
function placeNumber(
  table: SharedNumberTable,
  own: FilteredTable,
  c: IndicatorChange,
  entry: ListedEntry | undefined,
): 'own' | 'left' | 'shared' {
  if (entry !== undefined && !table.fits(c.value, c.id, c.category)) {
    own.set(c.value, entry);
    return 'own';
  }
  if (!own.has(c.value)) return 'shared';
  own.set(c.value, undefined);
  return 'left';
}

function set<K>(map: Map<K, ListedEntry>, key: K, entry: ListedEntry | undefined): void {
  if (entry === undefined) map.delete(key);
  else map.set(key, entry);
}

function live(entry: ListedEntry | undefined, now: number): ListedEntry | undefined {
  return entry !== undefined && entry.validUntil > now ? entry : undefined;
}
