import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running a TypeScript module: the thread registers tsx's loader first, as
 * `node --import tsx` does for the main thread (worker threads do not inherit it on Node 20).
 */
export function startTsWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  return new Worker(
    `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`,
    { ...options, eval: true },
  );
}
