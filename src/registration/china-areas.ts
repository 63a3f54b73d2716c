import { CN_AREA_CODES } from './tables/cn-gb2260-areas.js';

/** Years a GB/T 2260 area code was in use, inclusive; an open end is `Infinity`. */
interface InUse {
  from: number;
  to: number;
}

const ENTRY = /^(\d{6})(?::(.+))?$/;
const RANGE = /^(\d{4})?-(\d{4})?$/;

/** Area code -> its ranges of use, parsed once at module load. */
const AREAS: ReadonlyMap<string, readonly InUse[]> = new Map(
  CN_AREA_CODES.split(/\s+/)
    .filter((token) => token !== '')
    .map((token) => {
      const entry = ENTRY.exec(token);
      if (entry?.[1] === undefined) throw new Error(`GB/T 2260 table: bad entry ${token}`);
      const ranges = (entry[2] ?? '-').split('/').map((range) => {
        const years = RANGE.exec(range);
        if (years === null) throw new Error(`GB/T 2260 table: bad range in ${token}`);
        return {
          from: years[1] === undefined ? -Infinity : Number(years[1]),
          to: years[2] === undefined ? Infinity : Number(years[2]),
        };
      });
      return [entry[1], ranges] as const;
    }),
);

/**
 * Resident identity numbers have been assigned at birth registration since GB 11643-1999; people
 * born earlier received theirs when first issued a card, under the code in use then. So a code
 * created after the birth year only disproves numbers of people born from 2000 on, while a code
 * withdrawn before the birth year disproves any number.
 */
const ASSIGNED_AT_BIRTH_FROM = 2000;

export type AreaCheck = 'known' | 'unknown' | 'not_in_use';

/** Whether the 6-digit area code is in GB/T 2260 and could have been given to someone born in `birthYear`. */
export function checkChineseArea(code: string, birthYear: number): AreaCheck {
  const ranges = AREAS.get(code);
  if (ranges === undefined) return 'unknown';
  const inUse = ranges.some(
    (range) =>
      range.to >= birthYear && (birthYear < ASSIGNED_AT_BIRTH_FROM || range.from <= birthYear),
  );
  return inUse ? 'known' : 'not_in_use';
}
