import { describe, expect, it } from 'vitest';
import {
  checkDocument,
  type DocumentCheck,
  SUPPORTED_DOCUMENTS,
  type SubscriberDocument,
} from '../../src/registration/documents.js';

const TODAY = new Date('2026-03-15T10:00:00Z');

const MRZ_VALUES = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const MRZ_WEIGHTS = [7, 3, 1];

/** ICAO 9303 check digit, written independently of the implementation under test. */
function cd(field: string): string {
  let sum = 0;
  for (let i = 0; i < field.length; i++) {
    const char = field.charAt(i);
    sum += (char === '<' ? 0 : MRZ_VALUES.indexOf(char)) * (MRZ_WEIGHTS[i % 3] ?? 0);
  }
  return String(sum % 10);
}

function pad(value: string, length: number): string {
  return value.padEnd(length, '<');
}

interface MrzInput {
  code?: string;
  state: string;
  number: string;
  nationality: string;
  birth: string;
  expiry: string;
  sex?: string;
  optional?: string;
}

/** A TD3 passport MRZ with correct check digits. */
function td3(m: MrzInput): string {
  const number = pad(m.number, 9);
  const personal = pad(m.optional ?? '', 14);
  const lower =
    number +
    cd(number) +
    pad(m.nationality, 3) +
    m.birth +
    cd(m.birth) +
    (m.sex ?? 'F') +
    m.expiry +
    cd(m.expiry) +
    personal +
    cd(personal);
  const composite = lower.slice(0, 10) + lower.slice(13, 20) + lower.slice(21, 43);
  const upper = pad(`${m.code ?? 'P<'}${pad(m.state, 3)}SAMPLE<<HOLDER`, 44);
  return `${upper}\n${lower}${cd(composite)}`;
}

/** A TD1 card MRZ with correct check digits, using the long-number overflow past 9 characters. */
function td1(m: MrzInput): string {
  const numberPart =
    m.number.length <= 9
      ? pad(m.number, 9) + cd(pad(m.number, 9)) + pad(m.optional ?? '', 15)
      : `${m.number.slice(0, 9)}<${pad(m.number.slice(9) + cd(m.number), 15)}`;
  const upper = `${m.code ?? 'ID'}${pad(m.state, 3)}${numberPart}`;
  const middle =
    m.birth +
    cd(m.birth) +
    (m.sex ?? 'M') +
    m.expiry +
    cd(m.expiry) +
    pad(m.nationality, 3) +
    pad('', 11);
  const composite =
    upper.slice(5) + middle.slice(0, 7) + middle.slice(8, 15) + middle.slice(18, 29);
  return [upper, middle + cd(composite), pad('SAMPLE<<HOLDER', 30)].join('\n');
}

/** Replaces one MRZ character by another that changes its value modulo 10. */
function corrupt(mrz: string, line: number, index: number): string {
  return mrz
    .split('\n')
    .map((text, i) => {
      if (i !== line) return text;
      const char = text.charAt(index);
      let replacement: string;
      if (char >= '0' && char <= '9') replacement = String((Number(char) + 1) % 10);
      else if (char === '<') replacement = 'B';
      else replacement = char === 'Z' ? 'A' : String.fromCharCode(char.charCodeAt(0) + 1);
      return text.slice(0, index) + replacement + text.slice(index + 1);
    })
    .join('\n');
}

/** Thai ID check digit computed in the test: (11 - Σ d_i (13 - i) mod 11) mod 10. */
function thaiId(first12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (13 - i);
  return `${first12}${(11 - (sum % 11)) % 10}`;
}

/** Chinese ID check character computed in the test (ISO 7064 MOD 11-2). */
function chineseId(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (weights[i] ?? 0);
  return `${first17}${'10X98765432'[sum % 11]}`;
}

const BASE = { fullName: 'Somchai Jaidee', dateOfBirth: '1985-07-09' } as const;

function nationalId(
  documentCountry: string,
  documentNumber: string,
  extra: Partial<SubscriberDocument> = {},
): SubscriberDocument {
  return {
    ...BASE,
    documentType: 'national_id',
    documentCountry,
    documentNumber,
    nationality: documentCountry,
    ...extra,
  };
}

const THAI_PASSPORT: SubscriberDocument = {
  ...BASE,
  documentType: 'passport',
  documentCountry: 'TH',
  documentNumber: 'AA1234567',
  nationality: 'TH',
  mrz: td3({
    state: 'THA',
    number: 'AA1234567',
    nationality: 'THA',
    birth: '850709',
    expiry: '300101',
  }),
};

const CHINESE_PASSPORT: SubscriberDocument = {
  documentType: 'passport',
  documentCountry: 'CN',
  documentNumber: 'E12345678',
  nationality: 'CN',
  fullName: 'Wang Wei',
  dateOfBirth: '1990-02-28',
  mrz: td3({
    state: 'CHN',
    number: 'E12345678',
    nationality: 'CHN',
    birth: '900228',
    expiry: '290630',
    sex: 'M',
  }),
};

const KHMER_ID_CARD: SubscriberDocument = {
  documentType: 'id_card',
  documentCountry: 'KH',
  documentNumber: '010123456',
  nationality: 'KH',
  fullName: 'Sok Dara',
  dateOfBirth: '1992-11-03',
  mrz: td1({
    state: 'KHM',
    number: '010123456',
    nationality: 'KHM',
    birth: '921103',
    expiry: '320501',
  }),
};

