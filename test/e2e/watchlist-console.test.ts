import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addWarninglistEntry } from '../../src/watchlist/warninglist.js';
import { launchBrowser, signIn } from '../support/browser.js';
import { cdr, ndjson } from '../support/cdrs.js';
import { consoleSession, LONG_SESSIONS, type Session } from '../support/console.js';
import { startServer } from '../support/server.js';
import { msisdn } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let world: World;
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let analyst: Session;
let auditor: Session;
let analystPage: Page;

beforeAll(async () => {
  world = await createWorld({
    ...LONG_SESSIONS,
    SCORING_RELOAD_MS: '0',
    WATCHLIST_RELOAD_MS: '100',
  });
  server = await startServer(world);
  browser = await launchBrowser();
  analyst = await consoleSession(world, 'analyst');
  auditor = await consoleSession(world, 'auditor');
  analystPage = await signIn(browser, server.url, analyst);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await world?.close();
});

/** Fills the listing form; fields not given keep their defaults. */
async function fillListing(page: Page, f: Record<string, string>) {
  await page.goto(`${server.url}/console/watchlist`);
  const form = page.locator('#list-form');
  if (f.type) await form.getByLabel('Type', { exact: true }).selectOption(f.type);
  if (f.category) await form.getByLabel('Category', { exact: true }).selectOption(f.category);
  await form.getByLabel('Value', { exact: true }).fill(f.value ?? '');
  if (f.bankCode) await form.getByLabel(/^Bank code/).fill(f.bankCode);
  if (f.confidence) await form.getByLabel(/^Confidence/).fill(f.confidence);
  if (f.tlp) await form.getByLabel('TLP marking').selectOption(f.tlp);
  if (f.shareWith) await form.getByLabel(/^Share with/).fill(f.shareWith);
  await form.getByLabel(/^Description/).fill(f.description ?? 'Reported by three victims.');
  if (f.caseRef) await form.getByLabel(/^Case reference/).fill(f.caseRef);
  await form.getByRole('button', { name: 'List indicator' }).click();
  await page.waitForLoadState();
}

