import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { ServiceError } from '../platform/errors.js';
import { luhnValid } from '../registration/numbering.js';

export const INDICATOR_TYPES = ['msisdn', 'imei', 'bank_account', 'ip', 'domain', 'url'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

/** A value refused by one of the canonical-form rules; `rule` names which. */
export class InvalidIndicator extends ServiceError {
  constructor(type: IndicatorType, rule: string, detail: string) {
    super('invalid_indicator', `${type}: ${detail}`, { rule });
  }
}

function msisdn(raw: string): string {
  const compact = raw.replace(/[\s().-]/g, '');
  if (!compact.startsWith('+'))
    throw new InvalidIndicator('msisdn', 'msisdn_e164', 'must be E.164 with a leading +');
  const number = parsePhoneNumberFromString(compact);
  if (!number?.isPossible())
    throw new InvalidIndicator('msisdn', 'msisdn_e164', 'is not a possible E.164 number');
  return number.number;
}

/** The Luhn check digit that completes a 14-digit IMEI (TAC + serial). */
export function imeiCheckDigit(fourteen: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(`${fourteen}${d}`)) return String(d);
  throw new Error('unreachable: one digit always completes a Luhn sum');
}

function imei(raw: string): string {
  const digits = raw.replace(/[\s-]/g, '');
  if (/^\d{14}$/.test(digits)) return `${digits}${imeiCheckDigit(digits)}`;
  if (!/^\d{15}$/.test(digits))
    throw new InvalidIndicator('imei', 'imei_digits', 'must be 14 or 15 digits');
  if (!luhnValid(digits))
    throw new InvalidIndicator('imei', 'imei_luhn', 'the 15th digit fails the Luhn check');
  return digits;
}

function bankAccount(raw: string): string {
  const v = raw.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[0-9A-Z]{4,34}$/.test(v))
    throw new InvalidIndicator(
      'bank_account',
      'bank_account_chars',
      'must be 4-34 digits or letters (spaces and dashes are dropped)',
    );
  return v;
}

/** A bank code: a BIC (8 or 11 characters) or a national bank code, upper case. */
export function normaliseBankCode(raw: string): string {
  const v = raw.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[0-9A-Z]{2,11}$/.test(v))
    throw new InvalidIndicator(
      'bank_account',
      'bank_code',
      'bankCode must be a BIC or a national bank code (2-11 digits or letters)',
    );
  return v;
}

function v6ToBigInt(addr: string): bigint {
  const [head = '', tail] = addr.split('::');
  const part = (s: string) => (s ? s.split(':') : []);
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}

/** The RFC 5952 text of an IPv6 address, as WHATWG URL (and PostgreSQL) print it. */
function v6Text(addr: string): string {
  return new URL(`http://[${addr}]/`).hostname.slice(1, -1);
}

function ip(raw: string): string {
  const v = raw.trim();
  const [addr = '', len, extra] = v.split('/');
  if (extra !== undefined) throw new InvalidIndicator('ip', 'ip_syntax', 'is not an address');
  const v4 = isIPv4(addr);
  if (!v4 && (!isIPv6(addr) || addr.includes('%') || addr.includes('.')))
    throw new InvalidIndicator(
      'ip',
      'ip_syntax',
      'must be an IPv4 dotted quad or an IPv6 address, optionally /prefix',
    );
  const bits = v4 ? 32 : 128;
  if (len === undefined) return v4 ? addr.split('.').map(Number).join('.') : v6Text(addr);
  if (!/^\d{1,3}$/.test(len) || Number(len) > bits)
    throw new InvalidIndicator('ip', 'cidr_prefix', `the prefix must be 0-${bits}`);
  const prefix = BigInt(len);
  const value = v4
    ? addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n)
    : v6ToBigInt(addr);
  const hostMask = (1n << (BigInt(bits) - prefix)) - 1n;
  if ((value & hostMask) !== 0n)
    throw new InvalidIndicator('ip', 'cidr_host_bits', 'a CIDR range must have its host bits zero');
  if (v4) return `${addr.split('.').map(Number).join('.')}/${Number(len)}`;
  return `${v6Text(addr)}/${Number(len)}`;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function domain(raw: string): string {
  const trimmed = raw.trim().replace(/\.$/, '');
  const ascii = domainToASCII(trimmed);
  const labels = ascii.split('.');
  if (!ascii || ascii.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)))
    throw new InvalidIndicator(
      'domain',
      'domain_idna',
      'must be a host name of two or more labels (IDNA, no scheme or path)',
    );
  return ascii;
}

function url(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new InvalidIndicator('url', 'url_syntax', 'must be an absolute URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new InvalidIndicator('url', 'url_scheme', 'must be an http or https URL');
  return u.href;
}

const RULES: Record<IndicatorType, (raw: string) => string> = {
  msisdn,
  imei,
  bank_account: bankAccount,
  ip,
  domain,
  url,
};

/**
 * The canonical form of an indicator value, the one stored and matched: msisdn E.164; imei 15
 * digits (the Luhn digit added to 14); ip and CIDR as PostgreSQL prints them, host bits zero;
 * domain lower-case IDNA ASCII without the trailing dot; url as WHATWG URL serialises it;
 * bank_account digits and letters upper case. Throws `invalid_indicator` naming the rule.
 */
export function normaliseIndicator(
  type: IndicatorType,
  value: string,
  bankCode?: string,
): { value: string; bankCode: string } {
  if (value.length > 2048)
    throw new InvalidIndicator(type, 'value_length', 'must be at most 2048 characters');
  const canonical = RULES[type](value);
  if (type === 'bank_account') {
    if (!bankCode) throw new InvalidIndicator('bank_account', 'bank_code', 'bankCode is required');
    return { value: canonical, bankCode: normaliseBankCode(bankCode) };
  }
  return { value: canonical, bankCode: '' };
}