function check(doc: SubscriberDocument, today: Date = TODAY): DocumentCheck {
  return checkDocument(doc, today);
}

function expectFailure(doc: SubscriberDocument, code: string): void {
  expect(check(doc)).toMatchObject({ ok: false, check: code });
}

describe('Thai national ID', () => {
  it('accepts a valid number and strips dashes and spaces', () => {
    const id = thaiId('310060001234');
    expect(check(nationalId('TH', id))).toEqual({ ok: true, normalisedNumber: id });
    const spaced = `${id.slice(0, 1)}-${id.slice(1, 5)}-${id.slice(5, 10)} ${id.slice(10, 12)}-${id.slice(12)}`;
    expect(check(nationalId('TH', spaced))).toEqual({ ok: true, normalisedNumber: id });
  });

  it('accepts a hard-coded number verified by hand (sum 144, 144 mod 11 = 1, check 0)', () => {
    expect(check(nationalId('TH', '1-1017-00203-45-0'))).toEqual({
      ok: true,
      normalisedNumber: '1101700203450',
    });
  });

  it.each([
    ['fullwidth digits', '１１０１７００２０３４５０'],
    ['Thai digits', '๑๑๐๑๗๐๐๒๐๓๔๕๐'],
    ['en dashes', '1–1017–00203–45–0'],
    ['Unicode hyphens and minus sign', '1‐1017‑00203−45―0'],
    ['fullwidth and small hyphen-minus', '1－1017﹣00203-45-0'],
    ['no-break, ideographic and zero-width spaces', '1\u00A01017\u300000203\u200B45\u20600'],
  ])('normalises %s to one number instead of refusing them', (_name, written) => {
    expect(check(nationalId('TH', written))).toEqual({
      ok: true,
      normalisedNumber: '1101700203450',
    });
  });

  it('rejects every other checksum digit', () => {
    for (let digit = 1; digit <= 9; digit++) {
      expectFailure(nationalId('TH', `110170020345${digit}`), 'th_id_checksum');
    }
  });

  it('rejects numbers that are not 13 digits', () => {
    for (const number of ['110170020345', '11017002034500', '11017002034A0', '']) {
      expectFailure(nationalId('TH', number), 'th_id_format');
    }
  });

  it('rejects category digits 0 and 9 even with a valid checksum', () => {
    expectFailure(nationalId('TH', thaiId('010170020345')), 'th_id_category');
    expectFailure(nationalId('TH', thaiId('910170020345')), 'th_id_category');
    for (const first of '12345678') {
      expect(check(nationalId('TH', thaiId(`${first}10170020345`))).ok).toBe(true);
    }
  });
});

describe('Chinese resident identity number', () => {
  const holder = { dateOfBirth: '1949-12-31' };

  it('normalises a fullwidth number and check character', () => {
    expect(check(nationalId('CN', '１１０１０５１９４９１２３１００２ｘ', holder))).toEqual({
      ok: true,
      normalisedNumber: '11010519491231002X',
    });
  });

  it('accepts 11010519491231002X and normalises a lower-case x', () => {
    expect(check(nationalId('CN', '11010519491231002X', holder))).toEqual({
      ok: true,
      normalisedNumber: '11010519491231002X',
    });
    expect(check(nationalId('CN', '110105 19491231 002x', holder))).toEqual({
      ok: true,
      normalisedNumber: '11010519491231002X',
    });
  });

  it('rejects every wrong check character', () => {
    for (const char of '0123456789') {
      expectFailure(nationalId('CN', `11010519491231002${char}`, holder), 'cn_id_checksum');
    }
  });

  it('rejects area codes that are not province-level codes', () => {
    for (const area of ['00', '10', '16', '24', '38', '47', '55', '66', '72', '84', '99']) {
      const id = chineseId(`${area}010519491231002`);
      expectFailure(nationalId('CN', id, holder), 'cn_id_area');
    }
  });

  it('checks the whole county-level code against GB/T 2260, not only the province', () => {
    for (const area of ['110199', '110198', '440999', '910000', '910101']) {
      const id = chineseId(`${area}19491231002`);
      expectFailure(nationalId('CN', id, holder), 'cn_id_area');
    }
    for (const area of ['110101', '440305', '530102', '650102']) {
      const id = chineseId(`${area}19491231002`);
      expect(check(nationalId('CN', id, holder))).toEqual({ ok: true, normalisedNumber: id });
    }
  });

  it('refuses a code withdrawn before the birth year (Chongwen 110103, last used 2009)', () => {
    const born = (date: string) =>
      check(
        nationalId('CN', chineseId(`110103${date.replaceAll('-', '')}002`), { dateOfBirth: date }),
      );
    expect(born('1980-05-01').ok).toBe(true);
    expect(born('2009-12-31').ok).toBe(true);
    expect(born('2010-01-01')).toMatchObject({ ok: false, check: 'cn_id_area_not_in_use' });
  });

  it('refuses a code created after the birth of someone numbered at birth (130108, from 2001)', () => {
    const born = (date: string) =>
      check(
        nationalId('CN', chineseId(`130108${date.replaceAll('-', '')}002`), { dateOfBirth: date }),
      );
    expect(born('2001-01-01').ok).toBe(true);
    expect(born('2000-06-30')).toMatchObject({ ok: false, check: 'cn_id_area_not_in_use' });
    expect(born('1975-06-30').ok).toBe(true);
  });

  it('accepts the Hong Kong, Macao and Taiwan residence permit prefixes', () => {
    for (const area of ['81', '82', '83']) {
      const id = chineseId(`${area}000019491231002`);
      expect(check(nationalId('CN', id, holder))).toEqual({ ok: true, normalisedNumber: id });
    }
  });

  it('rejects an encoded birth date in the future, before 1900 or not in the calendar', () => {
    for (const date of ['20300101', '18991231', '19490230', '19491301']) {
      const id = chineseId(`110105${date}002`);
      expectFailure(nationalId('CN', id, { dateOfBirth: '1990-01-01' }), 'cn_id_birth_date');
    }
  });

  it('rejects a number whose birth date is not the date of birth', () => {
    expectFailure(
      nationalId('CN', '11010519491231002X', { dateOfBirth: '1949-12-30' }),
      'cn_id_birth_date_mismatch',
    );
  });

  it('rejects first-generation 15-digit and malformed numbers', () => {
    for (const number of ['110105491231002', '1101051949123100X2', '11010519491231002Y']) {
      expectFailure(nationalId('CN', number, holder), 'cn_id_format');
    }
  });
});

