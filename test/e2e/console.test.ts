import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/access/users.js';
import { launchBrowser } from '../support/browser.js';
import { LONG_SESSIONS, squareZone } from '../support/console.js';
import { startServer } from '../support/server.js';
import { createWorld, type World } from '../support/world.js';

const LON = 102.6;
const LAT = 14.13;
let world: World;
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;

beforeAll(async () => {
  world = await createWorld(LONG_SESSIONS);
  server = await startServer(world);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await world?.close();
});

async function newUser(role: 'officer' | 'approver') {
  const username = `${role}-${Date.now().toString(36)}`;
  const u = await createUser({
    ctx: { db: world.deps.db, now: world.now(), actor: 'test' },
    input: { username, role },
  });
  return { username, password: u.oneTimePassword };
}

/** Logs in with the one-time password and sets a real one, as a new user would. */
async function firstLogin(page: Page, user: { username: string; password: string }) {
  await page.goto(`${server.url}/console`);
  await page.waitForURL('**/console/login');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/console/password');
  await page.getByLabel('Current password').fill(user.password);
  await page.getByLabel(/New password/).fill(`a new passphrase for ${user.username}`);
  await page.getByRole('button', { name: 'Save password' }).click();
  await page.waitForURL(/\/console$/);
  await expect(page.getByRole('heading', { name: 'Dashboard' }).isVisible()).resolves.toBe(true);
}

async function api(path: string, key: string, method = 'GET', body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json() as Promise<Record<string, unknown>>;
}

it('drafts, approves as a second user, and shows operator compliance, in Chromium', async () => {
  const operator = await world.operator('TH', 'Mekong Mobile');
  await api('/v1/operator/cells', operator.apiKey, 'PUT', {
    cells: [
      { cellId: 'MM-1', radio: 'lte', lat: LAT, lon: LON, rangeM: 1500 },
      { cellId: 'MM-2', radio: 'nr', lat: LAT + 0.004, lon: LON - 0.004, rangeM: 800 },
      { cellId: 'MM-far', radio: 'gsm', lat: LAT + 0.5, lon: LON, rangeM: 3000 },
    ],
  });
  const officer = await newUser('officer');
  const approver = await newUser('approver');

  const officerPage = await (await browser.newContext()).newPage();
  await firstLogin(officerPage, officer);

  await officerPage.getByRole('link', { name: 'Zones' }).click();
  await officerPage.getByLabel('Name').fill('Border compound zone');
  await officerPage.getByLabel(/GeoJSON Polygon/).fill(JSON.stringify(squareZone(LON, LAT, 4)));
  await officerPage.getByRole('button', { name: 'Create zone' }).click();
  await officerPage.waitForURL(/\/console\/zones\/zone_/);
  expect(await officerPage.locator('#cells-inside').textContent()).toBe('2');
  expect(await officerPage.locator('svg.map circle').count()).toBe(2);

  await officerPage.getByRole('link', { name: 'Draft an order for this zone' }).click();
  await officerPage.getByLabel(/Mekong Mobile/).check();
  await officerPage.getByLabel('Legal basis').fill('Telecommunications Act s.77');
  await officerPage
    .getByLabel(/Written reasons/)
    .fill('Scam compound confirmed by a police raid; calls traced to this zone.');
  await officerPage.getByRole('button', { name: 'Preview impact' }).click();
  await expect(officerPage.locator('#impact h2').textContent()).resolves.toContain('2 cells');
  await officerPage.getByRole('button', { name: 'Save draft' }).click();
  await officerPage.waitForURL(/\/console\/orders\/ord_/);
  expect(await officerPage.locator('h1 .badge').textContent()).toBe('draft');
  await officerPage.getByRole('button', { name: 'Submit for approval' }).click();
  await officerPage.waitForURL(/done=submitted/);
  expect(await officerPage.locator('h1 .badge').textContent()).toBe('pending approval');
  expect(await officerPage.getByRole('button', { name: 'Approve and issue' }).count()).toBe(0);
  const orderUrl = officerPage.url().split('?')[0] ?? '';
  const orderId = orderUrl.split('/').pop() ?? '';

  const approverPage = await (await browser.newContext()).newPage();
  await firstLogin(approverPage, approver);
  await expect(approverPage.locator('#pending-orders').textContent()).resolves.toContain('SO-');
  await approverPage.goto(orderUrl);
  await approverPage.getByRole('button', { name: 'Approve and issue' }).click();
  await approverPage.waitForURL(/done=approved/);
  expect(await approverPage.locator('h1 .badge').textContent()).toBe('scheduled');

  world.setNow(new Date(world.now().getTime() + 3 * 3_600_000));
  const listed = (await api('/v1/operator/suspension-orders', operator.apiKey)) as {
    orders: { id: string; status: string; cells: { cellId: string }[] }[];
  };
  const order = listed.orders.find((o) => o.id === orderId);
  expect(order?.status).toBe('active');
  expect(order?.cells.map((c) => c.cellId)).toEqual(['MM-1', 'MM-2']);
  await api(`/v1/operator/suspension-orders/${orderId}/acknowledge`, operator.apiKey, 'POST');
  await api(`/v1/operator/suspension-orders/${orderId}/compliance`, operator.apiKey, 'POST', {
    suspended: ['MM-1'],
    failed: [{ cellId: 'MM-2', cause: 'site unreachable' }],
  });

  await approverPage.reload();
  expect(await approverPage.locator('h1 .badge').textContent()).toBe('active');
  const row = approverPage.locator(`#compliance tr[data-operator="${operator.operatorId}"]`);
  expect(await row.locator('td.suspended').textContent()).toBe('1');
  expect(await row.locator('td.failed').textContent()).toBe('1');
  await expect(approverPage.locator('#compliance').textContent()).resolves.toContain(
    'site unreachable',
  );
  await approverPage.goto(`${server.url}/console`);
  await expect(approverPage.locator('#active-orders').textContent()).resolves.toContain('SO-');
});
