import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { bundleScript, type ScriptSource } from './bundle';
import { launchChromium, startStaticServer, type StaticServer } from './chromium';

export interface PageSpec {
  /** Names the temporary folder served: `nostale-<name>-XXXXXX`. */
  name: string;
  /** The contents of `index.html`. */
  html: string;
  /** `app.js`: bundled from a file or from source text, or a string served as written. */
  app: ScriptSource | string;
  /** More files by path from the root, e.g. `{ 'assets/sw.js': SW }`; folders are created. */
  files?: Record<string, string>;
}

export interface ServedPage {
  /** The folder served; a test may write more files into it. */
  root: string;
  /** The server's base URL, with a trailing slash. */
  url: string;
  browser: Browser;
  /** Closes the browser and the server, then deletes the folder. */
  close(): Promise<void>;
}

/**
 * Writes a test page into a fresh temporary folder, serves it on 127.0.0.1 and launches headless
 * Chromium. Call it from `beforeAll` and `close()` the result from `afterAll`. If a step fails,
 * what was already started is closed before the error is thrown.
 */
export async function servePage(spec: PageSpec): Promise<ServedPage> {
  const root = await mkdtemp(join(tmpdir(), `nostale-${spec.name}-`));
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await server?.close();
    await rm(root, { recursive: true, force: true });
  };
  try {
    if (typeof spec.app === 'string') await writeFile(join(root, 'app.js'), spec.app);
    else await bundleScript(spec.app, join(root, 'app.js'));
    await writeFile(join(root, 'index.html'), spec.html);
    for (const [path, contents] of Object.entries(spec.files ?? {})) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), contents);
    }
    server = await startStaticServer(root);
    browser = await launchChromium();
    return { root, url: server.url, browser, close };
  } catch (error) {
    // The first failure is the one worth seeing, not one from cleaning up after it.
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * A new tab of `context` at `url`, once the page marked itself ready (`html[data-ready]`); a
 * script error while it loaded fails the test.
 */
export async function openReady(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('html[data-ready]');
  expect(errors).toEqual([]);
  return page;
}