describe('passports (TD3)', () => {
  it('accepts Thai and Chinese passports with consistent MRZs', () => {
    expect(check(THAI_PASSPORT)).toEqual({ ok: true, normalisedNumber: 'AA1234567' });
    expect(check(CHINESE_PASSPORT)).toEqual({ ok: true, normalisedNumber: 'E12345678' });
  });

  it('normalises the document number before comparing it with the MRZ', () => {
    expect(check({ ...THAI_PASSPORT, documentNumber: ' aa 123-4567 ' })).toEqual({
      ok: true,
      normalisedNumber: 'AA1234567',
    });
  });

  const corruptions = [
    ['document number', 1, 2, 'mrz_document_number_check_digit'],
    ['document number check digit', 1, 9, 'mrz_document_number_check_digit'],
    ['birth date', 1, 14, 'mrz_birth_date_check_digit'],
    ['birth date check digit', 1, 19, 'mrz_birth_date_check_digit'],
    ['expiry date', 1, 22, 'mrz_expiry_check_digit'],
    ['expiry check digit', 1, 27, 'mrz_expiry_check_digit'],
    ['personal number', 1, 30, 'mrz_personal_number_check_digit'],
    ['personal number check digit', 1, 42, 'mrz_personal_number_check_digit'],
    ['composite check digit', 1, 43, 'mrz_composite_check_digit'],
    ['document code', 0, 0, 'mrz_document_code'],
  ] as const;

  for (const passport of [THAI_PASSPORT, CHINESE_PASSPORT]) {
    it.each(corruptions)(
      `rejects a ${passport.documentCountry} MRZ with a corrupted %s`,
      (_field, line, index, code) => {
        expectFailure({ ...passport, mrz: corrupt(passport.mrz ?? '', line, index) }, code);
      },
    );
  }

  it('rejects a document number that differs from the MRZ', () => {
    expectFailure(
      { ...THAI_PASSPORT, documentNumber: 'AA1234568' },
      'mrz_document_number_mismatch',
    );
    expectFailure({ ...THAI_PASSPORT, documentNumber: 'AA123456' }, 'mrz_document_number_mismatch');
  });

  it('rejects a document number with characters an MRZ cannot hold', () => {
    expectFailure({ ...THAI_PASSPORT, documentNumber: 'AA/1234567' }, 'document_number_format');
    expectFailure({ ...THAI_PASSPORT, documentNumber: ' - ' }, 'document_number_format');
  });

  it('rejects a date of birth that differs from the MRZ by day, month or year', () => {
    for (const dateOfBirth of ['1985-07-10', '1985-08-09', '1986-07-09', '1975-07-09']) {
      expectFailure({ ...THAI_PASSPORT, dateOfBirth }, 'mrz_birth_date_mismatch');
    }
  });

  it('resolves the MRZ birth century so that holders over 100 are accepted', () => {
    const mrz = td3({
      state: 'THA',
      number: 'AA7654321',
      nationality: 'THA',
      birth: '250505',
      expiry: '300101',
    });
    const centenarian = { ...THAI_PASSPORT, documentNumber: 'AA7654321', mrz };
    expect(check({ ...centenarian, dateOfBirth: '1925-05-05' }).ok).toBe(true);
    expectFailure({ ...centenarian, dateOfBirth: '2025-05-06' }, 'mrz_birth_date_mismatch');
  });

  it('accepts an MRZ birth date with unknown day and month', () => {
    const mrz = td3({
      state: 'THA',
      number: 'AA1234567',
      nationality: 'THA',
      birth: '85<<<<',
      expiry: '300101',
    });
    expect(check({ ...THAI_PASSPORT, mrz }).ok).toBe(true);
    expectFailure({ ...THAI_PASSPORT, mrz, dateOfBirth: '1984-07-09' }, 'mrz_birth_date_mismatch');
  });

  it('rejects an MRZ issued by another state than the document country', () => {
    expectFailure({ ...THAI_PASSPORT, documentCountry: 'LA' }, 'mrz_issuing_state_mismatch');
    expectFailure({ ...CHINESE_PASSPORT, documentCountry: 'TW' }, 'mrz_issuing_state_mismatch');
  });

  it("accepts 9303's special codes: D<< for Germany, CHN on Hong Kong SAR passports", () => {
    const german: SubscriberDocument = {
      ...THAI_PASSPORT,
      documentCountry: 'DE',
      nationality: 'DE',
      documentNumber: 'C01X00T47',
      mrz: td3({
        state: 'D',
        number: 'C01X00T47',
        nationality: 'D',
        birth: '850709',
        expiry: '300101',
      }),
    };
    expect(check(german)).toEqual({ ok: true, normalisedNumber: 'C01X00T47' });
    expect(check({ ...CHINESE_PASSPORT, documentCountry: 'HK' }).ok).toBe(true);
  });

  it('rejects an MRZ nationality other than the declared one, except stateless/refugee codes', () => {
    expectFailure({ ...THAI_PASSPORT, nationality: 'VN' }, 'mrz_nationality_mismatch');
    const stateless = td3({
      state: 'THA',
      number: 'AA1234567',
      nationality: 'XXA',
      birth: '850709',
      expiry: '300101',
    });
    expect(check({ ...THAI_PASSPORT, nationality: 'MM', mrz: stateless }).ok).toBe(true);
  });

  it('rejects an expired passport and accepts it on its expiry day', () => {
    const expiring = td3({
      state: 'THA',
      number: 'AA1234567',
      nationality: 'THA',
      birth: '850709',
      expiry: '260314',
    });
    expectFailure({ ...THAI_PASSPORT, mrz: expiring }, 'mrz_expired');
    const onExpiryDay = new Date('2026-03-14T23:59:59Z');
    expect(check({ ...THAI_PASSPORT, mrz: expiring }, onExpiryDay).ok).toBe(true);
  });

  it('takes the expiry century from today, not from the clock', () => {
    const mrz = td3({
      state: 'THA',
      number: 'AA1234567',
      nationality: 'THA',
      birth: '850709',
      expiry: '790101',
    });
    expectFailure({ ...THAI_PASSPORT, mrz }, 'mrz_expired');
    expect(check({ ...THAI_PASSPORT, mrz }, new Date('2070-06-01T00:00:00Z')).ok).toBe(true);
    expect(check(THAI_PASSPORT, new Date('2030-01-02T00:00:00Z'))).toMatchObject({
      check: 'mrz_expired',
    });
    const nextCentury = td3({
      state: 'THA',
      number: 'AA1234567',
      nationality: 'THA',
      birth: '850709',
      expiry: '030101',
    });
    expect(check({ ...THAI_PASSPORT, mrz: nextCentury }, new Date('2095-06-01T00:00:00Z')).ok).toBe(
      true,
    );
  });

  it('rejects an expiry date that is not in the calendar for its resolved year', () => {
    const mrz = td3({
      state: 'THA',
      number: 'AA1234567',
      nationality: 'THA',
      birth: '850709',
      expiry: '270229',
    });
    expectFailure({ ...THAI_PASSPORT, mrz }, 'mrz_format');
  });

  it('requires a TD3 MRZ', () => {
    expectFailure({ ...THAI_PASSPORT, mrz: undefined }, 'mrz_missing');
    expectFailure({ ...THAI_PASSPORT, mrz: ' \n ' }, 'mrz_missing');
    expectFailure({ ...THAI_PASSPORT, mrz: KHMER_ID_CARD.mrz }, 'mrz_format');
    expectFailure({ ...THAI_PASSPORT, mrz: 'P<THA' }, 'mrz_format');
  });

  it('accepts a passport for every ISO country, with that country as issuing state', () => {
    const passport = {
      ...THAI_PASSPORT,
      documentCountry: 'KH',
      mrz: td3({
        state: 'KHM',
        number: 'AA1234567',
        nationality: 'THA',
        birth: '850709',
        expiry: '300101',
      }),
    };
    expect(check(passport).ok).toBe(true);
    expectFailure({ ...passport, documentCountry: 'XK' }, 'unsupported_document');
  });
});

