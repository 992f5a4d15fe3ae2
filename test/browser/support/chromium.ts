import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { findChromium } from './find-chromium';

export { findChromium, INSTALL_HINT } from './find-chromium';
export { startStaticServer, type StaticServer } from './static-server';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SCREENSHOT_DIR = resolve(REPO_ROOT, 'test-results/screenshots');

export const CHROMIUM_ARGS = [
  // Root in containers/CI has no usable user namespace sandbox.
  '--no-sandbox',
  '--disable-gpu',
  // Test servers speak plain HTTP/1.1 on loopback; no HTTP/3 probing over UDP.
  '--disable-quic',
  '--no-first-run',
  // The rest stop background traffic: the machine has no internet, and stray
  // requests slow startup and add noise to network assertions.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Headless Chromium. Plain `launch` (not `launchPersistentContext`) because it
 * already gives every browser a fresh temporary profile that Playwright deletes
 * on close, and it returns a `Browser`, so each test can take its own isolated
 * context from `newContext`.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await findChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/**
 * A fresh context: its own cookies, storage, IndexedDB and service workers,
 * so tests that check staleness never see another test's data.
 */
export function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
}

/** Saves a full-page PNG to `test-results/screenshots/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = resolve(SCREENSHOT_DIR, `${name}.png`);
  // `name` may contain slashes to group screenshots in folders.
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  return path;
}
