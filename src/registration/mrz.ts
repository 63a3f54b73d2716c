/**
 * ICAO Doc 9303 machine readable zone parsing: layout, character set, document code and check
 * digits only. Comparing the MRZ with the rest of the application (issuing state, number, birth
 * date, expiry) needs `today` and the declared data, and is done in documents.ts.
 */

export type MrzFormat = 'TD1' | 'TD3';

export type MrzCheckCode =
  | 'mrz_format'
  | 'mrz_document_code'
  | 'mrz_document_number_check_digit'
  | 'mrz_birth_date_check_digit'
  | 'mrz_expiry_check_digit'
  | 'mrz_personal_number_check_digit'
  | 'mrz_composite_check_digit';

export interface ParsedMrz {
  format: MrzFormat;
  /** Fillers stripped, e.g. `P`, `PT`, `I`, `ID`. */
  documentCode: string;
  /** Fillers stripped, e.g. `THA`, or `D` for Germany. */
  issuingState: string;
  /** Fillers stripped; for TD1 including the part that overflowed into the optional data. */
  documentNumber: string;
  nationality: string;
  /** YYMMDD as printed; an unknown month or day is `<<`. */
  birthDate: string;
  /** `M`, `F`, `X` or `<`. */
  sex: string;
  /** YYMMDD. */
  expiryDate: string;
  /** TD3 only, fillers stripped: the optional personal number (e.g. a Thai national ID). */
  personalNumber?: string;
}

export type MrzParseResult =
  | { ok: true; mrz: ParsedMrz }
  | { ok: false; check: MrzCheckCode; detail: string };

const LINE_BREAK = /\r?\n/;
const MRZ_LINE = /^[A-Z0-9<]+$/;
/** A state or nationality code: 1 to 3 letters padded with fillers (`D<<`). */
const STATE_CODE = /^[A-Z]{1,3}<{0,2}$/;
const DOCUMENT_NUMBER_FIELD = /^[A-Z0-9]+<*$/;
const BIRTH_DATE = /^\d\d(?:0[1-9]|1[0-2]|<<)(?:0[1-9]|[12]\d|3[01]|<<)$/;
const EXPIRY_DATE = /^\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$/;
const SEX = /^[MFX<]$/;
const FILLERS = /</g;
const CHECK_WEIGHTS = [7, 3, 1] as const;
const CODE_0 = 48;
const CODE_9 = 57;
const CODE_A = 65;
const CODE_Z = 90;
const CODE_FILLER = 60;

/** The 9303 check digit of `field`: weights 7, 3, 1 repeating; `<` = 0, `A`-`Z` = 10-35. */
export function mrzCheckDigit(field: string): number {
  let sum = 0;
  for (let i = 0; i < field.length; i++) {
    const code = field.charCodeAt(i);
    let value: number;
    if (code >= CODE_0 && code <= CODE_9) value = code - CODE_0;
    else if (code >= CODE_A && code <= CODE_Z) value = code - CODE_A + 10;
    else if (code === CODE_FILLER) value = 0;
    else throw new RangeError('MRZ fields may only contain 0-9, A-Z and <');
    sum += value * (CHECK_WEIGHTS[i % 3] ?? 0);
  }
  return sum % 10;
}

function checkDigitMatches(field: string, digit: string): boolean {
  return (
    digit.length === 1 && digit >= '0' && digit <= '9' && Number(digit) === mrzCheckDigit(field)
  );
}

function fail(check: MrzCheckCode, detail: string): MrzParseResult {
  return { ok: false, check, detail };
}

const LAYOUT_DETAIL =
  'the MRZ must be 2 lines of 44 characters (TD3 passport) or 3 lines of 30 characters (TD1 card)';

/**
 * Parses a TD3 (2 x 44) or TD1 (3 x 30) MRZ given as lines separated by `\n` and verifies its
 * check digits. Lower case is accepted and surrounding whitespace ignored; nothing else is
 * corrected (no OCR confusions such as `O` for `0`).
 */
export function parseMrz(text: string): MrzParseResult {
  const lines = text
    .trim()
    .toUpperCase()
    .split(LINE_BREAK)
    .map((line) => line.trim());
  const [first = '', second = '', third] = lines;
  let format: MrzFormat;
  if (lines.length === 2 && first.length === 44 && second.length === 44) format = 'TD3';
  else if (
    lines.length === 3 &&
    first.length === 30 &&
    second.length === 30 &&
    third?.length === 30
  )
    format = 'TD1';
  else return fail('mrz_format', LAYOUT_DETAIL);
  if (!lines.every((line) => MRZ_LINE.test(line))) {
    return fail('mrz_format', "the MRZ may only contain the characters A-Z, 0-9 and '<'");
  }
  return format === 'TD3' ? parseTd3(first, second) : parseTd1(first, second);
}

interface Fields {
  format: MrzFormat;
  documentCode: string;
  issuingState: string;
  numberField: string;
  number: string;
  numberCheck: string;
  nationality: string;
  birthDate: string;
  birthCheck: string;
  sex: string;
  expiryDate: string;
  expiryCheck: string;
  /**
   * TD3 only: the personal number field and its check digit, which 9303 part 4 lets be `<`
   * instead of 0 when the field is unused.
   */
  personalNumber?: string;
  personalCheck?: string;
  composite: string;
  compositeCheck: string;
}

