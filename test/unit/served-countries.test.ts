import { describe, expect, it } from 'vitest';
import { SUPPORTED_DOCUMENTS } from '../../src/registration/documents.js';
import { checkLineIdentifiers } from '../../src/registration/numbering.js';
import {
  isServedCountry,
  SERVED_COUNTRIES,
  SERVED_COUNTRY_CODES,
} from '../../src/registration/served-countries.js';

describe('served countries', () => {
  it('are the six Mekong-region countries, each with a national ID rule', () => {
    expect([...SERVED_COUNTRY_CODES].sort()).toEqual(['CN', 'KH', 'LA', 'MM', 'TH', 'VN']);
    const nationalIds = SUPPORTED_DOCUMENTS.filter((d) => d.type === 'national_id').map(
      (d) => d.country,
    );
    expect([...nationalIds].sort()).toEqual([...SERVED_COUNTRY_CODES].sort());
  });

  it('derive the TD1 card countries from the table', () => {
    const cards = SUPPORTED_DOCUMENTS.filter((d) => d.type === 'id_card').map((d) => d.country);
    expect(cards).toEqual(SERVED_COUNTRY_CODES.filter((c) => SERVED_COUNTRIES[c].idCard));
    expect(cards).toEqual(['KH']);
  });

  it('knows only served codes', () => {
    expect(isServedCountry('TH')).toBe(true);
    expect(isServedCountry('US')).toBe(false);
    expect(isServedCountry('toString')).toBe(false);
  });

  it("check a line's calling code and MCC against the operator's country row", () => {
    const operator = { country: 'KH', mccMnc: [] };
    const line = { msisdn: '+85512345678', iccid: '8985500000000000009', imsi: '456011234567890' };
    expect(checkLineIdentifiers(line, operator)).toEqual([]);
    expect(
      checkLineIdentifiers({ ...line, msisdn: '+66812345678', imsi: '520011234567890' }, operator),
    ).toEqual([
      { path: 'msisdn', message: "must be a +855 number of the operator's country" },
      { path: 'imsi', message: "must start with the country's MCC 456" },
    ]);
  });
});

describe("a line's MSISDN", () => {
  const line = { iccid: '8985500000000000009', imsi: '520011234567890' };
  const th = { country: 'TH', mccMnc: [] };
  const msisdnIssues = (msisdn: string, operator = th) =>
    checkLineIdentifiers({ ...line, msisdn }, operator).filter((i) => i.path === 'msisdn');

  it('is a valid mobile number of the operator country', () => {
    expect(msisdnIssues('+66812345678')).toEqual([]);
    expect(msisdnIssues('+959791234567', { country: 'MM', mccMnc: [] })).toEqual([]);
  });

  it('is refused when a landline or of the wrong length, though it has the right code', () => {
    const refused = [
      { path: 'msisdn', message: "must be a mobile number of the operator's country (TH)" },
    ];
    /** A Bangkok landline, and Thai mobile numbers one digit short and one too long. */
    expect(msisdnIssues('+6621234567')).toEqual(refused);
    expect(msisdnIssues('+6681234567')).toEqual(refused);
    expect(msisdnIssues('+668123456789')).toEqual(refused);
    /** A Myanmar fixed line (Yangon). */
    expect(msisdnIssues('+95812345678', { country: 'MM', mccMnc: [] })).toEqual([
      { path: 'msisdn', message: "must be a mobile number of the operator's country (MM)" },
    ]);
  });

  it("names the country's calling code when the number is another country's", () => {
    expect(msisdnIssues('+85512345678')).toEqual([
      { path: 'msisdn', message: "must be a +66 number of the operator's country" },
    ]);
  });
});