describe('ID cards (TD1)', () => {
  it('accepts a Cambodian ID card with a consistent MRZ', () => {
    expect(check(KHMER_ID_CARD)).toEqual({ ok: true, normalisedNumber: '010123456' });
  });

  it('accepts a document number that overflows into the optional data', () => {
    const mrz = td1({
      state: 'KHM',
      number: 'KH0101234567',
      nationality: 'KHM',
      birth: '921103',
      expiry: '320501',
    });
    expect(mrz.split('\n')[0]?.slice(14, 15)).toBe('<');
    expect(check({ ...KHMER_ID_CARD, documentNumber: 'KH0101234567', mrz })).toEqual({
      ok: true,
      normalisedNumber: 'KH0101234567',
    });
    expectFailure({ ...KHMER_ID_CARD, mrz }, 'mrz_document_number_mismatch');
  });

  it.each([
    ['document number', 0, 7, 'mrz_document_number_check_digit'],
    ['document number check digit', 0, 14, 'mrz_document_number_check_digit'],
    ['birth date', 1, 1, 'mrz_birth_date_check_digit'],
    ['birth date check digit', 1, 6, 'mrz_birth_date_check_digit'],
    ['expiry date', 1, 9, 'mrz_expiry_check_digit'],
    ['expiry check digit', 1, 14, 'mrz_expiry_check_digit'],
    ['optional data', 1, 22, 'mrz_composite_check_digit'],
    ['composite check digit', 1, 29, 'mrz_composite_check_digit'],
  ] as const)('rejects a corrupted %s', (_field, line, index, code) => {
    expectFailure({ ...KHMER_ID_CARD, mrz: corrupt(KHMER_ID_CARD.mrz ?? '', line, index) }, code);
  });

  it("requires a document code starting with 'I', 'A' or 'C'", () => {
    const mrz = td1({
      code: 'P<',
      state: 'KHM',
      number: '010123456',
      nationality: 'KHM',
      birth: '921103',
      expiry: '320501',
    });
    expectFailure({ ...KHMER_ID_CARD, mrz }, 'mrz_document_code');
  });

  it('rejects a TD3 MRZ, a foreign issuing state and a missing MRZ', () => {
    expectFailure({ ...KHMER_ID_CARD, mrz: THAI_PASSPORT.mrz }, 'mrz_format');
    const thai = td1({
      state: 'THA',
      number: '010123456',
      nationality: 'KHM',
      birth: '921103',
      expiry: '320501',
    });
    expectFailure({ ...KHMER_ID_CARD, mrz: thai }, 'mrz_issuing_state_mismatch');
    expectFailure({ ...KHMER_ID_CARD, mrz: undefined }, 'mrz_missing');
  });

  it('is only accepted for countries whose ID cards carry a TD1 MRZ', () => {
    expectFailure({ ...KHMER_ID_CARD, documentCountry: 'TH' }, 'unsupported_document');
  });
});

