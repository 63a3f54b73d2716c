import { customType, timestamp } from 'drizzle-orm/pg-core';

/** Every instant is stored as `timestamptz` and read as a `Date`. */
export const ts = <N extends string>(name: N) =>
  timestamp(name, { withTimezone: true, mode: 'date' });

/** Binary data as `bytea`, read as a `Buffer` (postgres.js decodes it). */
export const bytes = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});
