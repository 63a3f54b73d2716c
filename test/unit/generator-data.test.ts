import { describe, expect, it } from 'vitest';
import { decodeCdr, encodeCdr } from '../../src/scoring/cdr.js';
import { generateTraffic } from '../../src/scoring/generator.js';

describe('generated data records', () => {
  const plain = generateTraffic({ lines: 200, hours: 26, seed: 9 });
  const withData = generateTraffic({ lines: 200, hours: 26, seed: 9, dataShare: 0.2 });
  const data = withData.records.filter((r) => r.type === 'data');

  it('are the asked share of the records, each a valid data record of a generated line', () => {
    expect(data.length / withData.records.length).toBeGreaterThan(0.18);
    expect(data.length / withData.records.length).toBeLessThan(0.22);
    expect(withData.labels.records).toBe(withData.records.length);
    const lines = new Set(plain.records.map((r) => r.msisdn));
    for (const r of data) {
      expect(lines.has(r.msisdn)).toBe(true);
      const decoded = decodeCdr(encodeCdr(r));
      expect(decoded.ok, JSON.stringify(r)).toBe(true);
      if (decoded.ok) expect(decoded.cdr).toMatchObject({ type: 'data', remoteIp: r.remoteIp });
    }
    expect(new Set(data.map((r) => r.recordId)).size).toBe(data.length);
    expect(data.some((r) => r.host !== '')).toBe(true);
    expect(data.some((r) => r.host === '')).toBe(true);
  });

  it('leave the voice and SMS records and the labels as they are without them', () => {
    expect(withData.records.filter((r) => r.type !== 'data')).toEqual(plain.records);
    expect({ ...withData.labels, records: 0 }).toEqual({ ...plain.labels, records: 0 });
  });
});
