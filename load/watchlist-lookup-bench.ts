/**
 * Watchlist lookup benchmark. Prints figures; leaves nothing behind (the embedded database's
 * directory, .tmp/load, is removed at the end).
 *
 *   npx tsx load/watchlist-lookup-bench.ts [--indicators 10000000] [--connections 16]
 *     [--seconds 20] [--keep]
 *
 * Fills `watchlist_indicators` in an embedded PostgreSQL with `--indicators` rows in the shape
 * the service writes (an indicator and its owning source; 60% numbers, 10% each IMEIs, bank
 * accounts and addresses, 5% each domains and URLs) with one `insert ... select` from
 * generate_series per table, then starts the API as deployed and drives
 * `GET /v1/watchlist/check` with autocannon: half listed, half unlisted values, of every type
 * in the same shares. Prints the fill's time, the table's and indexes' size, the lookup's plan,
 * and p50/p95/p99 latency and requests a second. LOAD_PG_PORT and LOAD_API_PORT pick the ports.
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { connect } from '../src/platform/db/client.js';
import { drive, printTable, startLoadStack } from './lib/stack.js';

const { values } = parseArgs({
  options: {
    indicators: { type: 'string', default: '10000000' },
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
  },
});
const total = Number(values.indicators);
const fmt = (n: number) => n.toLocaleString('en-US');
/** The share of rows of each type, in order: row i's type is the one its slice of 100 falls in. */
const SHARES = [
  ['msisdn', 60],
  ['imei', 10],
  ['bank_account', 10],
  ['ip', 10],
  ['domain', 5],
  ['url', 5],
] as const;

/** The SQL of row `i`'s type, and its value for a number `n` that is the row's rank in its type. */
const TYPE_SQL = `case ${SHARES.map(
  ([t], k) => `when i % 100 < ${SHARES.slice(0, k + 1).reduce((a, [, s]) => a + s, 0)} then '${t}'`,
).join(' ')} end`;
/** Each type's canonical value of number n (IMEIs: 14 digits and their Luhn digit). */
function valueSql(type: string, n: string): string {
  switch (type) {
    case 'msisdn':
      return `'+668' || lpad((${n})::text, 8, '0')`;
    case 'imei':
      return `pg_temp.luhn('35' || lpad((${n})::text, 12, '0'))`;
    case 'bank_account':
      return `lpad((${n})::text, 10, '0')`;
    case 'ip':
      return `'10.' || ((${n}) >> 16 & 255) || '.' || ((${n}) >> 8 & 255) || '.' || ((${n}) & 255)`;
    case 'domain':
      return `'scam' || (${n}) || '.example'`;
    default:
      return `'https://scam' || (${n}) || '.example/pay'`;
  }
}
/** What a lookup sends for number n of a type (listed when n is below the count of that type). */
function lookupValue(type: string, n: number): string {
  switch (type) {
    case 'msisdn':
      return `+668${String(n).padStart(8, '0')}`;
    case 'imei':
      return `35${String(n).padStart(12, '0')}`;
    case 'bank_account':
      return String(n).padStart(10, '0');
    case 'ip':
      return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    case 'domain':
      return `scam${n}.example`;
    default:
      return `https://scam${n}.example/pay`;
  }
}

