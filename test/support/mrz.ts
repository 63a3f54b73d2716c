import { mrzCheckDigit } from '../../src/registration/mrz.js';

const pad = (value: string, length: number) => value.padEnd(length, '<');
const cd = (field: string) => String(mrzCheckDigit(field));

interface MrzFields {
  /** Alpha-3, e.g. `THA`. */
  state: string;
  number: string;
  nationality: string;
  /** YYMMDD. */
  birth: string;
  /** YYMMDD. */
  expiry: string;
  /** TD3: the personal number field; TD1: the optional data after the number. */
  optional?: string;
}

/** A TD3 passport MRZ with correct check digits. */
export function td3(m: MrzFields): string {
  const number = pad(m.number, 9);
  const personal = pad(m.optional ?? '', 14);
  const lower = `${number}${cd(number)}${pad(m.nationality, 3)}${m.birth}${cd(m.birth)}M${m.expiry}${cd(m.expiry)}${personal}${cd(personal)}`;
  const composite = lower.slice(0, 10) + lower.slice(13, 20) + lower.slice(21, 43);
  return `${pad(`P<${m.state}TEST<<HOLDER`, 44)}\n${lower}${cd(composite)}`;
}

/** A TD1 ID card MRZ (document number of at most 9 characters) with correct check digits. */
export function td1(m: MrzFields): string {
  const number = pad(m.number, 9);
  const upper = `ID${m.state}${number}${cd(number)}${pad(m.optional ?? '', 15)}`;
  const middle = `${m.birth}${cd(m.birth)}M${m.expiry}${cd(m.expiry)}${pad(m.nationality, 3)}${pad('', 11)}`;
  const composite =
    upper.slice(5) + middle.slice(0, 7) + middle.slice(8, 15) + middle.slice(18, 29);
  return [upper, `${middle}${cd(composite)}`, pad('TEST<<HOLDER', 30)].join('\n');
}
