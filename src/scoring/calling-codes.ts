/**
 * ITU-T E.164 country calling codes, matched by longest prefix on the digits after `+`.
 *
 * Codes are looked up as integers in three per-length tables, so classifying a number allocates
 * nothing (no substrings). The integer identifies the code unambiguously: one-digit codes are 1
 * and 7, two-digit codes lie in 20..99 and three-digit codes in 200..999.
 */

const ONE_DIGIT = [1, 7];
const TWO_DIGIT = [
  20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
  57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];
const THREE_DIGIT = [
  211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233,
  234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 248, 249, 250, 251, 252, 253,
  254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298,
  299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377,
  378, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506,
  507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676,
  677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 850, 852, 853, 855,
  856, 870, 880, 886, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975,
  976, 977, 992, 993, 994, 995, 996, 998,
];

const oneDigit = new Uint8Array(10);
const twoDigit = new Uint8Array(100);
const threeDigit = new Uint8Array(1000);
for (const code of ONE_DIGIT) oneDigit[code] = 1;
for (const code of TWO_DIGIT) twoDigit[code] = 1;
for (const code of THREE_DIGIT) threeDigit[code] = 1;

function digitAt(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** The calling code of an E.164 number such as `+66812345678` (66), or 0 when none matches. */
export function callingCode(e164: string): number {
  if (e164.charCodeAt(0) !== 43 /* + */) return 0;
  const d1 = digitAt(e164, 1);
  if (d1 < 0) return 0;
  const d2 = digitAt(e164, 2);
  const d3 = digitAt(e164, 3);
  if (d2 >= 0 && d3 >= 0 && threeDigit[d1 * 100 + d2 * 10 + d3] === 1)
    return d1 * 100 + d2 * 10 + d3;
  if (d2 >= 0 && twoDigit[d1 * 10 + d2] === 1) return d1 * 10 + d2;
  return oneDigit[d1] === 1 ? d1 : 0;
}

/**
 * Whether `otherParty` is in another country than a line whose calling code is `lineCode`.
 * Numbers not in `+` form (national format, short codes, alphanumeric senders) count as domestic.
 * An unknown prefix on a line with a known code is foreign: it cannot start with the line's code.
 */
export function isInternational(lineCode: number, otherParty: string): boolean {
  if (otherParty.charCodeAt(0) !== 43) return false;
  const otherCode = callingCode(otherParty);
  if (lineCode !== 0) return otherCode !== lineCode;
  return otherCode !== 0;
}