/** Lists a number through the form and returns its indicator id (from the detail page's URL). */
async function listThroughForm(value: string, extra: Record<string, string> = {}): Promise<string> {
  await fillListing(analystPage, { value, ...extra });
  await analystPage.waitForURL(/\/console\/watchlist\/ind_[^/?]+\?done=listed$/);
  return new URL(analystPage.url()).pathname.split('/').pop() ?? '';
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('the watchlist console, in Chromium', () => {
  it('lets an analyst list an indicator through the form and find it in the listing and detail', async () => {
    const number = msisdn('KH');
    const spaced = `${number.slice(0, 4)} ${number.slice(4, 7)} ${number.slice(7)}`;
    const id = await listThroughForm(spaced, {
      category: 'scam_caller',
      confidence: '90',
      tlp: 'amber+strict',
      shareWith: 'la',
      caseRef: 'TH-CCIB-2026-0042',
    });
    const page = analystPage;
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('Listed.');
    await expect(page.locator('h1 .value').textContent()).resolves.toBe(number);
    const facts = (await page.locator('#facts').textContent()) ?? '';
    expect(facts).toContain('Scam caller');
    expect(facts).toContain('A phone number used to call or message victims');
    expect(facts).toContain('TLP:AMBER+STRICT');
    expect(facts).toContain('LA');
    expect(facts).toContain('TH-CCIB-2026-0042');
    const sources = (await page.locator('#sources').textContent()) ?? '';
    expect(sources).toContain('Regulator (this console)');
    expect(sources).toContain('Reported by three victims.');
    await expect(page.locator('#history').textContent()).resolves.toContain(
      `listed by ${analyst.username}`,
    );
    const badge = page.locator('h1 .tlp');
    expect(
      await badge.evaluate((e) => e.ownerDocument.defaultView?.getComputedStyle(e).color),
    ).toBe('rgb(255, 192, 0)');

    await page.getByRole('link', { name: 'Watchlist', exact: true }).click();
    const row = page.locator(`#indicators tr[data-id="${id}"]`);
    expect(await row.locator('td').allTextContents()).toEqual([
      'Phone number',
      number,
      'Scam caller',
      '90',
      'TLP:AMBER+STRICT',
      'active',
      expect.stringMatching(/^2027-\d\d-\d\d \d\d:\d\d UTC$/),
      'TH',
    ]);

    await page
      .locator('#search')
      .getByLabel(/^Value/)
      .fill(number);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/value=/);
    await expect(page.locator('#q-value-error').textContent()).resolves.toBe(
      'Choose the type too: a value is searched in the canonical form of its type.',
    );
    await page.locator('#search').getByLabel('Type', { exact: true }).selectOption('msisdn');
    await page
      .locator('#search')
      .getByLabel(/^Value/)
      .fill(spaced.replaceAll(' ', '-'));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/value=/);
    expect(await page.locator('#indicators tbody tr').count()).toBe(1);
    await page
      .locator('#search')
      .getByLabel('Category', { exact: true })
      .selectOption('mule_account');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/category=mule_account/);
    await expect(page.locator('#results').textContent()).resolves.toContain(
      'Nothing matches this search.',
    );
  });

  it("shows a bad value's rule as a sentence next to the field and keeps what was typed", async () => {
    const page = analystPage;
    await fillListing(page, {
      type: 'imei',
      category: 'sim_farm_device',
      value: '350000000000001',
      description: 'SIM bank seized in a raid.',
      caseRef: 'RAID-7',
    });
    await expect(page.locator('#value-error').textContent()).resolves.toBe(
      'The last digit of this IMEI is not its check digit: check the number was copied in full.',
    );
    const value = page.locator('#list-form #value');
    expect(await value.getAttribute('aria-invalid')).toBe('true');
    expect(await value.getAttribute('aria-describedby')).toBe('value-error');
    expect(await value.inputValue()).toBe('350000000000001');
    expect(await page.locator('#list-form #type').inputValue()).toBe('imei');
    expect(await page.locator('#list-form #category').inputValue()).toBe('sim_farm_device');
    expect(await page.locator('#list-form #description').inputValue()).toBe(
      'SIM bank seized in a raid.',
    );
    expect(await page.locator('#list-form #caseRef').inputValue()).toBe('RAID-7');

    await fillListing(page, { value: '0812345678' });
    await expect(page.locator('#value-error').textContent()).resolves.toContain(
      'starting with + and the country code',
    );
    await fillListing(page, { value: msisdn('TH'), shareWith: 'LA, *' });
    await expect(page.locator('#shareWith-error').textContent()).resolves.toContain(
      'or * for every partner, not both',
    );
    await fillListing(page, {
      type: 'bank_account',
      category: 'mule_account',
      value: '123-456-7890',
    });
    await expect(page.locator('#bankCode-error').textContent()).resolves.toContain(
      "Enter the bank's code",
    );

    const hotline = msisdn('TH');
    await addWarninglistEntry({
      ctx: { db: world.deps.db, now: world.now(), actor: 'test' },
      input: {
        type: 'msisdn',
        value: hotline,
        reason: 'verified_bank',
        description: 'Bank fraud hotline',
        source: 'bank website',
      },
    });
    await fillListing(page, { value: hotline });
    await expect(page.locator('#value-error').textContent()).resolves.toContain(
      "This is a bank's verified hotline, on the warninglist, so it cannot be listed.",
    );
  });

  it("pages the listing newest first and shows each type's default lifetime by the form", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 27; i++) {
      world.setNow(new Date(world.now().getTime() + 1000));
      const res = await analyst.request('POST', '/v1/watchlist/indicators', {
        type: 'ip',
        value: `198.51.100.${i}`,
        category: 'scam_server',
        confidence: 60,
        tlp: 'green',
        shareWith: ['*'],
        description: 'Gateway of a call centre.',
      });
      ids.push(((await res.json()) as { id: string }).id);
    }
    const page = analystPage;
    await page.goto(`${server.url}/console/watchlist?type=ip`);
    const rows = () =>
      page
        .locator('#indicators tbody tr')
        .evaluateAll((trs) => trs.map((t) => t.getAttribute('data-id')));
    expect(await rows()).toEqual(ids.slice(2).reverse());
    await page.getByRole('link', { name: 'Older indicators' }).click();
    await page.waitForURL(/cursor=/);
    expect(await rows()).toEqual([ids[1], ids[0]]);
    expect(await page.getByRole('link', { name: 'Older indicators' }).count()).toBe(0);
    expect(await page.locator('#q-type').inputValue()).toBe('ip');
    await page.getByRole('link', { name: 'Newest' }).click();
    await page.waitForURL(/\?type=ip$/);
    await expect(page.locator('#lifetimes').textContent()).resolves.toMatch(
      /Phone number \d+ \(\d+\)/,
    );
  });

  it('gives auditors the pages without forms, and refuses their posts', async () => {
    const id = await listThroughForm(msisdn('LA'));
    const page = await signIn(browser, server.url, auditor);
    await page.getByRole('link', { name: 'Watchlist', exact: true }).click();
    await expect(page.locator(`#indicators tr[data-id="${id}"]`).count()).resolves.toBe(1);
    expect(await page.locator('#list-form').count()).toBe(0);
    await page.goto(`${server.url}/console/watchlist/${id}`);
    await expect(page.locator('#sources').textContent()).resolves.toContain('Regulator');
    expect(await page.locator('#actions').count()).toBe(0);
    expect(await page.locator('form[method=post]').count()).toBe(1);

    const revoke = await world.request('POST', `/console/watchlist/${id}/revoke`, {
      body: new URLSearchParams({ reason: 'auditor tries', _csrf: auditor.csrf }).toString(),
      headers: { ...FORM, cookie: auditor.cookie },
    });
    expect(revoke.status).toBe(403);
    expect(await revoke.text()).toContain('Your role does not allow this.');
    const listing = await world.request('POST', '/console/watchlist', {
      body: new URLSearchParams({
        type: 'msisdn',
        value: msisdn(),
        _csrf: auditor.csrf,
      }).toString(),
      headers: { ...FORM, cookie: auditor.cookie },
    });
    expect(listing.status).toBe(403);
    const approver = await consoleSession(world, 'approver');
    const hidden = await world.request('GET', '/console/watchlist', {
      headers: { cookie: approver.cookie },
    });
    expect(hidden.status).toBe(403);
    const dashboard = await (
      await world.request('GET', '/console', { headers: { cookie: approver.cookie } })
    ).text();
    expect(dashboard).not.toContain('href="/console/watchlist"');
    const still = await analyst.request('GET', `/v1/watchlist/indicators/${id}`);
    expect(((await still.json()) as { status: string }).status).toBe('active');
  });

  it('records sightings, a review and a revocation from their forms, each in the history', async () => {
    const id = await listThroughForm(msisdn('TH'));
    const page = analystPage;
    const actions = page.locator('#actions');
    await actions.getByRole('radio', { name: /Seen in a case/ }).check();
    await actions.locator('#sighting-note').fill('Called a victim in Ubon on 24 Nov.');
    await actions.getByRole('button', { name: 'Record sighting' }).click();
    await page.waitForURL(/done=seen/);
    await expect(page.locator('#sightings').textContent()).resolves.toContain(
      'Called a victim in Ubon on 24 Nov.',
    );
    await page.getByRole('radio', { name: /False positive/ }).check();
    await page.locator('#sighting-note').fill('The number was reassigned to a shop.');
    await page.getByRole('button', { name: 'Record sighting' }).click();
    await page.waitForURL(/done=false_positive/);
    expect(await page.locator('h1 .badge').textContent()).toBe('suspended');

    await page.locator('#decision').selectOption('revoke');
    await page.locator('#review-note').fill('   ');
    await page.getByRole('button', { name: 'Record review' }).click();
    await page.waitForLoadState();
    await expect(page.locator('#review-form .field-error').textContent()).resolves.toContain(
      'Write a note',
    );
    expect(await page.locator('#decision').inputValue()).toBe('revoke');
    expect(await page.locator('h1 .badge').textContent()).toBe('suspended');
    await page.locator('#decision').selectOption('reinstate');
    await page.locator('#review-note').fill('Checked with the operator: still the scammer.');
    await page.getByRole('button', { name: 'Record review' }).click();
    await page.waitForURL(/done=reinstated/);
    expect(await page.locator('h1 .badge').textContent()).toBe('active');

    await page.locator('#reason').fill('Court found the listing unfounded.');
    await page.getByRole('button', { name: 'Revoke indicator' }).click();
    await page.waitForURL(/done=revoked/);
    expect(await page.locator('h1 .badge').textContent()).toBe('revoked');
    expect(await page.locator('#facts').textContent()).toContain(
      'Court found the listing unfounded.',
    );
    expect(await page.locator('#actions form').count()).toBe(0);
    const history = await page.locator('#history li').allTextContents();
    expect(history.map((h) => h.replace(/^.*UTC\s+/, ''))).toEqual([
      `listed by ${analyst.username}`,
      `sighting: seen by ${analyst.username}`,
      `sighting: false positive by ${analyst.username}`,
      `suspended pending review by ${analyst.username}`,
      `reinstated after review by ${analyst.username}`,
      `revoked by ${analyst.username}`,
    ]);
    await expect(page.locator('#lookups').textContent()).resolves.toMatch(/^Looked up \d+ time/);
    const api = (await (await analyst.request('GET', `/v1/watchlist/indicators/${id}`)).json()) as {
      status: string;
      revokeReason: string;
    };
    expect(api).toMatchObject({
      status: 'revoked',
      revokeReason: 'Court found the listing unfounded.',
    });
  });

  it('refuses an action form posted without the session CSRF token', async () => {
    const id = await listThroughForm(msisdn('TH'));
    const forged = await world.request('POST', `/console/watchlist/${id}/revoke`, {
      body: new URLSearchParams({ reason: 'forged' }).toString(),
      headers: { ...FORM, cookie: analyst.cookie },
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('This form has expired or did not come from the console');
    const wrong = await world.request('POST', `/console/watchlist/${id}/sightings`, {
      body: new URLSearchParams({ kind: 'false_positive', _csrf: auditor.csrf }).toString(),
      headers: { ...FORM, cookie: analyst.cookie },
    });
    expect(wrong.status).toBe(403);
    const detail = (await (
      await analyst.request('GET', `/v1/watchlist/indicators/${id}`)
    ).json()) as {
      status: string;
      sightings: unknown[];
    };
    expect(detail).toMatchObject({ status: 'active', sightings: [] });
  });

  it('shows the watchlist_contact alert a CDR raises among the matches, explained', async () => {
    const op = await world.operator('TH', 'Chao Phraya Mobile');
    const scammer = msisdn('KH');
    const id = await listThroughForm(scammer);
    world.setNow(new Date(world.now().getTime() + 1000));
    const line = msisdn('TH');
    const res = await world.request('POST', '/v1/cdrs', {
      key: op.apiKey,
      body: ndjson([cdr({ msisdn: line, otherParty: scammer, startedAt: world.now().getTime() })]),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(res.status).toBe(202);
    const page = analystPage;
    await page.goto(`${server.url}/console/watchlist/${id}`);
    const row = page.locator('#matches tbody tr');
    expect(await row.count()).toBe(1);
    const text = (await row.textContent()) ?? '';
    expect(text).toContain(line);
    expect(text).toContain('Contact with a listed number');
    expect(text).toContain('The operator should warn its customer');
    await page.goto(`${server.url}/console`);
    await expect(page.locator('body').textContent()).resolves.toContain(
      'The operator should warn its customer',
    );
    await page.getByRole('link', { name: 'The listed indicator' }).first().click();
    await page.waitForURL(`**/console/watchlist/${id}`);
  });
});
