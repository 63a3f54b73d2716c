/**
 * What handing the watchlist to the scorer's stage threads costs. Prints figures; writes nothing.
 *
 *   node --expose-gc --import tsx load/watchlist-share-bench.ts [--listed 1000000] [--threads 3]
 *
 * The main thread builds its index from `--listed` numbers in pages of 50,000 rows (as the
 * scorer reads them from the database) and hands each page to `--threads` stage threads the
 * way the scorer does (numbers in shared tables, the rest as rows); the figures are the time
 * until every thread holds the whole list, the heap each thread spends on it, the main
 * thread's, the shared tables' size and the process's resident memory.
 */
import { parseArgs } from 'node:util';
import { startTsWorker } from '../src/platform/threads.js';
import { type IndicatorChange, WatchlistMatcher } from '../src/watchlist/matching/matcher.js';

const { values } = parseArgs({
  options: {
    listed: { type: 'string', default: '1000000' },
    threads: { type: 'string', default: '3' },
  },
});
const listed = Number(values.listed);
const threadCount = Number(values.threads);
const fmt = (n: number) => n.toLocaleString('en-US');
const mb = (b: number) => `${fmt(Math.round(b / 1e6))} MB`;
const gc = (globalThis as { gc?: () => void }).gc;
const PAGE = 50_000;
const validUntil = Date.now() + 365 * 86_400_000;

function page(from: number): IndicatorChange[] {
  const out: IndicatorChange[] = [];
  for (let i = from; i < Math.min(listed, from + PAGE); i++)
    out.push({
      id: `ind_${Buffer.from(String(i).padStart(12, '0')).toString('base64url')}`,
      type: 'msisdn',
      value: `+6689${String(i).padStart(8, '0')}`,
      category: 'scam_caller',
      status: 'active',
      validUntil,
    });
  return out;
}

const threads = await Promise.all(
  Array.from({ length: threadCount }, async () => {
    const w = startTsWorker(new URL('./lib/watchlist-thread.ts', import.meta.url));
    await new Promise((resolve) => w.once('online', resolve));
    return w;
  }),
);
gc?.();
const heap0 = process.memoryUsage();
const main = new WatchlistMatcher();
const t0 = performance.now();
const answers = threads.map(
  (w) => new Promise<{ heap: number; size: number }>((resolve) => w.once('message', resolve)),
);
for (let from = 0; from < listed; from += PAGE) {
  const rows = page(from);
  const changes = main.apply(rows);
  const last = from + PAGE >= listed;
  const tables = main.shared();
  for (const w of threads) w.postMessage({ t: 'watchlist', changes, tables, last });
}
const mainMs = performance.now() - t0;
const got = await Promise.all(answers);
const allMs = performance.now() - t0;
gc?.();
const heap1 = process.memoryUsage();
console.log(`listed: ${fmt(listed)} numbers, ${threadCount} stage threads`);
console.log(
  `  main thread's index built in ${fmt(Math.round(mainMs))} ms, heap ${mb(heap1.heapUsed - heap0.heapUsed)}`,
);
const shared = main.shared();
console.log(
  `  shared tables (outside every heap, held once): ${mb(shared.msisdn.buffer.byteLength + shared.imei.buffer.byteLength)}`,
);
console.log(`  every thread holding the list after ${fmt(Math.round(allMs))} ms`);
for (const [i, g] of got.entries())
  console.log(`  thread ${i}: ${fmt(g.size)} indicators, heap ${mb(g.heap)}`);
console.log(`  process resident: ${mb(heap1.rss)} (before: ${mb(heap0.rss)})`);
await Promise.all(threads.map((w) => w.terminate()));
