/**
 * A benchmark worker: a scorer stage thread's watchlist and nothing else. It takes the watchlist
 * messages the scorer's main thread sends its stage threads, applies them as a stage thread
 * does, and answers each with its heap after a GC.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from '../../src/scoring/stage-protocol.js';
import { WatchlistMatcher } from '../../src/watchlist/matching/matcher.js';

const gc = (globalThis as { gc?: () => void }).gc;
const matcher = new WatchlistMatcher();
parentPort?.on('message', (m: Extract<ToWorker, { t: 'watchlist' }> & { last?: boolean }) => {
  matcher.attach(m.tables);
  matcher.apply(m.changes);
  if (!m.last) return;
  gc?.();
  parentPort?.postMessage({ heap: getHeapStatistics().used_heap_size, size: matcher.size });
});
