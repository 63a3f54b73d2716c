/**
 * Console JSON API load run: a regulator session reads the orders and zones lists and an
 * order's detail (what the dashboard and order pages ask for), and an operator polls its
 * orders, on a database seeded with zones, cells and issued orders.
 *
 *   npx tsx load/console.ts [--seconds 15] [--connections 16]
 *
 * Exits non-zero when a scenario misses its thresholds (declared below).
 */

import { parseArgs } from 'node:util';
import { createUser } from '../src/access/users.js';
import { withAuditKeys } from '../src/platform/audit.js';
import { connect } from '../src/platform/db/client.js';
import { DAY_MS, HOUR_MS } from '../src/platform/time.js';
import {
  drive,
  type Figures,
  failedThresholds,
  printTable,
  startLoadStack,
  type Thresholds,
} from './lib/stack.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '16' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

/** Regulators and operators read these interactively: 200 ms at p95 is the budget. */
const THRESHOLDS: Thresholds = { p95Ms: 200, p99Ms: 400, maxErrorRate: 0.001 };

const stack = await startLoadStack();
const base = stack.baseUrl;

async function api<T>(
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; json: T; headers: Headers }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as T, headers: res.headers };
}

/** Logs in with the one-time password, sets a real one, logs in again: a session and its token. */
async function session(username: string, role: string) {
  const handle = connect(stack.databaseUrl, { max: 1 });
  const user = await createUser({
    ctx: { db: withAuditKeys(handle.db, stack.auditKeys), now: new Date(), actor: 'load' },
    input: { username, role },
  });
  await handle.close();
  const login = async (password: string) => {
    const res = await api<{ csrfToken: string }>(
      'POST',
      '/v1/auth/login',
      { username, password },
      {},
    );
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return { cookie, csrf: res.json.csrfToken };
  };
  const first = await login(user.oneTimePassword);
  const password = `load-test-password-${username}`;
  const changed = await api(
    'POST',
    '/v1/auth/password',
    { currentPassword: user.oneTimePassword, newPassword: password },
    { cookie: first.cookie, 'x-csrf-token': first.csrf },
  );
  if (changed.status !== 204) throw new Error(`password change failed: ${changed.status}`);
  const s = await login(password);
  return { cookie: s.cookie, 'x-csrf-token': s.csrf };
}

const officer = await session('load-officer', 'officer');
const approver = await session('load-approver', 'approver');

/** Seed: the operator's cells on a grid, zones over parts of it, orders issued on them. */
const cells = Array.from({ length: 400 }, (_, i) => ({
  cellId: `520-03-${1000 + i}`,
  radio: 'lte',
  lat: 14 + (i % 20) * 0.01,
  lon: 102 + Math.floor(i / 20) * 0.01,
  rangeM: 1500,
}));
const put = await api(
  'PUT',
  '/v1/operator/cells',
  { cells },
  {
    authorization: `Bearer ${stack.apiKey}`,
  },
);
if (put.status !== 200) throw new Error(`cell upload failed: ${put.status}`);
const orderIds: string[] = [];
for (let z = 0; z < 10; z++) {
  const lon = 102 + z * 0.02;
  const zone = await api<{ id: string }>(
    'POST',
    '/v1/zones',
    {
      name: `Border zone ${z}`,
      riskLevel: 'high',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [lon, 14],
            [lon + 0.05, 14],
            [lon + 0.05, 14.1],
            [lon, 14.1],
            [lon, 14],
          ],
        ],
      },
    },
    officer,
  );
  const startsAt = new Date(Date.now() + HOUR_MS);
  const draft = await api<{ id: string }>(
    'POST',
    '/v1/suspension-orders',
    {
      zoneId: zone.json.id,
      measure: 'full_suspension',
      services: ['voice', 'sms', 'data'],
      operatorIds: [stack.operatorId],
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3 * DAY_MS).toISOString(),
      legalBasis: 'Telecommunications Business Act, section 0 (load test)',
      reasons: `Scam compound operating in this zone; load test order number ${z}`,
      exemptCells: [],
    },
    officer,
  );
  await api('POST', `/v1/suspension-orders/${draft.json.id}/submit`, {}, officer);
  const approved = await api(
    'POST',
    `/v1/suspension-orders/${draft.json.id}/approve`,
    {},
    approver,
  );
  if (approved.status !== 200) throw new Error(`approval failed: ${approved.status}`);
  orderIds.push(draft.json.id);
}

const rows: Figures[] = [];
const failures: string[] = [];
try {
  const pick = () => orderIds[Math.floor(Math.random() * orderIds.length)] ?? '';
  const scenarios: { name: string; headers: Record<string, string>; path: () => string }[] = [
    { name: 'regulator: order list', headers: approver, path: () => '/v1/suspension-orders' },
    {
      name: 'regulator: order detail',
      headers: approver,
      path: () => `/v1/suspension-orders/${pick()}`,
    },
    { name: 'regulator: zone list', headers: officer, path: () => '/v1/zones' },
    {
      name: 'operator: its orders',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      path: () => '/v1/operator/suspension-orders',
    },
  ];
  for (const s of scenarios) {
    const f = await drive({
      name: s.name,
      baseUrl: base,
      apiKey: stack.apiKey,
      connections,
      seconds,
      expectStatus: 200,
      next: () => ({ method: 'GET', path: s.path(), headers: s.headers }),
    });
    rows.push(f);
    failures.push(...failedThresholds(f, THRESHOLDS));
  }
  printTable(rows);
} finally {
  await stack.stop();
}
if (failures.length > 0) {
  process.stdout.write(`\nthresholds missed:\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write('\nall thresholds met\n');
