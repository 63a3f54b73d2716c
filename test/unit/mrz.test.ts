import { describe, expect, it } from 'vitest';
import { mrzCheckDigit, parseMrz } from '../../src/registration/mrz.js';

/** ICAO Doc 9303 part 4 specimen passport (TD3). */
const TD3_SPECIMEN = [
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
  'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
] as const;

/** ICAO Doc 9303 part 5 specimen ID card (TD1). */
const TD1_SPECIMEN = [
  'I<UTOD231458907<<<<<<<<<<<<<<<',
  '7408122F1204159UTO<<<<<<<<<<<6',
  'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
] as const;

/** ICAO Doc 9303 part 5 specimen of a TD1 document number longer than 9 characters. */
const TD1_LONG_NUMBER_SPECIMEN = [
  'I<UTOD23145890<7349<<<<<<<<<<<',
  '3407127M9507122UTO<<<<<<<<<<<2',
  'STEVENSON<<PETER<JOHN<<<<<<<<<',
] as const;

const MRZ_VALUES = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const WEIGHTS = [7, 3, 1];

/** Independent reimplementation, so a broken `mrzCheckDigit` cannot agree with itself. */
function referenceCheckDigit(field: string): string {
  let sum = 0;
  for (let i = 0; i < field.length; i++) {
    const char = field.charAt(i);
    sum += (char === '<' ? 0 : MRZ_VALUES.indexOf(char)) * (WEIGHTS[i % 3] ?? 0);
  }
  return String(sum % 10);
}

function replaceAt(line: string, index: number, char: string): string {
  return line.slice(0, index) + char + line.slice(index + 1);
}

function setField(line: string, start: number, value: string): string {
  return line.slice(0, start) + value + line.slice(start + value.length);
}

/**
 * A different character that changes the check digit: '<' (0) becomes 'B' (11), since 'A' (10)
 * adds a multiple of 10 and leaves every check digit unchanged.
 */
function mutate(char: string): string {
  if (char >= '0' && char <= '9') return String((Number(char) + 1) % 10);
  if (char === '<') return 'B';
  return char === 'Z' ? 'A' : String.fromCharCode(char.charCodeAt(0) + 1);
}

/** Corrupts one character of one line of a specimen. */
function corrupt(lines: readonly string[], line: number, index: number): string {
  return lines
    .map((text, i) => (i === line ? replaceAt(text, index, mutate(text.charAt(index))) : text))
    .join('\n');
}

/** Rewrites the TD3 lower line's check digits after editing its fields. */
function resealTd3(lower: string, personalCheck?: string): string {
  const withNumber = replaceAt(lower, 9, referenceCheckDigit(lower.slice(0, 9)));
  const withBirth = replaceAt(withNumber, 19, referenceCheckDigit(withNumber.slice(13, 19)));
  const withExpiry = replaceAt(withBirth, 27, referenceCheckDigit(withBirth.slice(21, 27)));
  const withPersonal = replaceAt(
    withExpiry,
    42,
    personalCheck ?? referenceCheckDigit(withExpiry.slice(28, 42)),
  );
  const composite =
    withPersonal.slice(0, 10) + withPersonal.slice(13, 20) + withPersonal.slice(21, 43);
  return replaceAt(withPersonal, 43, referenceCheckDigit(composite));
}

describe('mrzCheckDigit', () => {
  it('reproduces the check digits printed on the TD3 specimen', () => {
    const lower = TD3_SPECIMEN[1];
    expect(mrzCheckDigit('L898902C3')).toBe(6);
    expect(mrzCheckDigit('740812')).toBe(2);
    expect(mrzCheckDigit('120415')).toBe(9);
    expect(mrzCheckDigit('ZE184226B<<<<<')).toBe(1);
    expect(mrzCheckDigit(lower.slice(0, 10) + lower.slice(13, 20) + lower.slice(21, 43))).toBe(0);
  });

  it('reproduces the check digits printed on the TD1 specimens', () => {
    expect(mrzCheckDigit('D23145890')).toBe(7);
    expect(mrzCheckDigit('D23145890734')).toBe(9);
    const [upper, middle] = TD1_SPECIMEN;
    const composite =
      upper.slice(5) + middle.slice(0, 7) + middle.slice(8, 15) + middle.slice(18, 29);
    expect(mrzCheckDigit(composite)).toBe(6);
  });

  it('counts fillers as zero and letters as 10 to 35 (A*7=70, Z*7=245, Z*3=105)', () => {
    expect(mrzCheckDigit('<<<<<<<<<')).toBe(0);
    expect(mrzCheckDigit('A')).toBe(0);
    expect(mrzCheckDigit('Z')).toBe(5);
    expect(mrzCheckDigit('<Z')).toBe(5);
    expect(mrzCheckDigit('<<Z')).toBe(5);
    expect(mrzCheckDigit('<<<1')).toBe(7);
  });

  it('agrees with the reference implementation on arbitrary fields', () => {
    for (const field of ['AB1234567', 'E12345678', 'X<Y<Z<0', '999999999999999', 'MZ<<A7']) {
      expect(String(mrzCheckDigit(field))).toBe(referenceCheckDigit(field));
    }
  });

  it('rejects characters outside the MRZ alphabet', () => {
    expect(() => mrzCheckDigit('ab12')).toThrow(RangeError);
    expect(() => mrzCheckDigit('12 34')).toThrow(RangeError);
  });
});

