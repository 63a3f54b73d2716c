import { randomInt } from 'node:crypto';
import type { RegistrationRequest } from '../../src/registration/contract.js';
import { luhnValid } from '../../src/registration/numbering.js';
import { servedCountry } from '../../src/registration/served-countries.js';

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');

/** A Thai national ID with a correct checksum digit. */
export function thaiId(): string {
  const body = `${1 + randomInt(8)}${digits(11)}`;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (13 - i);
  return `${body}${(11 - (sum % 11)) % 10}`;
}

/** Leading digits and length of a valid mobile number per served country (libphonenumber). */
const MOBILE_RANGES: Record<string, [string, number]> = {
  TH: ['8', 8],
  KH: ['12', 6],
  LA: ['205', 7],
  MM: ['979', 7],
  VN: ['91', 7],
  CN: ['138', 8],
};

/** A valid mobile number of a served country (TH when unknown). */
export function msisdn(country = 'TH'): string {
  const [lead, n] = MOBILE_RANGES[country] ?? MOBILE_RANGES.TH ?? ['8', 8];
  return `+${servedCountry(country)?.callingCode ?? '66'}${lead}${digits(n)}`;
}

/** 19-digit ICCID starting 89 with a valid Luhn check digit. */
export function iccid(): string {
  const body = `8966${digits(14)}`;
  for (let d = 0; d < 10; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
  throw new Error('unreachable');
}

export function imsi(country = 'TH'): string {
  return `${servedCountry(country)?.mccs[0] ?? '520'}${digits(12)}`;
}

export function thaiSubscriber(documentNumber = thaiId()): RegistrationRequest['subscriber'] {
  return {
    documentType: 'national_id',
    documentCountry: 'TH',
    documentNumber,
    fullName: `Somchai Test ${digits(4)}`,
    dateOfBirth: '1990-01-31',
    nationality: 'TH',
  };
}

export function registrationBody(
  now: Date,
  overrides: Partial<RegistrationRequest> = {},
): RegistrationRequest {
  return {
    msisdn: msisdn(),
    iccid: iccid(),
    imsi: imsi(),
    subscriber: thaiSubscriber(),
    verification: {
      method: 'face_liveness',
      reference: `lv-${digits(6)}`,
      score: 0.97,
      verifiedAt: new Date(now.getTime() - 60_000).toISOString(),
    },
    pointOfSale: { agentId: 'agent-1', outletId: 'outlet-1' },
    ...overrides,
  };
}

let counter = 0;
export function idemKey(): string {
  counter += 1;
  return `test-${process.pid}-${Date.now()}-${counter}-${digits(6)}`;
}
