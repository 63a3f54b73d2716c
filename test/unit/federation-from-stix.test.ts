import { describe, expect, it } from 'vitest';
import { fromStix, parsePattern, StixRefusal } from '../../src/federation/from-stix.js';
import { sightingId } from '../../src/federation/puller.js';
import { toStix } from '../../src/federation/stix.js';

const AMBER = 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421';
const RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';

function indicator(over: Record<string, unknown> = {}) {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: 'indicator--2f1e8a4c-6d0b-4a53-9c7e-0b1d2e3f4a5b',
    created: '2026-11-25T10:00:00.000Z',
    modified: '2026-11-25T10:05:00.123Z',
    name: 'scam_caller msisdn',
    description: 'calls posing as police',
    indicator_types: ['malicious-activity'],
    pattern: "[phone-number:value = '+66812345678']",
    pattern_type: 'stix',
    valid_from: '2026-11-25T10:00:00.000Z',
    valid_until: '2027-02-23T10:00:00.000Z',
    confidence: 80,
    revoked: false,
    labels: ['scam_caller'],
    object_marking_refs: [AMBER],
    created_by_ref: 'identity--6a0f0d6e-1111-4222-8333-944455556666',
    x_simline_category: 'scam_caller',
    x_simline_share_with: ['LA'],
    x_simline_source_country: 'TH',
    ...over,
  };
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof StixRefusal) return err.reason;
    throw err;
  }
  throw new Error('not refused');
}

describe('fromStix: the inverse of toStix', () => {
  it('reads a phone-number indicator with its marking, distribution and source country', () => {
    expect(fromStix(indicator())).toEqual({
      stixId: 'indicator--2f1e8a4c-6d0b-4a53-9c7e-0b1d2e3f4a5b',
      type: 'msisdn',
      value: '+66812345678',
      bankCode: '',
      category: 'scam_caller',
      confidence: 80,
      tlp: 'amber',
      shareWith: ['LA'],
      validUntil: new Date('2027-02-23T10:00:00.000Z'),
      description: 'calls posing as police',
      sourceCountry: 'TH',
      revoked: false,
      modified: new Date('2026-11-25T10:05:00.123Z'),
    });
  });

  it('reads every pattern toStix writes, unescaping quotes and backslashes', () => {
    expect(parsePattern("[imei:value = '490154203237518']")).toEqual({
      type: 'imei',
      value: '490154203237518',
    });
    expect(
      parsePattern(
        "[bank-account:account_number = '1234567890' AND bank-account:bic = 'KASITHBK']",
      ),
    ).toEqual({ type: 'bank_account', value: '1234567890', bankCode: 'KASITHBK' });
    expect(parsePattern("[ipv4-addr:value = '203.0.113.0/24']")).toEqual({
      type: 'ip',
      value: '203.0.113.0/24',
    });
    expect(parsePattern("[ipv6-addr:value = '2001:db8::/32']").type).toBe('ip');
    expect(parsePattern("[domain-name:value = 'evil.example']")).toEqual({
      type: 'domain',
      value: 'evil.example',
    });
    expect(parsePattern(String.raw`[url:value = 'https://x.example/a\'b\\c']`)).toEqual({
      type: 'url',
      value: String.raw`https://x.example/a'b\c`,
    });
  });

  it('keeps the value in canonical form and the revocation', () => {
    const o = fromStix(indicator({ pattern: "[imei:value = '49015420323751']", revoked: true }));
    expect(o).toMatchObject({ type: 'imei', value: '490154203237518', revoked: true });
  });

  it('refuses what it cannot import, naming why', () => {
    expect(refusal(() => fromStix(indicator({ pattern: "[file:name = 'x.exe']" })))).toBe(
      'unknown_pattern',
    );
    expect(refusal(() => fromStix(indicator({ pattern: "[phone-number:value = '12']" })))).toBe(
      'invalid_value',
    );
    expect(refusal(() => fromStix(indicator({ object_marking_refs: [RED] })))).toBe('tlp_red');
    expect(refusal(() => fromStix(indicator({ object_marking_refs: [] })))).toBe('tlp_marking');
    expect(refusal(() => fromStix(indicator({ spec_version: '2.0' })))).toBe('invalid_object');
    expect(refusal(() => fromStix(indicator({ x_simline_source_country: undefined })))).toBe(
      'invalid_object',
    );
    expect(
      refusal(() =>
        fromStix(indicator({ pattern: "[phone-number:value = '+66812345678'] OR [x:y = 'z']" })),
      ),
    ).toBe('unknown_pattern');
  });
});

describe('ids of the sightings sent back', () => {
  it('are the same for the same report (a retry) and differ when the report does', () => {
    const row = {
      pull_id: 'pull_a',
      stix_id: 'indicator--2f1e8a4c-6d0b-4a53-9c7e-0b1d2e3f4a5b',
      kind: 'seen',
      minute: new Date('2026-11-25T10:07:00Z'),
      sent_count: 0,
      count: 2,
    };
    expect(sightingId(row)).toMatch(
      /^sighting--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(sightingId({ ...row })).toBe(sightingId(row));
    expect(sightingId({ ...row, count: 3 })).not.toBe(sightingId(row));
    expect(sightingId({ ...row, sent_count: 2, count: 3 })).not.toBe(sightingId(row));
  });
});

describe('fromStix inverts toStix', () => {
  const row = (type: string, value: string, bankCode = '') => ({
    stix_id: 'indicator--8c0d9f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
    type,
    value,
    bank_code: bankCode,
    category: 'mule_account',
    confidence: 64,
    tlp: 'amber+strict',
    share_with: ['LA', 'KH'],
    status: 'active',
    valid_until: new Date('2027-03-01T00:00:00.000Z'),
    description: "O'Neil \\ desk",
    source_country: 'TH',
    created_at: new Date('2026-11-25T09:00:00.000Z'),
    updated_at: new Date('2026-11-25T09:30:00.123Z'),
  });
  it.each([
    ['msisdn', '+85512345678', ''],
    ['imei', '490154203237518', ''],
    ['bank_account', '0123456789', 'KASITHBK'],
    ['ip', '203.0.113.0/24', ''],
    ['ip', '2001:db8::/32', ''],
    ['domain', 'xn--bcher-kva.example', ''],
    ['url', "https://evil.example/it's?q=a\\b", ''],
  ])('for a %s indicator', (type, value, bankCode) => {
    const r = row(type, value, bankCode);
    expect(fromStix(toStix(r, 'TH'))).toEqual({
      stixId: r.stix_id,
      type,
      value,
      bankCode,
      category: 'mule_account',
      confidence: 64,
      tlp: 'amber+strict',
      shareWith: ['LA', 'KH'],
      validUntil: r.valid_until,
      description: r.description,
      sourceCountry: 'TH',
      revoked: false,
      modified: r.updated_at,
    });
  });

  it('for a suspended or revoked one: revoked', () => {
    expect(
      fromStix(toStix({ ...row('msisdn', '+85512345678'), status: 'suspended' }, 'TH')).revoked,
    ).toBe(true);
  });
});
