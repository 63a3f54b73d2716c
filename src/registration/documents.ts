import { checkChineseArea } from './china-areas.js';
import {
  ISO3166_ALPHA3,
  ISO3166_NUMERIC,
  isMrzCodeFor,
  MRZ_UNSPECIFIED_NATIONALITIES,
} from './countries.js';
import { type MrzCheckCode, parseMrz } from './mrz.js';
import { checkMyanmarNrc } from './myanmar-nrc.js';
import { SERVED_COUNTRIES, SERVED_COUNTRY_CODES, type ServedCountry } from './served-countries.js';

export type DocumentType = 'national_id' | 'passport' | 'id_card';

export interface SubscriberDocument {
  documentType: DocumentType;
  /** ISO 3166-1 alpha-2, upper case, e.g. 'TH'. */
  documentCountry: string;
  documentNumber: string;
  /** Lines separated by '\n' (2 lines TD3 passport, 3 lines TD1 id card). */
  mrz?: string | undefined;
  fullName: string;
  /** 'YYYY-MM-DD'. */
  dateOfBirth: string;
  /** ISO 3166-1 alpha-2. */
  nationality: string;
}

export type DocumentCheck =
  | {
      ok: true;
      normalisedNumber: string;
      /**
       * Passports only: the MRZ personal number (TD3 optional data, fillers stripped) when the
       * field is used; some states write the holder's national ID number there.
       */
      mrzPersonalNumber?: string;
    }
  | { ok: false; check: string; detail: string };

export type DocumentCheckCode =
  | MrzCheckCode
  | 'unsupported_document'
  | 'birth_date_invalid'
  | 'birth_date_out_of_range'
  | 'nationality_invalid'
  | 'full_name_missing'
  | 'document_number_format'
  | 'mrz_missing'
  | 'mrz_not_applicable'
  | 'mrz_issuing_state_mismatch'
  | 'mrz_nationality_mismatch'
  | 'mrz_document_number_mismatch'
  | 'mrz_birth_date_mismatch'
  | 'mrz_expired'
  | 'th_id_format'
  | 'th_id_category'
  | 'th_id_checksum'
  | 'cn_id_format'
  | 'cn_id_checksum'
  | 'cn_id_area'
  | 'cn_id_area_not_in_use'
  | 'cn_id_birth_date'
  | 'cn_id_birth_date_mismatch'
  | 'vn_cccd_format'
  | 'vn_cccd_province'
  | 'vn_cccd_century_sex'
  | 'vn_cccd_birth_year'
  | 'mm_nrc_format'
  | 'mm_nrc_state'
  | 'mm_nrc_township'
  | 'mm_nrc_township_state'
  | 'mm_nrc_type'
  | 'kh_id_format'
  | 'la_id_format';

/** A calendar date; `key` is YYYYMMDD as a number, so keys compare like dates. */
interface CivilDate {
  year: number;
  month: number;
  day: number;
  key: number;
}

interface NationalIdRule {
  format: string;
  check: (compact: string, birth: CivilDate, today: CivilDate) => DocumentCheck;
}

/**
 * What a document number may be written with that is not part of it: white space, hyphen-minus
 * and the Unicode dashes (U+2010-2015, minus sign U+2212; NFKC has already turned the fullwidth
 * and small hyphen-minus into '-'), soft hyphen and the zero-width characters.
 */
const SEPARATORS = /[\s\u2010-\u2015\u2212\u00AD\u200B-\u200D\u2060\uFEFF-]+/g;
/** Thai, Lao, Myanmar and Khmer digits; each block's digits end in 0-9 in their low nibble. */
const NATIVE_DIGITS = /[\u0E50-\u0E59\u0ED0-\u0ED9\u1040-\u1049\u17E0-\u17E9]/g;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MRZ_DOCUMENT_NUMBER = /^[A-Za-z0-9]+$/;
const THAI_ID = /^\d{13}$/;
const CHINESE_ID = /^\d{17}[\dX]$/;
const VIETNAMESE_CCCD = /^\d{12}$/;
const KHMER_ID = /^(\d{9})(?:\(\d\))?$/;
const LAO_ID = /^\d{8,12}$/;
const LEADING_ZEROS = /^0+/;

