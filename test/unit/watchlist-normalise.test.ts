import { describe, expect, it } from 'vitest';
import type { ServiceError } from '../../src/platform/errors.js';
import { type IndicatorType, normaliseIndicator } from '../../src/watchlist/normalise.js';

const canon = (type: IndicatorType, value: string, bankCode?: string) =>
  normaliseIndicator(type, value, bankCode).value;

function rule(type: IndicatorType, value: string, bankCode?: string): string | undefined {
  try {
    normaliseIndicator(type, value, bankCode);
    return undefined;
  } catch (err) {
    const e = err as ServiceError;
    expect(e.code).toBe('invalid_indicator');
    return e.extra.rule as string;
  }
}

describe('indicator canonical forms', () => {
  it('msisdn: E.164 without spacing', () => {
    expect(canon('msisdn', '+855 12 345 678')).toBe('+85512345678');
    expect(canon('msisdn', '+66-81-234-5678')).toBe('+66812345678');
    expect(rule('msisdn', '0812345678')).toBe('msisdn_e164');
    expect(rule('msisdn', '+66 1')).toBe('msisdn_e164');
  });

  it('imei: 15 digits, the Luhn digit added to 14, a wrong one refused', () => {
    expect(canon('imei', '49015420323751')).toBe('490154203237518');
    expect(canon('imei', '49-015420-323751-8')).toBe('490154203237518');
    expect(rule('imei', '490154203237519')).toBe('imei_luhn');
    expect(rule('imei', '4901542032375')).toBe('imei_digits');
  });

  it('bank_account: digits and letters upper case, bank code required and normalised', () => {
    expect(normaliseIndicator('bank_account', '123-4-56789 0', 'kasi thbk')).toEqual({
      value: '1234567890',
      bankCode: 'KASITHBK',
    });
    expect(canon('bank_account', 'gb29 nwbk 6016', 'NWBKGB2L')).toBe('GB29NWBK6016');
    expect(rule('bank_account', '1234567890')).toBe('bank_code');
    expect(rule('bank_account', '12/34', 'KASITHBK')).toBe('bank_account_chars');
  });

  it('ip: canonical text, CIDR with host bits zero', () => {
    expect(canon('ip', '203.0.113.7')).toBe('203.0.113.7');
    expect(canon('ip', '2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canon('ip', '203.0.113.0/24')).toBe('203.0.113.0/24');
    expect(canon('ip', '2001:db8:0::/32')).toBe('2001:db8::/32');
    expect(rule('ip', '203.0.113.7/24')).toBe('cidr_host_bits');
    expect(rule('ip', '2001:db8::1/64')).toBe('cidr_host_bits');
    expect(rule('ip', '203.0.113.0/33')).toBe('cidr_prefix');
    expect(rule('ip', '1.2.3')).toBe('ip_syntax');
    expect(rule('ip', '999.1.1.1')).toBe('ip_syntax');
  });

  it('domain: lower-case IDNA ASCII without the trailing dot', () => {
    expect(canon('domain', 'Scam-Bank.Example.')).toBe('scam-bank.example');
    expect(canon('domain', 'Bücher.Example')).toBe('xn--bcher-kva.example');
    expect(canon('domain', 'münchen.de')).toBe('xn--mnchen-3ya.de');
    expect(rule('domain', 'localhost')).toBe('domain_idna');
    expect(rule('domain', 'https://x.example/')).toBe('domain_idna');
  });

  it('url: lower-case scheme and host as WHATWG URL serialises it', () => {
    expect(canon('url', 'HTTPS://Login.Example.COM/Path?q=1')).toBe(
      'https://login.example.com/Path?q=1',
    );
    expect(canon('url', 'http://example.com')).toBe('http://example.com/');
    expect(rule('url', 'not a url')).toBe('url_syntax');
    expect(rule('url', 'ftp://example.com/')).toBe('url_scheme');
  });
});
