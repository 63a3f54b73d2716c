import { type Browser, chromium, type Page } from 'playwright-core';
import type { Session } from './console.js';

/** The machine's Chromium, headless, for the console's end-to-end tests. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A browser context of its own, logged in as `s` through the console's login page at `url`. */
export async function signIn(browser: Browser, url: string, s: Session): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${url}/console/login`);
  await page.getByLabel('Username').fill(s.username);
  await page.getByLabel('Password').fill(s.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/console$/);
  return page;
}

/** Whether the page is wider than its viewport (a phone would scroll sideways). */
export function overflows(page: Page): Promise<boolean> {
  return page.evaluate<boolean>(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  );
}