const MAX_AGE_YEARS = 130;
/**
 * What shows nothing: white space and separators, control and format characters (zero-width
 * space/joiners, word joiner, BOM, bidi marks), default-ignorable code points (Hangul fillers,
 * variation selectors) and the blank Braille pattern.
 */
const INVISIBLE = /[\p{White_Space}\p{Z}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu;

const CN_CHECK_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CN_CHECK_CHARACTERS = '10X98765432';

/**
 * The 63 province codes of Circular 07/2016/TT-BCA (birth-registration province of the holder).
 * Numbers are issued for life, so these stay valid regardless of later province mergers.
 */
const VN_PROVINCE_CODES: ReadonlySet<string> = new Set([
  ...['001', '002', '004', '006', '008', '010', '011', '012', '014', '015', '017', '019'],
  ...['020', '022', '024', '025', '026', '027', '030', '031', '033', '034', '035', '036'],
  ...['037', '038', '040', '042', '044', '045', '046', '048', '049', '051', '052', '054'],
  ...['056', '058', '060', '062', '064', '066', '067', '068', '070', '072', '074', '075'],
  ...['077', '079', '080', '082', '083', '084', '086', '087', '089', '091', '092', '093'],
  ...['094', '095', '096'],
]);

const VIET_NAM_NUMERIC = '704';

const ID_CARD_COUNTRIES: ReadonlySet<string> = new Set(
  SERVED_COUNTRY_CODES.filter((code) => SERVED_COUNTRIES[code].idCard),
);

function fail(check: DocumentCheckCode, detail: string): DocumentCheck {
  return { ok: false, check, detail };
}

function ok(normalisedNumber: string): DocumentCheck {
  return { ok: true, normalisedNumber };
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function civilDate(year: number, month: number, day: number): CivilDate | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day, key: year * 10_000 + month * 100 + day };
}

function digitsToDate(year: string, month: string, day: string): CivilDate | undefined {
  return civilDate(Number(year), Number(month), Number(day));
}

/**
 * The one spelling of a document number that checks and keys use: NFKC (fullwidth letters,
 * digits and punctuation to ASCII), regional digits to ASCII, separators removed, upper case.
 * Spelling is normalised, never refused; what is left is then checked against the format.
 */
export function normaliseDocumentNumber(documentNumber: string): string {
  return unifySpelling(documentNumber).toUpperCase();
}

function unifySpelling(documentNumber: string): string {
  return documentNumber
    .normalize('NFKC')
    .replace(NATIVE_DIGITS, (digit) => String(digit.charCodeAt(0) & 0xf))
    .replace(SEPARATORS, '');
}

/**
 * Thai national ID: category digit 1-8 (Thai nationals and registered residents), then 11
 * digits, then check = (11 - Σ digit_i × (13 - i) mod 11) mod 10 over the first 12 digits.
 */
function checkThaiId(number: string): DocumentCheck {
  if (!THAI_ID.test(number)) {
    return fail('th_id_format', 'the Thai national ID must be 13 digits');
  }
  if (number[0] === '0' || number[0] === '9') {
    return fail('th_id_category', 'the Thai national ID category digit must be 1 to 8');
  }
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += (number.charCodeAt(i) - 48) * (13 - i);
  if ((11 - (sum % 11)) % 10 !== number.charCodeAt(12) - 48) {
    return fail('th_id_checksum', 'the Thai national ID checksum digit does not match');
  }
  return ok(number);
}

/**
 * Chinese resident identity number (GB 11643-1999): GB/T 2260 area code (county level, in use in
 * the birth year; 810000/820000/830000 for the Hong Kong, Macao and Taiwan residents' residence
 * permits), birth date, sequence, MOD 11-2.
 */