describe('Vietnamese CCCD', () => {
  it('accepts valid numbers for both centuries and sexes', () => {
    const cases = [
      ['001085123456', '1985-04-12'],
      ['079303000001', '2003-11-30'],
      ['001185123456', '1985-04-12'],
      ['096203654321', '2003-01-01'],
      ['048399999999', '2099-12-31'],
    ] as const;
    const today = new Date('2100-01-01T00:00:00Z');
    for (const [number, dateOfBirth] of cases) {
      expect(check(nationalId('VN', number, { dateOfBirth }), today)).toEqual({
        ok: true,
        normalisedNumber: number,
      });
    }
  });

  it('accepts exactly the 63 province codes and, for births registered abroad, country codes', () => {
    const provinces = [
      ...['001', '002', '004', '006', '008', '010', '011', '012', '014', '015', '017', '019'],
      ...['020', '022', '024', '025', '026', '027', '030', '031', '033', '034', '035', '036'],
      ...['037', '038', '040', '042', '044', '045', '046', '048', '049', '051', '052', '054'],
      ...['056', '058', '060', '062', '064', '066', '067', '068', '070', '072', '074', '075'],
      ...['077', '079', '080', '082', '083', '084', '086', '087', '089', '091', '092', '093'],
      ...['094', '095', '096'],
    ];
    expect(new Set(provinces).size).toBe(63);
    const abroad = ['036', '124', '156', '250', '276', '392', '410', '418', '764', '826', '840'];
    for (const code of abroad) {
      expect(check(nationalId('VN', `${code}085123456`, { dateOfBirth: '1985-04-12' })).ok).toBe(
        true,
      );
    }
    const refused = ['000', '003', '005', '007', '097', '099', '101', '704', '900', '999'];
    for (let code = 0; code <= 999; code++) {
      const place = String(code).padStart(3, '0');
      const result = check(nationalId('VN', `${place}085123456`, { dateOfBirth: '1985-04-12' }));
      if (provinces.includes(place)) expect(result.ok).toBe(true);
      if (refused.includes(place)) {
        expect(result).toMatchObject({ ok: false, check: 'vn_cccd_province' });
      }
    }
  });

  it('rejects a century/sex digit inconsistent with the birth century', () => {
    for (const digit of ['2', '3', '4', '9']) {
      expectFailure(
        nationalId('VN', `001${digit}85123456`, { dateOfBirth: '1985-04-12' }),
        'vn_cccd_century_sex',
      );
    }
    expectFailure(
      nationalId('VN', '001003123456', { dateOfBirth: '2003-04-12' }),
      'vn_cccd_century_sex',
    );
  });

  it('rejects a birth year that differs from the date of birth', () => {
    expectFailure(
      nationalId('VN', '001086123456', { dateOfBirth: '1985-04-12' }),
      'vn_cccd_birth_year',
    );
  });

  it('rejects the 9-digit CMND and malformed numbers', () => {
    for (const number of ['012345678', '00108512345', '0010851234567', '00108512345A']) {
      expectFailure(nationalId('VN', number, { dateOfBirth: '1985-04-12' }), 'vn_cccd_format');
    }
  });
});