describe('parseMrz on the ICAO specimens', () => {
  it('parses the TD3 specimen passport (issuing state not compared at this level)', () => {
    expect(parseMrz(TD3_SPECIMEN.join('\n'))).toEqual({
      ok: true,
      mrz: {
        format: 'TD3',
        documentCode: 'P',
        issuingState: 'UTO',
        documentNumber: 'L898902C3',
        nationality: 'UTO',
        birthDate: '740812',
        sex: 'F',
        expiryDate: '120415',
        personalNumber: 'ZE184226B',
      },
    });
  });

  it('parses the TD1 specimen ID card', () => {
    expect(parseMrz(TD1_SPECIMEN.join('\n'))).toEqual({
      ok: true,
      mrz: {
        format: 'TD1',
        documentCode: 'I',
        issuingState: 'UTO',
        documentNumber: 'D23145890',
        nationality: 'UTO',
        birthDate: '740812',
        sex: 'F',
        expiryDate: '120415',
      },
    });
  });

  it('joins a TD1 long document number that overflows into the optional data', () => {
    const result = parseMrz(TD1_LONG_NUMBER_SPECIMEN.join('\n'));
    expect(result.ok && result.mrz.documentNumber).toBe('D23145890734');
    expect(result.ok && result.mrz.birthDate).toBe('340712');
  });

  it('tolerates lower case, CRLF and surrounding whitespace', () => {
    const text = `  ${TD3_SPECIMEN[0].toLowerCase()}\r\n${TD3_SPECIMEN[1]}  \n`;
    expect(parseMrz(text).ok).toBe(true);
  });
});

describe('parseMrz check digits', () => {
  it.each([
    ['TD3 document number', TD3_SPECIMEN, 1, 4, 'mrz_document_number_check_digit'],
    ['TD3 document number check digit', TD3_SPECIMEN, 1, 9, 'mrz_document_number_check_digit'],
    ['TD3 birth date', TD3_SPECIMEN, 1, 14, 'mrz_birth_date_check_digit'],
    ['TD3 birth date check digit', TD3_SPECIMEN, 1, 19, 'mrz_birth_date_check_digit'],
    ['TD3 expiry date', TD3_SPECIMEN, 1, 22, 'mrz_expiry_check_digit'],
    ['TD3 expiry check digit', TD3_SPECIMEN, 1, 27, 'mrz_expiry_check_digit'],
    ['TD3 personal number', TD3_SPECIMEN, 1, 30, 'mrz_personal_number_check_digit'],
    ['TD3 personal number check digit', TD3_SPECIMEN, 1, 42, 'mrz_personal_number_check_digit'],
    ['TD3 composite check digit', TD3_SPECIMEN, 1, 43, 'mrz_composite_check_digit'],
    ['TD1 document number', TD1_SPECIMEN, 0, 7, 'mrz_document_number_check_digit'],
    ['TD1 document number check digit', TD1_SPECIMEN, 0, 14, 'mrz_document_number_check_digit'],
    ['TD1 optional data 1', TD1_SPECIMEN, 0, 20, 'mrz_composite_check_digit'],
    ['TD1 birth date', TD1_SPECIMEN, 1, 1, 'mrz_birth_date_check_digit'],
    ['TD1 birth date check digit', TD1_SPECIMEN, 1, 6, 'mrz_birth_date_check_digit'],
    ['TD1 expiry date', TD1_SPECIMEN, 1, 9, 'mrz_expiry_check_digit'],
    ['TD1 expiry check digit', TD1_SPECIMEN, 1, 14, 'mrz_expiry_check_digit'],
    ['TD1 optional data 2', TD1_SPECIMEN, 1, 20, 'mrz_composite_check_digit'],
    ['TD1 composite check digit', TD1_SPECIMEN, 1, 29, 'mrz_composite_check_digit'],
    [
      'TD1 long number overflow',
      TD1_LONG_NUMBER_SPECIMEN,
      0,
      16,
      'mrz_document_number_check_digit',
    ],
    [
      'TD1 long number check digit',
      TD1_LONG_NUMBER_SPECIMEN,
      0,
      18,
      'mrz_document_number_check_digit',
    ],
  ] as const)('detects a corrupted %s', (_name, specimen, line, index, check) => {
    const result = parseMrz(corrupt(specimen, line, index));
    expect(result).toMatchObject({ ok: false, check });
  });

  it('does not check the name fields', () => {
    expect(parseMrz(corrupt(TD3_SPECIMEN, 0, 8)).ok).toBe(true);
    expect(parseMrz(corrupt(TD1_SPECIMEN, 2, 3)).ok).toBe(true);
  });

  it("accepts '<' as the check digit of an unused personal number only", () => {
    const unused = resealTd3(setField(TD3_SPECIMEN[1], 28, '<'.repeat(14)), '<');
    expect(parseMrz(`${TD3_SPECIMEN[0]}\n${unused}`).ok).toBe(true);
    const used = resealTd3(TD3_SPECIMEN[1], '<');
    expect(parseMrz(`${TD3_SPECIMEN[0]}\n${used}`)).toMatchObject({
      ok: false,
      check: 'mrz_personal_number_check_digit',
    });
  });

  it('accepts an unknown birth day and month written as fillers', () => {
    const lower = resealTd3(setField(TD3_SPECIMEN[1], 13, '74<<<<'));
    const result = parseMrz(`${TD3_SPECIMEN[0]}\n${lower}`);
    expect(result.ok && result.mrz.birthDate).toBe('74<<<<');
  });
});

