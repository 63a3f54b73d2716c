import { decodeCdr } from '../../src/scoring/cdr.js';
import type { ScoringEngine } from '../../src/scoring/engine.js';

/**
 * One record through decode and engine as the line stage takes it, its IMEI sighting into the
 * stream `i0` (the benchmarks' stand-in for the repartition topic and the IMEI stage).
 */
export function takeRecord(engine: ScoringEngine, stream: string, value: Buffer): void {
  const r = decodeCdr(value);
  if (!r.ok) return;
  if (engine.ingest(stream, r.cdr, null) !== 'accepted' || !engine.newSighting(stream, r.cdr))
    return;
  engine.ingestImei('i0', {
    imei: r.cdr.imei,
    imsi: r.cdr.imsi,
    msisdn: r.cdr.msisdn,
    operatorId: null,
    startedAt: r.cdr.startedAt,
  });
}