describe('Myanmar NRC', () => {
  it.each([
    ['12/OUKAMA(N)508176', '12/OUKAMA(N)508176'],
    ['12/OKM(N)508176', '12/OUKAMA(N)508176'],
    ['12/UKAMA(N)508176', '12/OUKAMA(N)508176'],
    ['12/OKKALAPA(N)508176', '12/OUKAMA(N)508176'],
    ['12/NorthOkkalapa(N)508176', '12/OUKAMA(N)508176'],
    ['12/North Okkalapa (N) 508176', '12/OUKAMA(N)508176'],
    ['၁၂/ဥကမ(နိုင်)၅၀၈၁၇၆', '12/OUKAMA(N)508176'],
    ['၁၂/ဥကမ(နိုင်)508176', '12/OUKAMA(N)508176'],
    ['၁၂/မြောက်ဥက္ကလာ(နိုင်)၅၀၈၁၇၆', '12/OUKAMA(N)508176'],
    ['１２／ＯＵＫＡＭＡ（Ｎ）５０８１７６', '12/OUKAMA(N)508176'],
    ['12/OuKaMa (N) 508176', '12/OUKAMA(N)508176'],
    [' 12 / oukama ( naing ) 508176 ', '12/OUKAMA(N)508176'],
    ['12/OUKAMA(N)508-176', '12/OUKAMA(N)508176'],
    ['01/MAKANA(N)000001', '1/MAKANA(N)000001'],
    ['1/Myitkyina(N)000001', '1/MAKANA(N)000001'],
    ['13/PAPAKA(E)151378', '13/PAPAKA(E)151378'],
    ['13/TAKANA(P)222222', '13/TAKANA(P)222222'],
    ['12/LAMATA(Th)111111', '12/LAMATA(T)111111'],
    ['၁၂/လမတ(သာသနာ)၁၁၁၁၁၁', '12/LAMATA(T)111111'],
    ['9/PAMANA(N)111111', '9/PAMANA(N)111111'],
    ['1/PAWANA(N)333333', '1/PAWANA(N)333333'],
    ['၁/ပ၀န(နိုင်)၃၃၃၃၃၃', '1/PAWANA(N)333333'],
  ])('accepts %j as %s', (number, normalised) => {
    expect(check(nationalId('MM', number))).toEqual({ ok: true, normalisedNumber: normalised });
  });

  it.each(['15/OUKAMA(N)123456', '0/OUKAMA(N)123456', '00/OUKAMA(N)123456'])(
    'rejects the state/region of %s',
    (number) => {
      expectFailure(nationalId('MM', number), 'mm_nrc_state');
    },
  );

  it.each(['12/ZZZ(N)001707', '12/OK(N)123456', '12/OUKAMAOUKA(N)123456', '၁၂/ဥဥဥ(နိုင်)၁၂၃၄၅၆'])(
    'rejects %j, a township in no state',
    (number) => {
      expectFailure(nationalId('MM', number), 'mm_nrc_township');
    },
  );

  it.each(['1/PAPAKA(N)151378', '5/OUKAMA(N)333333', '13/NorthOkkalapa(N)508176'])(
    'rejects %j, a township of another state',
    (number) => {
      expectFailure(nationalId('MM', number), 'mm_nrc_township_state');
    },
  );

  it.each(['12/OUKAMA(A)508176', '12/OUKAMA(F)508176', '12/OUKAMA(X)508176', '၁၂/ဥကမ(က)၅၀၈၁၇၆'])(
    'rejects %j, a type outside N, E, P, T, Y and S',
    (number) => {
      expectFailure(nationalId('MM', number), 'mm_nrc_type');
    },
  );

  it.each([
    '12/OUKAMA(N)12345',
    '12/OUKAMA(N)1234567',
    '12/OUKAMA123456',
    '12OUKAMA(N)123456',
    '112/OUKAMA(N)123456',
    '12/OUKAMA(N)12345A',
    '',
  ])('rejects the format of %j', (number) => {
    expectFailure(nationalId('MM', number), 'mm_nrc_format');
  });
});

describe('Cambodian and Lao national IDs', () => {
  it.each([
    ['010123456', '010123456'],
    ['010123456(7)', '010123456'],
    ['010 123 456 (7)', '010123456'],
  ])('accepts the Cambodian ID %j as %s', (number, normalised) => {
    expect(check(nationalId('KH', number))).toEqual({ ok: true, normalisedNumber: normalised });
  });

  it('gives a national ID and an ID card with the same 9 digits one normalised number', () => {
    const card = check(KHMER_ID_CARD);
    expect(card).toEqual({ ok: true, normalisedNumber: '010123456' });
    expect(check(nationalId('KH', '010123456(7)'))).toEqual(card);
    expect(check(nationalId('KH', '០១០ ១២៣ ៤៥៦'))).toEqual(card);
  });

  it.each(['01012345', '0101234567', '010123456(77)', '010123456()', 'A10123456'])(
    'rejects the Cambodian ID %j',
    (number) => {
      expectFailure(nationalId('KH', number), 'kh_id_format');
    },
  );

  it.each(['123456789', '1234 5678 9012'])('accepts the Lao ID %j', (number) => {
    expect(check(nationalId('LA', number))).toEqual({
      ok: true,
      normalisedNumber: number.replaceAll(' ', ''),
    });
  });

  it.each([
    ['0123456789', '123456789'],
    ['123456789', '123456789'],
    ['00123456789', '123456789'],
    ['012345678', '12345678'],
    ['12345678', '12345678'],
    ['໑໒໓໔໕໖໗໘໙', '123456789'],
    ['０１２３４５６７８９', '123456789'],
  ])('gives the Lao ID %j, with or without leading zeros, as %s', (number, normalised) => {
    expect(check(nationalId('LA', number))).toEqual({ ok: true, normalisedNumber: normalised });
  });

  it.each(['1234567', '01234567', '1234567890123', '0123456789012', 'LA1234567', '12345678/9'])(
    'rejects the Lao ID %j',
    (number) => {
      expectFailure(nationalId('LA', number), 'la_id_format');
    },
  );
});

