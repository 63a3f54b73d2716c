import { describe, expect, it } from 'vitest';
import { decodeCdr, encodeCdr } from '../../src/scoring/cdr.js';
import { ScoringEngine } from '../../src/scoring/engine.js';
import {
  type IndicatorChange,
  imeiKey,
  WatchlistMatcher,
} from '../../src/watchlist/matching/matcher.js';
import { cdr } from '../support/cdrs.js';

const NOW = Date.parse('2026-11-25T10:00:00Z');
const LATER = NOW + 86_400_000;

function row(id: string, type: string, value: string, over: Partial<IndicatorChange> = {}) {
  return { id, type, value, category: 'other', status: 'active', validUntil: LATER, ...over };
}

describe('WatchlistMatcher', () => {
  it('matches numbers and devices, and forgets one whose row is no longer active', () => {
    const m = new WatchlistMatcher();
    m.apply([row('a', 'msisdn', '+85512345678'), row('b', 'imei', '490154203237518')]);
    expect(m.msisdn('+85512345678', NOW)?.id).toBe('a');
    expect(m.msisdn('+85512345679', NOW)).toBeUndefined();
    expect(m.imei('490154203237518', NOW)?.id).toBe('b');
    m.apply([row('a', 'msisdn', '+85512345678', { status: 'suspended' })]);
    expect(m.msisdn('+85512345678', NOW)).toBeUndefined();
    expect(m.size).toBe(1);
  });

  it('checks expiry at match time', () => {
    const m = new WatchlistMatcher();
    m.apply([row('a', 'msisdn', '+85512345678', { validUntil: NOW + 1000 })]);
    expect(m.msisdn('+85512345678', NOW)?.id).toBe('a');
    expect(m.msisdn('+85512345678', NOW + 1000)).toBeUndefined();
  });

  it('keeps every value across the filter growing past a hundred thousand', () => {
    const m = new WatchlistMatcher();
    const rows = Array.from({ length: 100_000 }, (_, i) =>
      row(`m${i}`, 'msisdn', `+6689${String(i).padStart(8, '0')}`),
    );
    m.apply(rows);
    for (let i = 0; i < 100_000; i += 997)
      expect(m.msisdn(`+6689${String(i).padStart(8, '0')}`, NOW)?.id).toBe(`m${i}`);
    expect(m.msisdn('+66890100000', NOW)).toBeUndefined();
  });

  it('matches addresses exactly and by the most specific range, IPv4 and IPv6', () => {
    const m = new WatchlistMatcher();
    m.apply([
      row('x', 'ip', '198.51.100.7'),
      row('r8', 'ip', '10.0.0.0/8'),
      row('r24', 'ip', '10.1.2.0/24'),
      row('v6', 'ip', '2001:db8:bad::/48'),
      row('all', 'ip', '192.0.2.0/32'),
    ]);
    expect(m.ip('198.51.100.7', NOW)?.id).toBe('x');
    expect(m.ip('198.51.100.8', NOW)).toBeUndefined();
    expect(m.ip('10.1.2.200', NOW)?.id).toBe('r24');
    expect(m.ip('10.1.3.1', NOW)?.id).toBe('r8');
    expect(m.ip('11.0.0.1', NOW)).toBeUndefined();
    expect(m.ip('2001:db8:bad:ffff::1', NOW)?.id).toBe('v6');
    expect(m.ip('2001:db8:bae::1', NOW)).toBeUndefined();
    expect(m.ip('192.0.2.0', NOW)?.id).toBe('all');
    m.apply([row('r24', 'ip', '10.1.2.0/24', { status: 'revoked' })]);
    expect(m.ip('10.1.2.200', NOW)?.id).toBe('r8');
  });

  it('keeps IPv4 and IPv6 ranges of one length apart, and /0 holds its whole family', () => {
    const m = new WatchlistMatcher();
    m.apply([
      row('v4', 'ip', '10.1.0.0/16'),
      row('v6', 'ip', 'a01::/16'),
      row('zero', 'ip', '0.0.0.0/0'),
    ]);
    expect(m.ip('10.1.255.255', NOW)?.id).toBe('v4');
    expect(m.ip('a01:ffff::1', NOW)?.id).toBe('v6');
    expect(m.ip('10.2.0.1', NOW)?.id).toBe('zero');
    expect(m.ip('a02::1', NOW)).toBeUndefined();
    expect(m.ip('not-an-address', NOW)).toBeUndefined();
  });

  it('matches a host or any parent domain, not a suffix that is no parent', () => {
    const m = new WatchlistMatcher();
    m.apply([row('d', 'domain', 'evil-bank.example')]);
    expect(m.domain('evil-bank.example', NOW)?.id).toBe('d');
    expect(m.domain('Login.Evil-Bank.Example.', NOW)?.id).toBe('d');
    expect(m.domain('notevil-bank.example', NOW)).toBeUndefined();
    expect(m.domain('evil-bank.example.org', NOW)).toBeUndefined();
  });
});

