import { ISO3166_ALPHA3, isMrzCodeFor, MRZ_UNSPECIFIED_NATIONALITIES } from './countries.js';
import { type MrzCheckCode, parseMrz } from './mrz.js';

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
  | { ok: true; normalisedNumber: string }
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
  | 'cn_id_birth_date'
  | 'cn_id_birth_date_mismatch'
  | 'vn_cccd_format'
  | 'vn_cccd_province'
  | 'vn_cccd_century_sex'
  | 'vn_cccd_birth_year'
  | 'mm_nrc_format'
  | 'mm_nrc_state'
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

const SEPARATORS = /[\s-]+/g;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MRZ_DOCUMENT_NUMBER = /^[A-Z0-9]+$/;
const THAI_ID = /^\d{13}$/;
const CHINESE_ID = /^\d{17}[\dX]$/;
const VIETNAMESE_CCCD = /^\d{12}$/;
const MYANMAR_NRC = /^(\d{1,2})\/([A-Z]{3,9})\((NAING|N|E|P|A|F|S|TH|T|Y)\)(\d{6})$/;
const KHMER_ID = /^(\d{9})(?:\(\d\))?$/;
const LAO_ID = /^\d{9,12}$/;

const MAX_AGE_YEARS = 130;

const CN_CHECK_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CN_CHECK_CHARACTERS = '10X98765432';

/**
 * First two digits of a resident identity number: the GB/T 2260 province-level divisions
 * (11-15 north, 21-23 north-east, 31-37 east, 41-46 south-central, 50-54 south-west, 61-65
 * north-west), 71 Taiwan as listed in GB/T 2260, 81 Hong Kong, 82 Macao and 83 Taiwan as used by
 * the residence permits for Hong Kong, Macao and Taiwan residents (numbers 810000/820000/830000
 * + birth date), and 91, which GB/T 2260-derived validators list for citizens residing abroad.
 */
const CN_AREA_CODES: ReadonlySet<string> = new Set([
  ...['11', '12', '13', '14', '15', '21', '22', '23'],
  ...['31', '32', '33', '34', '35', '36', '37'],
  ...['41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54'],
  ...['61', '62', '63', '64', '65', '71', '81', '82', '83', '91'],
]);

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

/**
 * Transliterations of the NRC citizenship marks; `NAING` is the long form of `N`, and `TH`/`T`
 * both transliterate သ (religious), so they are folded to keep one identity key per card.
 */
const MM_CITIZENSHIP_CANONICAL: ReadonlyMap<string, string> = new Map([
  ['NAING', 'N'],
  ['TH', 'T'],
]);

const ID_CARD_COUNTRIES: ReadonlySet<string> = new Set(['KH']);

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

function compact(documentNumber: string): string {
  return documentNumber.replace(SEPARATORS, '').toUpperCase();
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

/** Chinese resident identity number (GB 11643-1999): area, birth date, sequence, MOD 11-2. */
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
  if (!CN_AREA_CODES.has(number.slice(0, 2))) {
    return fail(
      'cn_id_area',
      'the Chinese resident identity number area code is not a known province-level code',
    );
  }
  const encoded = digitsToDate(number.slice(6, 10), number.slice(10, 12), number.slice(12, 14));
  if (encoded === undefined || encoded.year < 1900 || encoded.key > today.key) {
    return fail(
      'cn_id_birth_date',
      'the birth date in the Chinese resident identity number is not a plausible date',
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
 * Vietnamese citizen identity (CCCD) number: 3-digit province, a century/sex digit (0/1 = male/
 * female born 19xx, 2/3 = 20xx, 4/5 = 21xx, ...), 2-digit birth year, 6 random digits. The old
 * 9-digit CMND is not accepted.
 */
function checkVietnameseCccd(number: string, birth: CivilDate): DocumentCheck {
  if (!VIETNAMESE_CCCD.test(number)) {
    return fail('vn_cccd_format', 'the Vietnamese citizen identity number must be 12 digits');
  }
  if (!VN_PROVINCE_CODES.has(number.slice(0, 3))) {
    return fail(
      'vn_cccd_province',
      'the Vietnamese citizen identity number province code is not a known province',
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

/**
 * Myanmar NRC in Latin transliteration, `{state 1-14}/{township}({citizenship}){6 digits}`.
 * The township is checked as 3-9 letters, not against the township list, so a short form
 * (`OKM`) and the full form (`OUKAMA`) give different keys; Myanmar-script NRCs are not accepted.
 */
function checkMyanmarNrc(number: string): DocumentCheck {
  const match = MYANMAR_NRC.exec(number);
  if (match === null) {
    return fail(
      'mm_nrc_format',
      'the Myanmar NRC must be {state}/{township}({citizenship}) and 6 digits',
    );
  }
  const [, state = '', township = '', citizenship = '', serial = ''] = match;
  const stateNumber = Number(state);
  if (stateNumber < 1 || stateNumber > 14) {
    return fail('mm_nrc_state', 'the Myanmar NRC state/region number must be 1 to 14');
  }
  const mark = MM_CITIZENSHIP_CANONICAL.get(citizenship) ?? citizenship;
  return ok(`${stateNumber}/${township}(${mark})${serial}`);
}

/**
 * Khmer identity card number: 9 digits. Older cards print a further digit in parentheses after
 * it; its algorithm is not public, so it is accepted but not verified and dropped from the key.
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
 * Lao national ID card number. No structure or check digit for it is publicly documented, so
 * this assumes the printed number is 9 to 12 ASCII digits and accepts nothing else (no letters,
 * no Lao digits). A Lao passport gives the stronger MRZ checks.
 */
function checkLaoId(number: string): DocumentCheck {
  if (!LAO_ID.test(number)) {
    return fail('la_id_format', 'the Lao national ID must be 9 to 12 digits');
  }
  return ok(number);
}

const NATIONAL_IDS: ReadonlyMap<string, NationalIdRule> = new Map([
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
        'NRC {state 1-14}/{township letters}({citizenship}){6 digits}, e.g. 12/OUKAMA(N)123456',
      check: checkMyanmarNrc,
    },
  ],
  [
    'KH',
    { format: '9 digits, optionally followed by a digit in parentheses', check: checkKhmerId },
  ],
  ['LA', { format: '9 to 12 digits', check: checkLaoId }],
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
  const number = compact(doc.documentNumber);
  if (!MRZ_DOCUMENT_NUMBER.test(number)) {
    return fail(
      'document_number_format',
      'the document number may only contain letters and digits',
    );
  }
  if (doc.mrz === undefined || doc.mrz.trim() === '') {
    return fail('mrz_missing', 'the MRZ is required for passports and ID cards');
  }
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
  return ok(number);
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
  if (birth.key > now.key) {
    return fail('birth_date_out_of_range', 'the date of birth is in the future');
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
  if (doc.fullName.trim() === '') {
    return fail('full_name_missing', 'the full name is empty');
  }

  if (nationalId === undefined) return checkMachineReadable(doc, birth, now);
  if (doc.mrz !== undefined && doc.mrz.trim() !== '') {
    return fail('mrz_not_applicable', 'an MRZ is only accepted with passport or id_card documents');
  }
  return nationalId.check(compact(doc.documentNumber), birth, now);
}
