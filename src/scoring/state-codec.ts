/**
 * A compact binary form for window state: fixed-width numbers and length-prefixed UTF-8 strings
 * in one growing buffer. The scorer stores every touched line on each commit, so what it writes
 * is what Postgres stores as is: no JSON to build in JavaScript or to parse in the database.
 */

const NULL_STRING = 0xffff;
/** Strings up to this length are written by `shortString`. */
const SHORT_STRING = 48;

/**
 * Appends states to one buffer, each closed with `end()`; `take()` hands them over in one copy
 * with the offset where each ends, and starts over.
 */
export class StateWriter {
  private buf: Buffer;
  private pos = 0;
  private ends: number[] = [];

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** A string of at most 65,534 UTF-8 bytes, or null. */
  str(v: string | null): void {
    if (v === null) {
      this.u16(NULL_STRING);
      return;
    }
    this.room(2 + v.length * 3);
    const n =
      v.length <= SHORT_STRING ? this.shortString(v) : this.buf.write(v, this.pos + 2, 'utf8');
    if (n >= NULL_STRING) throw new Error('state string too long');
    this.buf.writeUInt16LE(n, this.pos);
    this.pos += 2 + n;
  }

  /**
   * Writes a short string after its length slot and returns its byte length: numbers, cell and
   * operator ids are ASCII, and a loop beats a native call for them; anything else goes through
   * `Buffer.write`.
   */
  private shortString(v: string): number {
    const buf = this.buf;
    const at = this.pos + 2;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) return buf.write(v, at, 'utf8');
      buf[at + i] = c;
    }
    return v.length;
  }

  strings(vs: readonly string[]): void {
    this.u16(vs.length);
    for (const v of vs) this.str(v);
  }

  /** A list of at most 65,535 numbers (hashes, as doubles). */
  f64s(vs: readonly number[]): void {
    this.u16(vs.length);
    this.room(vs.length * 8);
    for (const v of vs) {
      this.buf.writeDoubleLE(v, this.pos);
      this.pos += 8;
    }
  }

  /** Closes the state written since the previous `end()`. */
  end(): void {
    this.ends.push(this.pos);
  }

  /**
   * The states closed so far, back to back in one copy, and where each ends; the writer starts
   * over.
   */
  take(): { bytes: Buffer; ends: number[] } {
    const bytes = Buffer.from(this.buf.subarray(0, this.pos));
    const ends = this.ends;
    this.pos = 0;
    this.ends = [];
    return { bytes, ends };
  }
}

/** The states of `take()` as views into its bytes, one per state. */
export function splitStates({ bytes, ends }: { bytes: Buffer; ends: readonly number[] }): Buffer[] {
  let start = 0;
  return ends.map((end) => {
    const state = bytes.subarray(start, end);
    start = end;
    return state;
  });
}

/** Reads what a `StateWriter` wrote, failing on truncated input. */
export class StateReader {
  private pos = 0;
  private readonly buf: Buffer;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) throw new Error('state: truncated');
    this.pos += n;
    return at;
  }

  get done(): boolean {
    return this.pos === this.buf.length;
  }

  u8(): number {
    return this.buf[this.need(1)] as number;
  }

  u16(): number {
    return this.buf.readUInt16LE(this.need(2));
  }

  u32(): number {
    return this.buf.readUInt32LE(this.need(4));
  }

  f64(): number {
    return this.buf.readDoubleLE(this.need(8));
  }

  str(): string | null {
    const n = this.u16();
    if (n === NULL_STRING) return null;
    const at = this.need(n);
    return this.buf.toString('utf8', at, at + n);
  }

  f64s(): number[] {
    const n = this.u16();
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.f64();
    return out;
  }

  strings(): string[] {
    const n = this.u16();
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const s = this.str();
      if (s === null) throw new Error('state: null in a string list');
      out[i] = s;
    }
    return out;
  }
}
