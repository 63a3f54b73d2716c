/**
 * A person's name as compared, not as shown: NFKC (fullwidth and compatibility forms fold to
 * one), case folded, runs of whitespace as one space, trimmed. "ＳＯＭＣＨＡＩ  jaidee" and
 * "Somchai Jaidee" are the same name.
 */
export function normaliseName(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().replace(/\s+/gu, ' ').trim();
}

export function sameName(a: string, b: string): boolean {
  return normaliseName(a) === normaliseName(b);
}
