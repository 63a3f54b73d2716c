import { type Browser, chromium } from 'playwright-core';

/** The machine's Chromium, headless, for the console's end-to-end tests. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
