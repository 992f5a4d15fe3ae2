/** Diagnostics only: `npx tsx bench/idb.diag.ts [cold|invalidate]` prints phase timestamps. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium, startStaticServer } from '../test/browser/support/chromium';
import { bundlePages } from './lib/build';

const which = process.argv[2] ?? 'cold';
const root = await mkdtemp(join(tmpdir(), 'nostale-diag-'));
const profile = await mkdtemp(join(tmpdir(), 'nostale-diag-profile-'));
const launch = async () =>
  chromium.launchPersistentContext(profile, {
    executablePath: await findChromium(),
    headless: true,
    args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc'],
  });
const server = await startStaticServer(root);
await bundlePages(
  { app: fileURLToPath(new URL('./idb.page.ts', import.meta.url)), diag: fileURLToPath(new URL('./idb.diag.page.ts', import.meta.url)) },
  root,
);
const html = (s: string) => `<!doctype html>\n<meta charset="utf-8">\n<script type="module" src="./${s}"></script>\n`;
await writeFile(join(root, 'index.html'), html('app.js'));
await writeFile(join(root, 'diag.html'), html('diag.js'));
let context = await launch();
const page = await context.newPage();
if (which === 'durability') {
  await page.goto(`${server.url}diag.html?mode=inv`);
  await page.waitForFunction(() => 'bench' in window);
  const lines = (await page.evaluate(() =>
    (window as unknown as { bench: { durability(n: number): unknown } }).bench.durability(100),
  )) as string[];
  for (const line of lines) console.log(line);
} else if (which === 'batch') {
  await page.goto(`${server.url}diag.html?mode=inv`);
  await page.waitForFunction(() => 'bench' in window);
  const lines = (await page.evaluate(() => (window as unknown as { bench: { batch(n: number): unknown } }).bench.batch(12))) as string[];
  for (const line of lines) console.log(line);
} else if (which === 'invalidate') {
  await page.goto(`${server.url}diag.html?mode=inv`);
  await page.waitForFunction(() => 'bench' in window);
  const rounds = (await page.evaluate(
    (m) => (window as unknown as { bench: { invalidate(n: number, m: string): unknown } }).bench.invalidate(100, m),
    process.argv[3] ?? 'restore',
  )) as {
    ms: number;
    phases: [string, number][];
  }[];
  const ms = rounds.map((r) => r.ms).sort((a, b) => a - b);
  const q = (p: number) => ms[Math.floor(p * (ms.length - 1))]!.toFixed(2);
  console.log(process.argv[3] ?? 'restore', 'p25', q(0.25), 'p50', q(0.5), 'p75', q(0.75), 'p90', q(0.9));
  for (const r of rounds.slice(0, 12)) console.log(r.ms.toFixed(2), JSON.stringify(r.phases));
} else {
  await page.goto(server.url);
  await page.waitForFunction(() => 'bench' in window);
  const url = await page.evaluate(() =>
    (window as unknown as { bench: { seedCold(o: object): Promise<string> } }).bench.seedCold({ count: 10000, valueBytes: 2048 }),
  );
  await context.close();
  const modes = (process.argv[3] ?? 'cold,raw').split(',');
  const got: Record<string, number[]> = {};
  for (let r = 0; r < 8 * modes.length; r++) {
    context = await launch();
    const p = context.pages()[0] ?? (await context.newPage());
    const mode = modes[r % modes.length]!;
    process.stdout.write(`${mode}: `);
    await p.goto(`${server.url}diag.html?mode=${mode}&url=${encodeURIComponent(url)}`);
    await p.waitForFunction(() => 'result' in window, undefined, { timeout: 10000 });
    const marks = (await p.evaluate(() => (window as unknown as { result: unknown }).result)) as [string, number][];
    console.log(marks.map(([k, v]) => `${k}@${v.toFixed(1)}`).join(' | '));
    for (const [k, v] of marks) if (k === 'open success' || k === 'get answered') (got[`${mode} ${k}`] ??= []).push(v);
    await context.close();
  }
  for (const [k, v] of Object.entries(got)) console.log(k, 'median', v.sort((a, b) => a - b)[v.length >> 1]!.toFixed(1));
}
await context.close();
await server.close();
await rm(root, { recursive: true, force: true });
await rm(profile, { recursive: true, force: true });
