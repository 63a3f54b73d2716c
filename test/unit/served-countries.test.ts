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
