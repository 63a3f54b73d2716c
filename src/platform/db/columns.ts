import { timestamp } from 'drizzle-orm/pg-core';

/** Every instant is stored as `timestamptz` and read as a `Date`. */
export const ts = <N extends string>(name: N) =>
  timestamp(name, { withTimezone: true, mode: 'date' });
