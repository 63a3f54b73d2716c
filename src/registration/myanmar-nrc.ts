import { MM_NRC_TOWNSHIPS } from './tables/mm-nrc-townships.js';

/**
 * Myanmar National Registration Card numbers, `{state}/{township}({type}){6 digits}`, in Latin
 * transliteration or Myanmar script. The township is looked up in the state/township table
 * (tables/mm-nrc-townships.ts), so every spelling of one township (code, full name, Myanmar
 * script) gives one canonical number: `12/OUKAMA(N)508176`.
 */

export type NrcCheck =
  | { ok: true; canonical: string }
  | {
      ok: false;
      check:
        | 'mm_nrc_format'
        | 'mm_nrc_state'
        | 'mm_nrc_township'
        | 'mm_nrc_township_state'
        | 'mm_nrc_type';
      detail: string;
    };

/**
 * On input already NFKC-normalised, upper-cased, with ASCII digits and no spaces; a township in
 * Myanmar script may carry '0', from the digit zero (၀) keyed for the letter wa (ဝ).
 */
const NRC = /^(\d{1,2})\/([A-Z]+|[\u1000-\u109F0]+)\(([A-Z]+|[\u1000-\u109F]+)\)(\d{6})$/;
const MYANMAR_ZERO = /0/g;
const STATES = 14;

/**
 * Citizenship marks: N (နိုင်, citizen), E (ဧည့်, associate), P (ပြု, naturalised), T (သာသနာ,
 * religious; also transliterated TH), Y (ယာယီ, temporary), S (စ); the spelled-out Latin forms
 * fold to the letter.
 */
const TYPES: ReadonlyMap<string, string> = new Map(
  (
    [
      ['N', ['N', 'NAING', 'နိုင်']],
      ['E', ['E', 'EH', 'ဧည့်']],
      ['P', ['P', 'PYU', 'ပြု']],
      ['T', ['T', 'TH', 'THA', 'သာသနာ']],
      ['Y', ['Y', 'YAYI', 'ယာယီ']],
      ['S', ['S', 'SA', 'စ']],
    ] as const
  ).flatMap(([mark, spellings]) => spellings.map((s) => [s.normalize('NFKC'), mark] as const)),
);

/** `state/SPELLING` -> canonical township code; built once. */
const TOWNSHIPS = new Map<string, string>();
/** SPELLING -> the states that have a township spelled so, to name a wrong-state township. */
const SPELLING_STATES = new Map<string, Set<number>>();

for (const [state, code, myanmar, aliases] of MM_NRC_TOWNSHIPS) {
  for (const spelling of [code, ...myanmar, ...aliases]) {
    const key = spelling.normalize('NFKC');
    const existing = TOWNSHIPS.get(`${state}/${key}`);
    if (existing !== undefined && existing !== code) {
      throw new Error(`Myanmar NRC table: ${state}/${key} names two townships`);
    }
    TOWNSHIPS.set(`${state}/${key}`, code);
    let states = SPELLING_STATES.get(key);
    if (states === undefined) {
      states = new Set();
      SPELLING_STATES.set(key, states);
    }
    states.add(state);
  }
}

export function checkMyanmarNrc(normalised: string): NrcCheck {
  const match = NRC.exec(normalised);
  if (match === null) {
    return {
      ok: false,
      check: 'mm_nrc_format',
      detail: 'the Myanmar NRC must be {state}/{township}({type}) and 6 digits',
    };
  }
  const [, stateDigits = '', written = '', type = '', serial = ''] = match;
  const state = Number(stateDigits);
  if (state < 1 || state > STATES) {
    return {
      ok: false,
      check: 'mm_nrc_state',
      detail: 'the Myanmar NRC state/region number must be 1 to 14',
    };
  }
  const township = /[^A-Z]/.test(written) ? written.replace(MYANMAR_ZERO, 'ဝ') : written;
  const code = TOWNSHIPS.get(`${state}/${township}`);
  if (code === undefined) {
    return SPELLING_STATES.has(township)
      ? {
          ok: false,
          check: 'mm_nrc_township_state',
          detail: 'the Myanmar NRC township is not in the given state/region',
        }
      : {
          ok: false,
          check: 'mm_nrc_township',
          detail: 'the Myanmar NRC township is not in the state/township table',
        };
  }
  const mark = TYPES.get(type);
  if (mark === undefined) {
    return {
      ok: false,
      check: 'mm_nrc_type',
      detail: 'the Myanmar NRC type must be N, E, P, T, Y or S (or their Myanmar-script forms)',
    };
  }
  return { ok: true, canonical: `${state}/${code}(${mark})${serial}` };
}