function checkChineseId(number: string, birth: CivilDate, today: CivilDate): DocumentCheck {
  if (!CHINESE_ID.test(number)) {
    return fail(
      'cn_id_format',
      'the Chinese resident identity number must be 17 digits and a check character',
    );
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (number.charCodeAt(i) - 48) * (CN_CHECK_WEIGHTS[i] ?? 0);
  if (CN_CHECK_CHARACTERS[sum % 11] !== number[17]) {
    return fail(
      'cn_id_checksum',
      'the Chinese resident identity number check character does not match',
    );
  }
  const encoded = digitsToDate(number.slice(6, 10), number.slice(10, 12), number.slice(12, 14));
  if (encoded === undefined || encoded.year < 1900 || encoded.key > today.key) {
    return fail(
      'cn_id_birth_date',
      'the birth date in the Chinese resident identity number is not a plausible date',
    );
  }
  const area = checkChineseArea(number.slice(0, 6), encoded.year);
  if (area === 'unknown') {
    return fail(
      'cn_id_area',
      'the Chinese resident identity number area code is not a GB/T 2260 area code',
    );
  }
  if (area === 'not_in_use') {
    return fail(
      'cn_id_area_not_in_use',
      'the Chinese resident identity number area code was not in use in the birth year',
    );
  }
  if (encoded.key !== birth.key) {
    return fail(
      'cn_id_birth_date_mismatch',
      'the birth date in the Chinese resident identity number differs from the date of birth',
    );
  }
  return ok(number);
}

/**
 * Vietnamese citizen identity (CCCD) number: 3-digit place of birth registration, a century/sex
 * digit (0/1 = male/female born 19xx, 2/3 = 20xx, 4/5 = 21xx, ...), 2-digit birth year, 6 random
 * digits. Circular 07/2016/TT-BCA art. 7: the place is the province code (001-096) or, for a birth
 * registered abroad, the code of that country, taken here as its ISO 3166-1 numeric code (Viet
 * Nam's own, 704, excluded). The old 9-digit CMND is not accepted.
 */
function checkVietnameseCccd(number: string, birth: CivilDate): DocumentCheck {
  if (!VIETNAMESE_CCCD.test(number)) {
    return fail('vn_cccd_format', 'the Vietnamese citizen identity number must be 12 digits');
  }
  const place = number.slice(0, 3);
  if (
    !VN_PROVINCE_CODES.has(place) &&
    (place === VIET_NAM_NUMERIC || !ISO3166_NUMERIC.has(place))
  ) {
    return fail(
      'vn_cccd_province',
      'the Vietnamese citizen identity number place code is neither a province nor a country',
    );
  }
  const century = 1900 + Math.floor((number.charCodeAt(3) - 48) / 2) * 100;
  if (Math.floor(birth.year / 100) * 100 !== century) {
    return fail(
      'vn_cccd_century_sex',
      'the Vietnamese citizen identity number century/sex digit does not match the birth century',
    );
  }
  if (Number(number.slice(4, 6)) !== birth.year % 100) {
    return fail(
      'vn_cccd_birth_year',
      'the birth year in the Vietnamese citizen identity number differs from the date of birth',
    );
  }
  return ok(number);
}

/** Myanmar NRC, matched against the state/township table (see myanmar-nrc.ts). */
function checkMmNrc(number: string): DocumentCheck {
  const result = checkMyanmarNrc(number);
  return result.ok ? ok(result.canonical) : fail(result.check, result.detail);
}

/**
 * Khmer identity card number: 9 digits. Older cards print a further digit in parentheses after
 * it; its algorithm is not public, so it is accepted but not verified and dropped from the key.
 * An id_card's MRZ document number is normalised the same way (separators, case), so a national
 * ID and a TD1 card written with the same 9 digits give the same normalised number.
 */
function checkKhmerId(number: string): DocumentCheck {
  const match = KHMER_ID.exec(number);
  if (match?.[1] === undefined) {
    return fail(
      'kh_id_format',
      'the Cambodian national ID must be 9 digits, optionally followed by (d)',
    );
  }
  return ok(match[1]);
}

/**
 * Lao national ID card number. No structure, fixed width or check digit for it is publicly
 * documented, so a leading zero cannot be told apart from zero padding: the canonical form drops
 * leading zeros, which is the only form reachable from both spellings without knowing a field
 * width. It must then be 8 to 12 digits (a 9-digit number written with a leading zero has 8; Lao
 * digits are read as digits). A Lao passport gives the stronger MRZ checks.
 */
function checkLaoId(number: string): DocumentCheck {
  const significant = number.replace(LEADING_ZEROS, '');
  if (number.length > 12 || !LAO_ID.test(significant)) {
    return fail(
      'la_id_format',
      'the Lao national ID must be 8 to 12 digits after any leading zeros',
    );
  }
  return ok(significant);
}

/** One rule per served country (a unit test checks none is missing). */
const NATIONAL_IDS: ReadonlyMap<string, NationalIdRule> = new Map<ServedCountry, NationalIdRule>([
  [
    'TH',
    {
      format: '13 digits (dashes and spaces allowed), first digit 1-8, mod-11 check digit',
      check: checkThaiId,
    },
  ],
  [
    'CN',
    {
      format:
        '18 characters: 6-digit area, YYYYMMDD birth date, 3-digit sequence, MOD 11-2 check (0-9 or X)',
      check: checkChineseId,
    },
  ],
  [
    'VN',
    {
      format: '12-digit CCCD: 3-digit province, century/sex digit, 2-digit birth year, 6 digits',
      check: checkVietnameseCccd,
    },
  ],
  [
    'MM',
    {
      format:
        'NRC {state 1-14}/{township}({type}){6 digits}, Latin or Myanmar script, township from the state/township table, e.g. 12/OUKAMA(N)123456',
      check: checkMmNrc,
    },
  ],
  [
    'KH',
    { format: '9 digits, optionally followed by a digit in parentheses', check: checkKhmerId },
  ],
  ['LA', { format: '8 to 12 digits, leading zeros ignored', check: checkLaoId }],
]);

export const SUPPORTED_DOCUMENTS: ReadonlyArray<{
  country: string;
  type: DocumentType;
  format: string;
}> = Object.freeze([
  ...[...NATIONAL_IDS].map(([country, rule]) => ({
    country,
    type: 'national_id' as const,
    format: rule.format,
  })),
  ...[...ID_CARD_COUNTRIES].map((country) => ({
    country,
    type: 'id_card' as const,
    format: `ICAO 9303 TD1 card; MRZ (3 lines of 30) required, issuing state ${ISO3166_ALPHA3.get(country)}`,
  })),
  ...[...ISO3166_ALPHA3].map(([country, alpha3]) => ({
    country,
    type: 'passport' as const,
    format: `ICAO 9303 TD3 passport; MRZ (2 lines of 44) required, issuing state ${alpha3}`,
  })),
]);

/** The century that puts YY in the 100 years centred on today: expiry dates are near today. */
function expiryYear(yy: number, today: CivilDate): number {
  const year = today.year - (today.year % 100) + yy;
  if (year > today.year + 50) return year - 100;
  if (year <= today.year - 50) return year + 100;
  return year;
}

/**
 * MRZ birth dates are YYMMDD with `<<` for an unknown month or day. The declared birth date is
 * already known to lie within the last 130 years and not in the future, so matching YY against
 * its year is the century resolution against today, and still accepts holders over 100.
 */
function mrzBirthDateMatches(mrzDate: string, birth: CivilDate): boolean {
  const month = mrzDate.slice(2, 4);
  const day = mrzDate.slice(4, 6);
  return (
    Number(mrzDate.slice(0, 2)) === birth.year % 100 &&
    (month === '<<' || Number(month) === birth.month) &&
    (day === '<<' || Number(day) === birth.day)
  );
}

function checkMachineReadable(
  doc: SubscriberDocument,
  birth: CivilDate,
  today: CivilDate,
): DocumentCheck {
  /** Tested before upper-casing, which would turn some non-ASCII letters (ı, ß) into ASCII. */
  const written = unifySpelling(doc.documentNumber);
  if (!MRZ_DOCUMENT_NUMBER.test(written)) {
    return fail(
      'document_number_format',
      'the document number may only contain letters and digits',
    );
  }
  if (doc.mrz === undefined || doc.mrz.trim() === '') {
    return fail('mrz_missing', 'the MRZ is required for passports and ID cards');
  }
  const number = written.toUpperCase();
  const parsed = parseMrz(doc.mrz);
  if (!parsed.ok) return parsed;
  const { mrz } = parsed;
  const passport = doc.documentType === 'passport';
  if (mrz.format !== (passport ? 'TD3' : 'TD1')) {
    return fail(
      'mrz_format',
      passport
        ? 'a passport MRZ must be 2 lines of 44 characters (TD3)'
        : 'an ID card MRZ must be 3 lines of 30 characters (TD1)',
    );
  }
  if (!isMrzCodeFor(mrz.issuingState, doc.documentCountry)) {
    return fail('mrz_issuing_state_mismatch', 'the MRZ issuing state is not the document country');
  }
  if (mrz.documentNumber !== number) {
    return fail(
      'mrz_document_number_mismatch',
      'the MRZ document number differs from the document number',
    );
  }
  if (!mrzBirthDateMatches(mrz.birthDate, birth)) {
    return fail('mrz_birth_date_mismatch', 'the MRZ birth date differs from the date of birth');
  }
  if (
    !MRZ_UNSPECIFIED_NATIONALITIES.has(mrz.nationality) &&
    !isMrzCodeFor(mrz.nationality, doc.nationality)
  ) {
    return fail('mrz_nationality_mismatch', 'the MRZ nationality differs from the nationality');
  }
  const expiry = civilDate(
    expiryYear(Number(mrz.expiryDate.slice(0, 2)), today),
    Number(mrz.expiryDate.slice(2, 4)),
    Number(mrz.expiryDate.slice(4, 6)),
  );
  if (expiry === undefined) {
    return fail('mrz_format', 'the MRZ expiry date is not a calendar date');
  }
  if (expiry.key < today.key) {
    return fail('mrz_expired', 'the document expired according to its MRZ');
  }
  return mrz.personalNumber === undefined
    ? ok(number)
    : { ok: true, normalisedNumber: number, mrzPersonalNumber: mrz.personalNumber };
}

const DOCUMENT_TYPES: ReadonlySet<string> = new Set(['national_id', 'passport', 'id_card']);

/** Echoes type and country only when both are known codes: the fields could hold anything. */
function unsupported(doc: SubscriberDocument): DocumentCheck {
  const known = ISO3166_ALPHA3.has(doc.documentCountry) && DOCUMENT_TYPES.has(doc.documentType);
  return fail(
    'unsupported_document',
    known
      ? `${doc.documentType} documents from ${doc.documentCountry} are not supported`
      : 'the document type or country is not a supported code',
  );
}

function utcCivilDate(date: Date): CivilDate {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  return { year, month, day, key: year * 10_000 + month * 100 + day };
}

/**
 * Offline consistency checks of an identity document. `today` is taken as its UTC calendar date;
 * a document is valid through its expiry date. Failure details never echo the submitted data.
 */
export function checkDocument(doc: SubscriberDocument, today: Date): DocumentCheck {
  if (Number.isNaN(today.getTime())) throw new RangeError('today must be a valid Date');
  const now = utcCivilDate(today);
  const country = doc.documentCountry;
  let nationalId: NationalIdRule | undefined;
  if (doc.documentType === 'national_id') {
    nationalId = NATIONAL_IDS.get(country);
    if (nationalId === undefined) return unsupported(doc);
  } else if (doc.documentType === 'id_card') {
    if (!ID_CARD_COUNTRIES.has(country)) return unsupported(doc);
  } else if (doc.documentType !== 'passport' || !ISO3166_ALPHA3.has(country)) {
    return unsupported(doc);
  }

  const parts = ISO_DATE.exec(doc.dateOfBirth);
  const birth =
    parts === null ? undefined : digitsToDate(parts[1] ?? '', parts[2] ?? '', parts[3] ?? '');
  if (birth === undefined) {
    return fail('birth_date_invalid', 'the date of birth is not a YYYY-MM-DD calendar date');
  }
  if (birth.key >= now.key) {
    return fail('birth_date_out_of_range', 'the date of birth is today or in the future');
  }
  if (birth.key < now.key - MAX_AGE_YEARS * 10_000) {
    return fail(
      'birth_date_out_of_range',
      `the date of birth is more than ${MAX_AGE_YEARS} years ago`,
    );
  }
  if (!ISO3166_ALPHA3.has(doc.nationality)) {
    return fail('nationality_invalid', 'the nationality is not an ISO 3166-1 alpha-2 code');
  }
  if (doc.fullName.replace(INVISIBLE, '') === '') {
    return fail('full_name_missing', 'the full name has no visible character');
  }

  if (nationalId === undefined) return checkMachineReadable(doc, birth, now);
  if (doc.mrz !== undefined && doc.mrz.trim() !== '') {
    return fail('mrz_not_applicable', 'an MRZ is only accepted with passport or id_card documents');
  }
  return nationalId.check(normaliseDocumentNumber(doc.documentNumber), birth, now);
}
