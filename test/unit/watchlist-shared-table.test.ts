import { describe, expect, it } from 'vitest';
import { newId } from '../../src/platform/crypto.js';
import { hash53 } from '../../src/scoring/windows.js';
import { type IndicatorChange, WatchlistMatcher } from '../../src/watchlist/matching/matcher.js';
import { SharedNumberTable } from '../../src/watchlist/matching/shared-table.js';

const NOW = Date.parse('2026-11-25T10:00:00Z');
const LATER = NOW + 86_400_000;

function row(type: string, value: string, over: Partial<IndicatorChange> = {}): IndicatorChange {
  return {
    id: newId('ind'),
    type,
    value,
    category: 'scam_caller',
    status: 'active',
    validUntil: LATER,
    ...over,
  };
}

describe('SharedNumberTable', () => {
  it('holds numbers with their id, category and expiry, and tells apart values of other lengths', () => {
    let t = SharedNumberTable.create('msisdn', '+');
    const id = newId('ind');
    t = t.set('+85512345678', { id, type: 'msisdn', category: 'phishing', validUntil: LATER });
    expect(t.get('+85512345678')).toEqual({
      id,
      type: 'msisdn',
      category: 'phishing',
      validUntil: LATER,
    });
    expect(t.get('+85512345678', hash53('+85512345678'))?.id).toBe(id);
    expect(t.get('85512345678')).toBeUndefined();
    expect(t.get('+085512345678')).toBeUndefined();
    expect(t.get('+8551234567x')).toBeUndefined();
    expect(t.fits('+85512345678', 'ind_test1_abc', 'phishing')).toBe(false);
    expect(t.fits('+85512345678', id, 'no_such_category')).toBe(false);
    expect(t.fits('+1234567890123456', id, 'phishing')).toBe(false);
  });

  it('keeps every value, removed and listed again, across growing into new buffers', () => {
    let t = SharedNumberTable.create('imei', '');
    const first = t;
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) {
      ids.push(newId('ind'));
      t = t.set(String(i).padStart(15, '0'), {
        id: ids[i] as string,
        type: 'imei',
        category: 'sim_farm_device',
        validUntil: LATER,
      });
    }
    expect(t).not.toBe(first);
    expect(t.size).toBe(5000);
    for (let i = 0; i < 5000; i += 7) expect(t.get(String(i).padStart(15, '0'))?.id).toBe(ids[i]);
    t = t.set('000000000000007', undefined);
    expect(t.get('000000000000007')).toBeUndefined();
    expect(t.size).toBe(4999);
    t = t.set('000000000000007', {
      id: ids[7] as string,
      type: 'imei',
      category: 'other',
      validUntil: LATER,
    });
    expect(t.get('000000000000007')?.category).toBe('other');
    expect(t.size).toBe(5000);
  });

  it('lets every listed value through its filter and about one unlisted value in 25 at most', () => {
    let t = SharedNumberTable.create('msisdn', '+');
    const entry = { id: newId('ind'), type: 'msisdn', category: 'other', validUntil: LATER };
    const listed = (i: number) => `+6689${String(i).padStart(8, '0')}`;
    for (let i = 0; i < t.capacity; i++) t = t.set(listed(i), entry);
    for (let i = 0; i < t.capacity; i++) expect(t.mayHold(hash53(listed(i)))).toBe(true);
    let passed = 0;
    const tries = 100_000;
    for (let i = 0; i < tries; i++)
      if (t.mayHold(hash53(`+8551${String(i).padStart(8, '0')}`))) passed++;
    // Three bits in one word, 8 bits a listed value: about 4% when the table is full.
    expect(passed / tries).toBeLessThan(0.05);
    expect(passed).toBeGreaterThan(0);
  });
});

describe('WatchlistMatcher shared with a reader', () => {
  it('lets a reader see the writer’s numbers at once, its own rows once applied, and new buffers once attached', () => {
    const writer = new WatchlistMatcher();
    const reader = new WatchlistMatcher();
    reader.attach(writer.shared());
    const listed = row('msisdn', '+85512345678');
    const odd = row('msisdn', '+85599999999', { id: 'ind_from_elsewhere' });
    const server = row('ip', '198.51.100.7');
    const own = writer.apply([listed, odd, server]);
    // The shared number needs nothing more; the rest goes to the reader as rows.
    expect(own).toEqual([odd, server]);
    const before = reader.generation;
    expect(reader.msisdn('+85512345678', NOW)?.id).toBe(listed.id);
    expect(reader.msisdn('+85599999999', NOW)).toBeUndefined();
    reader.apply(own);
    expect(reader.generation).not.toBe(before);
    expect(reader.msisdn('+85599999999', NOW)?.id).toBe('ind_from_elsewhere');
    expect(reader.ip('198.51.100.7', NOW)?.id).toBe(server.id);

    // The odd row listed again under a regular id moves to the shared table; the reader drops its own.
    const moved = { ...odd, id: newId('ind') };
    const again = writer.apply([moved]);
    expect(again).toEqual([moved]);
    reader.apply(again);
    expect(reader.msisdn('+85599999999', NOW)?.id).toBe(moved.id);

    // Revoked in the writer: gone for the reader without a message.
    const gen = reader.generation;
    writer.apply([{ ...listed, status: 'revoked' }]);
    expect(reader.generation).not.toBe(gen);
    expect(reader.msisdn('+85512345678', NOW)).toBeUndefined();

    // Past the first buffer's room: the reader sees the new numbers once it attaches the new one.
    const many = Array.from({ length: 3000 }, (_, i) =>
      row('msisdn', `+6689${String(i).padStart(8, '0')}`),
    );
    expect(writer.apply(many)).toEqual([]);
    reader.attach(writer.shared());
    expect(reader.msisdn('+668900002999', NOW)?.id).toBe(many[2999]?.id);
    expect(reader.msisdn('+85599999999', NOW)?.id).toBe(moved.id);
    expect(reader.size).toBe(writer.size);
  });
});

describe('IPv4 ranges', () => {
  it('match dotted quads only, as isIPv4 reads them', () => {
    const m = new WatchlistMatcher();
    m.apply([row('ip', '10.1.0.0/16'), row('ip', '0.0.0.0/0')]);
    expect(m.ip('10.1.255.7', NOW)?.type).toBe('ip');
    expect(m.ip('10.1.255.7', NOW)?.id).not.toBe(m.ip('10.2.0.1', NOW)?.id);
    for (const notV4 of ['10.1.2', '10.1.2.3.4', '10.01.2.3', '10.1.2.256', '10..2.3', '10.1.2.3.'])
      expect(m.ip(notV4, NOW), notV4).toBeUndefined();
  });
});
