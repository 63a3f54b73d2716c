/**
 * A benchmark worker: a stage thread's work without its database. It takes batches packed the
 * way the scorer's consuming thread packs them and runs decode and engine on them (IMEI
 * sightings into a stream of its own, changes exported every 50,000 records), as the
 * in-process "decode + engine" figure does on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { ScoringEngine } from '../../src/scoring/engine.js';
import { type PackedBatch, unpack } from '../../src/scoring/stage-protocol.js';
import { takeRecord } from './engine-step.js';

const engine = new ScoringEngine();
let sinceExport = 0;
parentPort?.on('message', (b: PackedBatch & { id: number }) => {
  for (const m of unpack(b)) if (m.value !== null) takeRecord(engine, `p${m.partition}`, m.value);
  sinceExport += b.partitions.length;
  if (sinceExport >= 50_000) {
    sinceExport = 0;
    engine.advance();
    for (const s of engine.streamNames()) engine.exportChanges(s);
  }
  parentPort?.postMessage({ id: b.id, taken: engine.stats });
});
parentPort?.postMessage({ ready: true });