describe('checks common to all documents', () => {
  const valid = nationalId('TH', '1101700203450');

  it('rejects unknown (country, type) combinations', () => {
    for (const [documentCountry, documentType] of [
      ['US', 'national_id'],
      ['SG', 'national_id'],
      ['TH', 'id_card'],
      ['VN', 'id_card'],
      ['XX', 'passport'],
      ['th', 'national_id'],
      ['THA', 'passport'],
      ['', 'passport'],
    ] as const) {
      expectFailure({ ...valid, documentCountry, documentType }, 'unsupported_document');
    }
    const unknownType = {
      ...valid,
      documentType: 'driving_licence',
    } as unknown as SubscriberDocument;
    expectFailure(unknownType, 'unsupported_document');
  });

  it('requires a real YYYY-MM-DD date of birth', () => {
    for (const dateOfBirth of [
      '1985-02-30',
      '1985-13-01',
      '1985/07/09',
      '85-07-09',
      '',
      '2023-02-29',
    ]) {
      expectFailure({ ...valid, dateOfBirth }, 'birth_date_invalid');
    }
    expect(check({ ...valid, dateOfBirth: '2024-02-29' }).ok).toBe(true);
  });

  it('requires a date of birth before today and at most 130 years ago', () => {
    expectFailure({ ...valid, dateOfBirth: '2026-03-16' }, 'birth_date_out_of_range');
    expectFailure({ ...valid, dateOfBirth: '2026-03-15' }, 'birth_date_out_of_range');
    expectFailure({ ...valid, dateOfBirth: '1896-03-14' }, 'birth_date_out_of_range');
    expect(check({ ...valid, dateOfBirth: '2026-03-14' }).ok).toBe(true);
    expect(check({ ...valid, dateOfBirth: '1896-03-15' }).ok).toBe(true);
  });

  it('requires a known nationality code and a name', () => {
    for (const nationality of ['ZZ', 'th', 'THA', '']) {
      expectFailure({ ...valid, nationality }, 'nationality_invalid');
    }
    expectFailure({ ...valid, fullName: '  ' }, 'full_name_missing');
  });

  it.each([
    ['zero-width space and joiners', '\u200B\u200C\u200D'],
    ['word joiner and BOM', '\u2060\uFEFF'],
    ['bidi marks', '\u200E\u200F\u202A\u202C'],
    ['Hangul fillers', '\u3164\u115F'],
    ['blank Braille and ideographic space', '\u2800\u3000'],
    ['no-break spaces and a soft hyphen', '\u00A0\u00AD\u202F'],
  ])('refuses a full name made only of %s', (_name, fullName) => {
    expectFailure({ ...valid, fullName }, 'full_name_missing');
  });

  it('accepts a name with zero-width characters between visible letters', () => {
    expect(check({ ...valid, fullName: 'Som\u200Bchai' }).ok).toBe(true);
    expect(check({ ...valid, fullName: 'ဦးမောင်' }).ok).toBe(true);
  });

  it('rejects an MRZ sent with a national ID', () => {
    expectFailure({ ...valid, mrz: THAI_PASSPORT.mrz }, 'mrz_not_applicable');
    expect(check({ ...valid, mrz: '' }).ok).toBe(true);
  });

  it('refuses an invalid today instead of guessing', () => {
    expect(() => checkDocument(valid, new Date('not a date'))).toThrow(RangeError);
  });
});

