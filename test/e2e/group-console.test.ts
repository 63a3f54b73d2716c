import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, overflows, signIn } from '../support/browser.js';
import { campaignLine, postCdrs } from '../support/cdrs.js';
import { consoleSession, LONG_SESSIONS, type Session } from '../support/console.js';
import { startServer } from '../support/server.js';
import { idemKey, msisdn, registrationBody, thaiSubscriber } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let world: World;
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let officer: Session;
let approver: Session;

const T = Date.parse('2026-11-25T08:30:00Z');
const CELL = '520-01-99-9001';
const linesA = [msisdn(), msisdn(), msisdn(), msisdn()];
const linesB = [msisdn(), msisdn()];

/** A campaign line from one compound's cell, on a handset shared with the line beside it. */
const line = (msisdn: string, handset: number) =>
  campaignLine(msisdn, CELL, T, `3569990000000${handset}`);

beforeAll(async () => {
  world = await createWorld({
    ...LONG_SESSIONS,
    SCORING_RELOAD_MS: '0',
  });
  server = await startServer(world);
  browser = await launchBrowser();
  officer = await consoleSession(world, 'officer');
  approver = await consoleSession(world, 'approver');
  const a = await world.operator('TH', 'Siam Mobile');
  const b = await world.operator('TH', 'Lanna Tel');
  // Registered at one outlet: the first two lines to one person, the next two to two others.
  const person = thaiSubscriber();
  for (const [i, line] of linesA.entries()) {
    const res = await world.request('POST', '/v1/registrations', {
      key: a.apiKey,
      body: registrationBody(world.now(), {
        msisdn: line,
        ...(i < 2 ? { subscriber: person } : {}),
        pointOfSale: { agentId: 'agent-7', outletId: 'outlet-kk-12' },
      }),
      headers: { 'idempotency-key': idemKey() },
    });
    expect(res.status).toBe(201);
  }
  await postCdrs(
    world,
    a.apiKey,
    linesA.flatMap((l, i) => line(l, Math.floor(i / 2))),
  );
  await postCdrs(
    world,
    b.apiKey,
    linesB.flatMap((l) => line(l, 7)),
  );
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await world?.close();
});

describe('the campaign pages, in Chromium', () => {
  it('lead from the dashboard alert to the whole campaign, explained, with every member line', async () => {
    const page = await signIn(browser, server.url, officer);
    await page.setViewportSize({ width: 1280, height: 900 });
    const link = page.getByRole('link', { name: /^The whole campaign/ }).first();
    await expect(link.textContent()).resolves.toBe('The whole campaign (6 lines)');
    await expect(page.locator('.explain').first().textContent()).resolves.toContain(
      'Coordinated calling from one place.',
    );
    await link.click();
    await page.waitForURL(/\/console\/groups\/\d+$/);
    const h1 = (await page.locator('h1').textContent()) ?? '';
    expect(h1).toMatch(/^Campaign #\d+: /);
    const explanation = (await page.locator('#explanation').textContent()) ?? '';
    expect(explanation).toContain('one operation spreading its calls over many SIMs');
    expect(explanation).toContain(`Cell ${CELL}`);
    expect(explanation).toContain('2026-11-25');
    expect(explanation).toContain('Siam Mobile 4');
    expect(explanation).toContain('Lanna Tel 2');
    await expect(page.locator('#totals').textContent()).resolves.toContain(
      'Member lines behaving alike',
    );
    const shared = (await page.locator('#shared').textContent()) ?? '';
    expect(shared).toContain('1 person holds 2 member lines (shown here as P1)');
    expect(shared).toContain('outlet-kk-12');
    expect(shared).toContain('35699900000000');
    expect(shared).toContain('35699900000007');
    const rows = page.locator('#members tbody tr');
    expect(await rows.count()).toBe(6);
    const lines = await page.locator('#members tbody td[data-label="Line"]').allTextContents();
    expect(lines.sort()).toEqual([...linesA, ...linesB].sort());
    const persons = await page.locator('#members tbody td[data-label="Person"]').allTextContents();
    expect(persons.filter((p) => p === 'P1')).toHaveLength(2);
    expect(persons.filter((p) => p === 'one line here')).toHaveLength(2);
    expect(persons.filter((p) => p === 'not registered')).toHaveLength(2);
    await expect(
      rows.first().locator('td[data-label="Line alert"]').textContent(),
    ).resolves.toMatch(/^open #\d+$/);
    expect(await overflows(page)).toBe(false);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    expect(await overflows(page)).toBe(false);
    // On a phone each member line is a card whose figures carry their labels.
    await expect(
      page.locator('#members tbody td[data-label="Calls out"]').first().isVisible(),
    ).resolves.toBe(true);
    await expect(page.locator('#members thead').isVisible()).resolves.toBe(false);
  });

  it('list campaigns with their rule filters, on a desktop and on a phone', async () => {
    const page = await signIn(browser, server.url, officer);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${server.url}/console/groups`);
      const first = page.locator('tbody tr').first();
      await expect(first.locator('td[data-label="Shared"]').textContent()).resolves.toBe(
        `Cell ${CELL}`,
      );
      await expect(first.locator('td[data-label="Members"]').textContent()).resolves.toContain('6');
      expect(await overflows(page)).toBe(false);
    }
    await page
      .getByRole('link', { name: 'Many lines working through one block of numbers' })
      .click();
    await page.waitForURL(/rule=target_sweep/);
    await expect(page.locator('.card').textContent()).resolves.toContain(
      'No coordinated campaign matches.',
    );
    await page.getByRole('link', { name: 'Campaigns', exact: true }).click();
    await page.locator('tbody tr a').first().click();
    await page.waitForURL(/\/console\/groups\/\d+$/);
  });

  it('refuse roles that do not read campaigns, and answer an unknown campaign with 404', async () => {
    const denied = await approver.request('GET', '/console/groups');
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain('Your role does not allow this.');
    const missing = await officer.request('GET', '/console/groups/999999');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('No campaign 999999 was raised.');
  });
});
