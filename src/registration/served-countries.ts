/**
 * The countries simline serves, one row each: the ITU-T E.164 country calling code, the ITU-T
 * E.212 mobile country codes (MCCs) of its networks, and which national documents it issues
 * beyond passports (every served country has a national ID rule in documents.ts, keyed by these
 * codes; `idCard` adds an ICAO 9303 TD1 card). Operators, numbering checks and document rules
 * all derive from this table.
 */
export const SERVED_COUNTRIES = {
  TH: { callingCode: '66', mccs: ['520'], idCard: false },
  KH: { callingCode: '855', mccs: ['456'], idCard: true },
  LA: { callingCode: '856', mccs: ['457'], idCard: false },
  MM: { callingCode: '95', mccs: ['414'], idCard: false },
  VN: { callingCode: '84', mccs: ['452'], idCard: false },
  CN: { callingCode: '86', mccs: ['460'], idCard: false },
} as const satisfies Record<string, ServedCountryFacts>;

export interface ServedCountryFacts {
  callingCode: string;
  mccs: readonly string[];
  idCard: boolean;
}

export type ServedCountry = keyof typeof SERVED_COUNTRIES;

export const SERVED_COUNTRY_CODES = Object.keys(SERVED_COUNTRIES) as readonly ServedCountry[];

export function isServedCountry(code: string): code is ServedCountry {
  return Object.hasOwn(SERVED_COUNTRIES, code);
}

/** The row of a served country, or undefined for any other code. */
export function servedCountry(code: string): ServedCountryFacts | undefined {
  return isServedCountry(code) ? SERVED_COUNTRIES[code] : undefined;
}
