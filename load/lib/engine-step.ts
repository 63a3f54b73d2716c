import { decodeCdr } from '../../src/scoring/cdr.js';
import type { ScoringEngine } from '../../src/scoring/engine.js';
import type { GroupEngine } from '../../src/scoring/group/engine.js';
import {
  decodeSighting,
  encodeSighting,
  type GroupSighting,
  groupSightings,
} from '../../src/scoring/group/sighting.js';

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

const sightings: GroupSighting[] = [];

/**
 * `takeRecord`, then the record's group sightings as the line stage produces them (encoded for
 * the group topic) and the group stage takes them (decoded, into `group`'s stream `g0`).
 */
export function takeRecordWithGroups(
  engine: ScoringEngine,
  group: GroupEngine,
  stream: string,
  value: Buffer,
): void {
  const r = decodeCdr(value);
  if (!r.ok) return;
  const cdr = r.cdr;
  if (engine.ingest(stream, cdr, null) !== 'accepted') return;
  if (cdr.type !== 'data') {
    sightings.length = 0;
    groupSightings(cdr, null, engine.personKeyOf(stream, cdr.msisdn), engine.thresholds, sightings);
    for (const g of sightings) {
      const s = decodeSighting(g.key, encodeSighting(g));
      if (typeof s !== 'string') group.ingest('g0', s);
    }
  }
  if (!engine.newSighting(stream, cdr)) return;
  engine.ingestImei('i0', {
    imei: cdr.imei,
    imsi: cdr.imsi,
    msisdn: cdr.msisdn,
    operatorId: null,
    startedAt: cdr.startedAt,
  });
}