describe('imeiKey', () => {
  it('adds the Luhn digit to 14 digits and to an IMEISV, keeps 15, refuses the rest', () => {
    expect(imeiKey('49015420323751')).toBe('490154203237518');
    expect(imeiKey('4901542032375101')).toBe('490154203237518');
    expect(imeiKey('490154203237518')).toBe('490154203237518');
    expect(imeiKey('49015420323')).toBeUndefined();
    expect(imeiKey('4901542032375x')).toBeUndefined();
  });
});

describe('data records', () => {
  it('decode with remoteIp (canonical) and host, default to mo, and survive encoding', () => {
    const base = { ...cdr(), type: 'data', otherParty: undefined, direction: undefined };
    const r = decodeCdr(
      JSON.stringify({ ...base, remoteIp: '2001:DB8:0:0:0:0:0:1', host: 'WWW.Example.COM.' }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.cdr).toMatchObject({
      type: 'data',
      direction: 'mo',
      otherParty: '',
      remoteIp: '2001:db8::1',
      host: 'www.example.com',
    });
    expect(decodeCdr(encodeCdr(r.cdr))).toEqual(r);
    expect(decodeCdr(JSON.stringify({ ...base })).ok).toBe(false);
  });
});

describe('the engine matching a line it already knows', () => {
  it('sees its number and device listed after its first records, and stops at expiry', () => {
    const m = new WatchlistMatcher();
    const engine = new ScoringEngine();
    engine.setWatchlist(m);
    engine.setNow(NOW);
    const line = '+66811112222';
    const at = (min: number) => NOW - 60 * 60_000 + min * 60_000;
    engine.ingest('s', cdr({ msisdn: line, imei: '490154203237518', startedAt: at(0) }), null);
    expect(engine.advance().alerts).toEqual([]);
    m.apply([
      row('self', 'msisdn', line, { validUntil: NOW + 1000 }),
      row('dev', 'imei', '490154203237518'),
    ]);
    engine.ingest('s', cdr({ msisdn: line, imei: '490154203237518', startedAt: at(1) }), null);
    expect(engine.advance().alerts.map((a) => [a.rule, a.evidence.indicator?.id])).toEqual([
      ['watchlist_line_active', 'self'],
      ['watchlist_device', 'dev'],
    ]);
    m.apply([row('dev', 'imei', '490154203237518', { status: 'revoked' })]);
    engine.setNow(NOW + 1000);
    const other = '+66811113333';
    engine.ingest('s', cdr({ msisdn: other, imei: '490154203237518', startedAt: at(2) }), null);
    engine.ingest('s', cdr({ msisdn: line, imei: '490154203237518', startedAt: at(3) }), null);
    expect(engine.advance().alerts).toEqual([]);
  });
});

describe('the engine matching a late record', () => {
  it('raises for a record too late for the windows', () => {
    const m = new WatchlistMatcher();
    m.apply([row('x', 'msisdn', '+85599999999')]);
    const engine = new ScoringEngine();
    engine.setWatchlist(m);
    engine.setNow(NOW);
    const line = '+66811114444';
    engine.ingest('s', cdr({ msisdn: line, startedAt: NOW }), null);
    const late = cdr({ msisdn: line, otherParty: '+85599999999', startedAt: NOW - 30 * 3_600_000 });
    expect(engine.ingest('s', late, null)).toBe('late');
    expect(engine.advance().alerts.map((a) => [a.rule, a.evidence.recordId])).toEqual([
      ['watchlist_contact', late.recordId],
    ]);
  });
});