describe('SUPPORTED_DOCUMENTS', () => {
  it('lists the national IDs, the TD1 ID cards and a passport per ISO country', () => {
    const byType = (type: string) =>
      SUPPORTED_DOCUMENTS.filter((entry) => entry.type === type).map((entry) => entry.country);
    expect(byType('national_id').sort()).toEqual(['CN', 'KH', 'LA', 'MM', 'TH', 'VN']);
    expect(byType('id_card')).toEqual(['KH']);
    expect(byType('passport')).toHaveLength(249);
    expect(byType('passport')).toEqual(expect.arrayContaining(['TH', 'CN', 'VN', 'MM', 'US']));
    const keys = SUPPORTED_DOCUMENTS.map((entry) => `${entry.country}:${entry.type}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(SUPPORTED_DOCUMENTS.every((entry) => entry.format.length > 0)).toBe(true);
  });

  it('matches what checkDocument accepts', () => {
    for (const { country, type } of SUPPORTED_DOCUMENTS) {
      const result = check({
        ...BASE,
        documentType: type,
        documentCountry: country,
        documentNumber: 'X',
        nationality: 'TH',
      });
      expect(result).not.toMatchObject({ check: 'unsupported_document' });
    }
  });
});

describe('passport numbers', () => {
  it('returns the MRZ personal number of a passport that carries one', () => {
    const mrz = td3({
      state: 'THA',
      number: 'AA1234567',
      nationality: 'THA',
      birth: '850709',
      expiry: '300101',
      optional: '1101700203450',
    });
    expect(check({ ...THAI_PASSPORT, mrz })).toEqual({
      ok: true,
      normalisedNumber: 'AA1234567',
      mrzPersonalNumber: '1101700203450',
    });
    expect(check(THAI_PASSPORT)).toEqual({ ok: true, normalisedNumber: 'AA1234567' });
  });

  it('normalises a fullwidth or lower-case number and refuses letters outside A-Z', () => {
    expect(check({ ...THAI_PASSPORT, documentNumber: 'ａａ１２３４５６７' })).toEqual({
      ok: true,
      normalisedNumber: 'AA1234567',
    });
    const mrz = td3({
      state: 'THA',
      number: 'AI1234567',
      nationality: 'THA',
      birth: '850709',
      expiry: '300101',
    });
    expect(check({ ...THAI_PASSPORT, documentNumber: 'ai1234567', mrz }).ok).toBe(true);
    expectFailure({ ...THAI_PASSPORT, documentNumber: 'aı1234567', mrz }, 'document_number_format');
  });
});

describe('failure details', () => {
  const failing: SubscriberDocument[] = [
    nationalId('TH', '1101700203451'),
    nationalId('TH', '0101700203459'),
    nationalId('TH', '11017002034'),
    nationalId('CN', '110105194912310021', { dateOfBirth: '1949-12-31' }),
    nationalId('CN', chineseId('99010519491231002'), { dateOfBirth: '1949-12-31' }),
    nationalId('CN', chineseId('11010520300101002'), { dateOfBirth: '1949-12-31' }),
    nationalId('CN', '11010519491231002X', { dateOfBirth: '1949-12-30' }),
    nationalId('VN', '003085123456', { dateOfBirth: '1985-04-12' }),
    nationalId('VN', '001285123456', { dateOfBirth: '1985-04-12' }),
    nationalId('VN', '001086123456', { dateOfBirth: '1985-04-12' }),
    nationalId('MM', '15/OUKAMA(N)123456'),
    nationalId('MM', '12/OUKAMA(X)123456'),
    nationalId('MM', '12/ZZZ(N)001707'),
    nationalId('MM', '1/PAPAKA(N)151378'),
    nationalId('MM', '12/OUKAMA123456'),
    nationalId('CN', chineseId('11010320100101002'), { dateOfBirth: '2010-01-01' }),
    { ...THAI_PASSPORT, mrz: (THAI_PASSPORT.mrz ?? '').replace('SAMPLE', 'SAMPıE') },
    nationalId('KH', '01012345678'),
    nationalId('LA', 'LA12345678'),
    nationalId('TH', '1101700203450', { dateOfBirth: '1985-02-30' }),
    nationalId('TH', '1101700203450', { dateOfBirth: '2030-01-01' }),
    nationalId('TH', '1101700203450', { mrz: THAI_PASSPORT.mrz }),
    { ...THAI_PASSPORT, documentNumber: 'AA1234568' },
    { ...THAI_PASSPORT, documentNumber: 'AA/1234567' },
    { ...THAI_PASSPORT, dateOfBirth: '1985-07-10' },
    { ...THAI_PASSPORT, documentCountry: 'LA' },
    { ...THAI_PASSPORT, nationality: 'VN' },
    { ...THAI_PASSPORT, mrz: undefined },
    { ...THAI_PASSPORT, mrz: corrupt(THAI_PASSPORT.mrz ?? '', 1, 2) },
    { ...THAI_PASSPORT, mrz: corrupt(THAI_PASSPORT.mrz ?? '', 1, 14) },
    { ...THAI_PASSPORT, mrz: corrupt(THAI_PASSPORT.mrz ?? '', 1, 43) },
    { ...KHMER_ID_CARD, documentNumber: '010123457' },
    { ...KHMER_ID_CARD, documentCountry: 'TH' },
    { ...THAI_PASSPORT, documentCountry: 'AA1234567' },
    {
      ...THAI_PASSPORT,
      documentType: 'AA1234567',
    } as unknown as SubscriberDocument,
  ];

  it('name the failed check as a snake_case code and never echo number, name or birth date', () => {
    for (const doc of failing) {
      const result = check(doc);
      if (result.ok) throw new Error(`expected a failure for document ${failing.indexOf(doc)}`);
      expect(result.check).toMatch(/^[a-z0-9]+(?:_[a-z0-9]+)+$/);
      const compact = doc.documentNumber.replace(/[\s-]/g, '').toUpperCase();
      const [year = '', month = '', day = ''] = doc.dateOfBirth.split('-');
      const secrets = [
        doc.documentNumber,
        compact,
        compact.slice(0, -1),
        doc.fullName,
        doc.dateOfBirth,
        `${year}${month}${day}`,
        `${year.slice(2)}${month}${day}`,
      ].filter((secret) => secret.length >= 4);
      for (const secret of secrets) {
        expect(result.detail.toUpperCase()).not.toContain(secret.toUpperCase());
      }
    }
  });

  it('come from a wide range of distinct checks', () => {
    const codes = new Set(
      failing.map((doc) => {
        const result = check(doc);
        return result.ok ? 'ok' : result.check;
      }),
    );
    expect(codes).not.toContain('ok');
    expect(codes.size).toBeGreaterThanOrEqual(32);
  });
});