describe('parseMrz structure', () => {
  it('rejects lines of the wrong length or count', () => {
    for (const text of [
      TD3_SPECIMEN[0],
      `${TD3_SPECIMEN[0]}\n${TD3_SPECIMEN[1].slice(0, 43)}`,
      `${TD3_SPECIMEN.join('\n')}\n${TD3_SPECIMEN[1]}`,
      TD1_SPECIMEN.slice(0, 2).join('\n'),
      `${TD1_SPECIMEN[0]}\n\n${TD1_SPECIMEN[1]}\n${TD1_SPECIMEN[2]}`,
      '',
    ]) {
      expect(parseMrz(text)).toMatchObject({ ok: false, check: 'mrz_format' });
    }
  });

  it('rejects characters outside A-Z, 0-9 and <', () => {
    const text = TD3_SPECIMEN.join('\n').replace('ANNA<MARIA', 'ANNA MARIA');
    expect(parseMrz(text)).toMatchObject({ ok: false, check: 'mrz_format' });
  });

  it("requires a TD3 document code starting with 'P'", () => {
    const text = `V${TD3_SPECIMEN[0].slice(1)}\n${TD3_SPECIMEN[1]}`;
    expect(parseMrz(text)).toMatchObject({ ok: false, check: 'mrz_document_code' });
  });

  it("requires a TD1 document code starting with 'I', 'A' or 'C'", () => {
    for (const code of ['A', 'C']) {
      const upper = `${code}${TD1_SPECIMEN[0].slice(1)}`;
      expect(parseMrz([upper, TD1_SPECIMEN[1], TD1_SPECIMEN[2]].join('\n')).ok).toBe(true);
    }
    const passportCode = `P${TD1_SPECIMEN[0].slice(1)}`;
    expect(parseMrz([passportCode, TD1_SPECIMEN[1], TD1_SPECIMEN[2]].join('\n'))).toMatchObject({
      ok: false,
      check: 'mrz_document_code',
    });
  });

  it('rejects a TD1 overflow marker without an overflowing number', () => {
    const upper = 'I<UTOD23145890<<<<<<<<<<<<<<<<';
    const text = [upper, TD1_SPECIMEN[1], TD1_SPECIMEN[2]].join('\n');
    expect(parseMrz(text)).toMatchObject({ ok: false, check: 'mrz_format' });
  });

  it.each([
    ['birth month 13', 13, '741312'],
    ['birth day 32', 13, '740832'],
    ['expiry day 32', 21, '120432'],
    ['expiry with unknown parts', 21, '12<<<<'],
    ['sex Q', 20, 'Q'],
  ])('rejects %s even with matching check digits', (_name, start, value) => {
    const lower = resealTd3(setField(TD3_SPECIMEN[1], start, value));
    expect(parseMrz(`${TD3_SPECIMEN[0]}\n${lower}`)).toMatchObject({
      ok: false,
      check: 'mrz_format',
    });
  });

  it('rejects a digit in the issuing state', () => {
    const upper = replaceAt(TD3_SPECIMEN[0], 3, '7');
    expect(parseMrz(`${upper}\n${TD3_SPECIMEN[1]}`)).toMatchObject({
      ok: false,
      check: 'mrz_format',
    });
  });
});