function parseTd3(upper: string, lower: string): MrzParseResult {
  if (upper[0] !== 'P') {
    return fail('mrz_document_code', "a passport MRZ document code must start with 'P'");
  }
  return verify({
    format: 'TD3',
    documentCode: upper.slice(0, 2),
    issuingState: upper.slice(2, 5),
    numberField: lower.slice(0, 9),
    number: lower.slice(0, 9),
    numberCheck: lower.slice(9, 10),
    nationality: lower.slice(10, 13),
    birthDate: lower.slice(13, 19),
    birthCheck: lower.slice(19, 20),
    sex: lower.slice(20, 21),
    expiryDate: lower.slice(21, 27),
    expiryCheck: lower.slice(27, 28),
    personalNumber: lower.slice(28, 42),
    personalCheck: lower.slice(42, 43),
    composite: lower.slice(0, 10) + lower.slice(13, 20) + lower.slice(21, 43),
    compositeCheck: lower.slice(43, 44),
  });
}

/**
 * 9303 part 5: a document number longer than 9 characters has a filler in place of its check
 * digit and continues at the start of the optional data, followed by its check digit (computed
 * over the whole number) and a filler.
 */
function parseTd1(upper: string, middle: string): MrzParseResult {
  const code = upper[0];
  if (code !== 'I' && code !== 'A' && code !== 'C') {
    return fail(
      'mrz_document_code',
      "an ID card MRZ document code must start with 'I', 'A' or 'C'",
    );
  }
  const numberField = upper.slice(5, 14);
  let number = numberField;
  let numberCheck = upper.slice(14, 15);
  if (numberCheck === '<') {
    const optional = upper.slice(15, 30);
    const end = optional.indexOf('<');
    const overflow = end === -1 ? optional : optional.slice(0, end);
    if (overflow.length < 2 || numberField.includes('<')) {
      return fail('mrz_format', 'the MRZ long document number overflow is malformed');
    }
    number = numberField + overflow.slice(0, -1);
    numberCheck = overflow.slice(-1);
  }
  return verify({
    format: 'TD1',
    documentCode: upper.slice(0, 2),
    issuingState: upper.slice(2, 5),
    numberField,
    number,
    numberCheck,
    nationality: middle.slice(15, 18),
    birthDate: middle.slice(0, 6),
    birthCheck: middle.slice(6, 7),
    sex: middle.slice(7, 8),
    expiryDate: middle.slice(8, 14),
    expiryCheck: middle.slice(14, 15),
    composite: upper.slice(5, 30) + middle.slice(0, 7) + middle.slice(8, 15) + middle.slice(18, 29),
    compositeCheck: middle.slice(29, 30),
  });
}

function verify(f: Fields): MrzParseResult {
  if (!STATE_CODE.test(f.issuingState)) {
    return fail('mrz_format', 'the MRZ issuing state is not a letter code');
  }
  if (!STATE_CODE.test(f.nationality)) {
    return fail('mrz_format', 'the MRZ nationality is not a letter code');
  }
  if (!DOCUMENT_NUMBER_FIELD.test(f.numberField)) {
    return fail('mrz_format', 'the MRZ document number field is empty or has embedded fillers');
  }
  if (!BIRTH_DATE.test(f.birthDate)) {
    return fail('mrz_format', 'the MRZ birth date is not a YYMMDD date');
  }
  if (!EXPIRY_DATE.test(f.expiryDate)) {
    return fail('mrz_format', 'the MRZ expiry date is not a YYMMDD date');
  }
  if (!SEX.test(f.sex)) {
    return fail('mrz_format', "the MRZ sex field is not 'M', 'F', 'X' or '<'");
  }
  if (!checkDigitMatches(f.number, f.numberCheck)) {
    return fail(
      'mrz_document_number_check_digit',
      'the MRZ document number check digit does not match',
    );
  }
  if (!checkDigitMatches(f.birthDate, f.birthCheck)) {
    return fail('mrz_birth_date_check_digit', 'the MRZ birth date check digit does not match');
  }
  if (!checkDigitMatches(f.expiryDate, f.expiryCheck)) {
    return fail('mrz_expiry_check_digit', 'the MRZ expiry date check digit does not match');
  }
  if (f.personalNumber !== undefined && f.personalCheck !== undefined) {
    const unused = f.personalCheck === '<' && f.personalNumber.replace(FILLERS, '') === '';
    if (!unused && !checkDigitMatches(f.personalNumber, f.personalCheck)) {
      return fail(
        'mrz_personal_number_check_digit',
        'the MRZ personal number check digit does not match',
      );
    }
  }
  if (!checkDigitMatches(f.composite, f.compositeCheck)) {
    return fail('mrz_composite_check_digit', 'the MRZ composite check digit does not match');
  }
  return {
    ok: true,
    mrz: {
      format: f.format,
      documentCode: f.documentCode.replace(FILLERS, ''),
      issuingState: f.issuingState.replace(FILLERS, ''),
      documentNumber: f.number.replace(FILLERS, ''),
      nationality: f.nationality.replace(FILLERS, ''),
      birthDate: f.birthDate,
      sex: f.sex,
      expiryDate: f.expiryDate,
      ...(f.personalNumber === undefined
        ? {}
        : { personalNumber: f.personalNumber.replace(FILLERS, '') }),
    },
  };
}