const stack = await startLoadStack();
const handle = connect(stack.databaseUrl, { max: 2 });
const db = handle.db;
try {
  console.log(`filling ${fmt(total)} indicators ...`);
  const t0 = Date.now();
  await sql`create function pg_temp.luhn(b text) returns text language sql immutable as $$
    select b || ((10 - sum(case when i % 2 = 0 then (d * 2) / 10 + (d * 2) % 10 else d end) % 10) % 10)::text
    from (select i, substr(b, i, 1)::int as d from generate_series(1, 14) i) s $$`.execute(db);
  // Row i is the n-th of its type: within each block of 100 rows, its rank among that type's.
  const rank = `case ${SHARES.map(([, s], k) => {
    const from = SHARES.slice(0, k).reduce((a, [, x]) => a + x, 0);
    return `when i % 100 < ${from + s} then (i / 100) * ${s} + (i % 100 - ${from})`;
  }).join(' ')} end`;
  await sql
    .raw(
      `insert into watchlist_indicators (id, stix_id, type, value, bank_code, category, confidence,
         tlp, share_with, status, valid_until, description, case_ref, source_country, created_at,
         updated_at)
       select 'ind_' || translate(encode(substr(sha256(i::text::bytea), 1, 12), 'base64'), '+/', '-_'),
         'indicator--' || md5(i::text)::uuid, t, v,
         case when t = 'bank_account' then 'BKKBTHBK' else '' end,
         case t when 'bank_account' then 'mule_account' when 'imei' then 'sim_farm_device'
           when 'msisdn' then 'scam_caller' else 'scam_server' end,
         50 + i % 50, 'amber', array['*'], 'active', now() + interval '180 days',
         'benchmark listing', null, 'TH', now(), now()
       from (select i, ${TYPE_SQL} as t, ${rank} as r from generate_series(0, ${total - 1}) i) g,
         lateral (select case t ${SHARES.map(([t]) => `when '${t}' then ${valueSql(t, 'r')}`).join(' ')} end as v) x`,
    )
    .execute(db);
  await sql
    .raw(
      `insert into watchlist_indicator_sources (indicator_id, source_org, is_owner, confidence,
         description, case_ref, created_at, updated_at)
       select id, '${stack.operatorId}', true, confidence, description, case_ref, created_at, updated_at
       from watchlist_indicators`,
    )
    .execute(db);
  await sql`analyze watchlist_indicators`.execute(db);
  const fillMs = Date.now() - t0;
  const size = await sql<{ table: string; indexes: string; total: string }>`
    select pg_size_pretty(pg_table_size('watchlist_indicators')) as table,
      pg_size_pretty(pg_indexes_size('watchlist_indicators')) as indexes,
      pg_size_pretty(pg_total_relation_size('watchlist_indicators')
        + pg_total_relation_size('watchlist_indicator_sources')) as total`.execute(db);
  const s = size.rows[0];
  console.log(
    `filled in ${fmt(Math.round(fillMs / 1000))} s: watchlist_indicators ${s?.table} (indexes ${s?.indexes}); with its sources ${s?.total}`,
  );
  const plan = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers)
    select id, category, confidence from watchlist_indicators
    where type = 'msisdn' and value = ${lookupValue('msisdn', 12345)} and bank_code = ''
      and status = 'active' and valid_until > now()`.execute(db);
  console.log(plan.rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n'));

  /** Per type, how many rows of it there are: number n of it is listed when n is below. */
  const counts = new Map(SHARES.map(([t, sh]) => [t, Math.floor((total * sh) / 100)]));
  // Every type's first listed value and first unlisted one, answered as expected.
  for (const [type] of SHARES)
    for (const [n, listed] of [
      [0, true],
      [counts.get(type) ?? 0, false],
    ] as const) {
      const q = new URLSearchParams({ type, value: lookupValue(type, n) });
      if (type === 'bank_account') q.set('bankCode', 'BKKBTHBK');
      const res = await fetch(`${stack.baseUrl}/v1/watchlist/check?${q}`, {
        headers: { authorization: `Bearer ${stack.apiKey}` },
      });
      const body = (await res.json()) as { listed?: boolean };
      if (body.listed !== listed)
        throw new Error(`${type} ${lookupValue(type, n)}: ${res.status} ${JSON.stringify(body)}`);
    }
  let k = 0;
  const figures = await drive({
    name: `check, ${fmt(total)} listed`,
    baseUrl: stack.baseUrl,
    apiKey: stack.apiKey,
    connections: Number(values.connections),
    seconds: Number(values.seconds),
    expectStatus: 200,
    next: () => {
      k++;
      const [type] = SHARES[k % 100 < 60 ? 0 : 1 + (k % 5)] as (typeof SHARES)[number];
      const count = counts.get(type) ?? 1;
      // Even requests listed values, odd ones values just past the listed ones.
      const n = k % 2 === 0 ? (k * 7919) % count : count + (k % 1_000_000);
      const q = new URLSearchParams({ type, value: lookupValue(type, n) });
      if (type === 'bank_account') q.set('bankCode', 'BKKBTHBK');
      return { method: 'GET', path: `/v1/watchlist/check?${q}` };
    },
  });
  printTable([figures]);
} finally {
  await handle.close();
  await stack.stop();
  if (!values.keep) await rm(resolve('.tmp/load'), { recursive: true, force: true });
}
