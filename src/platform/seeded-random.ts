/**
 * mulberry32: a small, fast generator of numbers in [0, 1), the same sequence for the same seed.
 * For synthetic traffic and property tests; never for anything secret (see `crypto.ts`).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Draws built on one generator: each call takes its numbers from `rand`, in order. */
export function seededDraws(rand: () => number) {
  return {
    /** A whole number from `lo` to `hi`, both included. */
    int: (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T,
    /** `n` decimal digits. */
    digits: (n: number) => {
      let s = '';
      for (let i = 0; i < n; i++) s += String(Math.floor(rand() * 10));
      return s;
    },
    /** Shuffles `xs` in place (Fisher-Yates) and returns it. */
    shuffle: <T>(xs: T[]): T[] => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
      }
      return xs;
    },
  };
}
