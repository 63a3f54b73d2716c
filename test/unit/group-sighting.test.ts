import { describe, expect, it } from 'vitest';
import {
  decodeSighting,
  encodeSighting,
  encodeSightingJson,
  type GroupSighting,
  URL,
} from '../../src/scoring/group/sighting.js';
import { hash53 } from '../../src/scoring/windows.js';

const sighting: GroupSighting = {
  key: 'sms-block:+66812300',
  msisdn: '+66812345678',
  operatorId: '7d3f0c2e-5b1a-4c8e-9f00-123456789abc',
  personKey: 'person-ผู้ใช้',
  record: hash53('r-1'),
  at: Date.parse('2026-11-25T02:00:00Z'),
  flags: URL | 1,
  target: hash53('+66812300123'),
  block: -1,
  imei: '356938035643809',
};

describe('group sightings on the repartition topic', () => {
  it('travel in the compact encoding and come back whole, nulls and UTF-8 included', () => {
    const bytes = encodeSighting(sighting);
    expect(bytes[0]).toBe(1);
    expect(bytes.length).toBeLessThan(Buffer.byteLength(JSON.stringify(sighting)));
    expect(decodeSighting(sighting.key, bytes)).toEqual(sighting);
    const anonymous = { ...sighting, operatorId: null, personKey: null, imei: '' };
    expect(decodeSighting(anonymous.key, encodeSighting(anonymous))).toEqual(anonymous);
  });

  it('still read the JSON arrays older instances produce (rolling deploy)', () => {
    const s = sighting;
    const old = JSON.stringify([
      s.msisdn,
      s.operatorId,
      s.personKey,
      s.record,
      s.at,
      s.flags,
      s.target,
      s.block,
      s.imei,
    ]);
    expect(decodeSighting(s.key, Buffer.from(old))).toEqual(s);
    // And write them while such instances still run (KAFKA_GROUP_ENCODING=json).
    expect(encodeSightingJson(s)).toBe(old);
  });

  it('refuse what is neither, truncated or not', () => {
    const bytes = encodeSighting(sighting);
    expect(decodeSighting(sighting.key, bytes.subarray(0, bytes.length - 1))).toBe(
      'value: not a group sighting',
    );
    expect(decodeSighting(sighting.key, Buffer.concat([bytes, Buffer.from([0])]))).toBe(
      'value: not a group sighting',
    );
    expect(decodeSighting(sighting.key, Buffer.from('{"a":1}'))).toBe(
      'value: not a group sighting',
    );
    expect(decodeSighting(sighting.key, Buffer.from('nonsense'))).toBe('value: not valid JSON');
    expect(decodeSighting('', bytes)).toBe('key: missing group key');
  });
});
