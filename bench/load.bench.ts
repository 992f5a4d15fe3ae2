/**
 * Load and scale (issue 14), run by `npm run bench -- load` (add `--quick` for a one-minute run):
 *
 * 1. 10,000 concurrent GETs, identical and overlapping, over URLs × two variants of a header the
 *    answer varies on: exactly one network request per distinct URL and variant, and every caller
 *    gets the data of its own URL and variant (checked, printed).
 * 2. 1,000,000 distinct keys through `maxEntries: 1000`: heap before and after, and the memory hit
 *    path of that client against one that only ever held 1,000 keys, paired in the same rounds.
 * 3. The server companion (Express and plain node:http adapters) under load from a second process
 *    on loopback (autocannon), with the Redis and memory version stores, while a third process
 *    writes concurrently: reads/s, p99 latency, and bumps sent against bumps seen (0 lost). The
 *    same-run baseline is the same app with the companion taken out.
 *
 * Rows report, they do not gate timings (see run.ts); a check that fails (a lost bump, a caller
 * given another caller's data) makes its row an error.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import Redis from 'ioredis';
import type { Client } from '../src/index.js';
import { createVersioning, memoryVersionStore, redisVersionStore, type Versioning } from '../src/server.js';
import { startApp, type AdapterName, type RunningApp } from '../test/server/support/apps.js';
import { eventsDb, type EventsDb } from '../test/server/support/eventsDb.js';
import { startRedis } from '../test/server/support/redisServer.js';
import { loadNostale, type Nostale } from './lib/build.js';
import { check, compare, failedRow, gate, gc, round, spread, timeRow, type Row } from './lib/measure.js';
import { liteResponse } from './lib/liteResponse.js';

const QUICK = process.argv.includes('--quick');
const BASE = 'http://localhost/';
const log = (message: string) => process.stderr.write(`  load: ${message}\n`);
let sink: unknown;

// ---------------------------------------------------------------------------------------------
// 1. Concurrent identical and overlapping GETs

async function concurrentGets(nostale: Nostale): Promise<Row[]> {
  const CALLERS = 10_000;
  const URLS = 200;
  const LANGS = ['en', 'fr'];
  const sent = new Map<string, number>();
  const client = nostale.createClient({
    baseUrl: BASE,
    fetch: async (input, init) => {
      const url = String(input);
      const lang = new Headers(init?.headers).get('accept-language') ?? '';
      const id = `${url} ${lang}`;
      sent.set(id, (sent.get(id) ?? 0) + 1);
      // Answered on a later turn, so every caller has joined before any answer lands.
      await new Promise((resolve) => setTimeout(resolve, 5));
      return liteResponse(JSON.stringify({ url, lang }), {
        'content-type': 'application/json',
        'cache-control': 'max-age=600',
        vary: 'Accept-Language',
      });
    },
  });
  // Caller i asks for URL i mod URLS in the language of its pass over the URLs: every URL and
  // variant is asked for by CALLERS / (URLS × 2) callers, interleaved, all in flight at once.
  const asks = Array.from({ length: CALLERS }, (_, i) => ({
    path: `/feed/${i % URLS}`,
    lang: LANGS[Math.floor(i / URLS) % LANGS.length]!,
  }));
  const started = performance.now();
  const answers = await Promise.all(
    asks.map(({ path, lang }) => client.get<{ url: string; lang: string }>(path, { headers: { 'accept-language': lang } })),
  );
  const elapsed = performance.now() - started;
  const wrong = answers.filter((answer, i) => answer.url !== new URL(asks[i]!.path, BASE).href || answer.lang !== asks[i]!.lang).length;
  const distinct = new Set(asks.map(({ path, lang }) => `${path} ${lang}`)).size;
  const requests = [...sent.values()].reduce((a, b) => a + b, 0);
  const duplicated = [...sent.values()].filter((n) => n > 1).length;
  log(
    `${CALLERS} concurrent GETs over ${distinct} URL×variant pairs: ${requests} requests, ${duplicated} pairs fetched twice, ${wrong} callers given other data, ${round(elapsed)} ms`,
  );
  check(wrong === 0, `every caller gets its own URL and variant (${wrong} did not)`);
  check(requests === distinct, `one request per distinct URL and variant (${requests} for ${distinct})`);
  return [
    {
      name: `${CALLERS} concurrent GETs: network requests per distinct URL × variant`,
      ours: requests,
      baseline: distinct,
      ratio: round(distinct / requests),
      goal: 1,
      unit: 'requests',
      note: `${URLS} URLs × ${LANGS.length} Accept-Language variants (Vary), every pair asked by ~${CALLERS / distinct} interleaved callers at once; ${wrong} of ${CALLERS} callers got another pair's data; ${round(elapsed)} ms for all`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// 2. A million distinct keys through maxEntries: 1000

const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

function countingClient(nostale: Nostale) {
  let requests = 0;
  const client = nostale.createClient({
    baseUrl: BASE,
    maxEntries: 1000,
    fetch: async (input) => {
      requests++;
      const i = Number(new URL(String(input)).pathname.split('/').pop());
      return liteResponse(JSON.stringify({ id: i, title: 'Buy milk', done: false }), {
        'cache-control': 'max-age=3600',
        'content-type': 'application/json',
      });
    },
  });
  return { client, requests: () => requests };
}

async function fill(client: Client, from: number, to: number) {
  for (let i = from; i < to; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, to - i) }, (_, j) => client.get(`/items/${i + j}`)));
  }
}

async function manyKeys(nostale: Nostale): Promise<Row[]> {
  const KEYS = QUICK ? 100_000 : 1_000_000;
  const label = KEYS === 1_000_000 ? '1,000,000' : `${KEYS / 1000}k`;
  const churned = countingClient(nostale);
  const small = countingClient(nostale);
  await fill(small.client, 0, 1000);
  await fill(churned.client, 0, 1000);
  const before = heapMb();
  const started = performance.now();
  await fill(churned.client, 1000, KEYS);
  const fillMs = performance.now() - started;
  const after = heapMb();
  check(churned.requests() === KEYS, `${KEYS} distinct keys fetched once each`);
  const kept = churned.client.stats().evictions;
  check(kept >= KEYS - 1000, `evicted down to maxEntries (${kept} evictions)`);
  // The 1000 newest keys are the cached ones; the hit path is timed over them on both clients.
  await fill(small.client, KEYS - 1000, KEYS);
  const hitsOf = (client: Client) => {
    let k = 0;
    return async (n: number) => {
      for (let i = 0; i < n; i++) {
        sink = await client.get(`/items/${KEYS - 1000 + (k = (k + 7) % 1000)}`);
      }
    };
  };
  const requestsBefore = churned.requests() + small.requests();
  const cmp = await compare(
    [
      { name: 'churned', run: hitsOf(churned.client) },
      { name: 'small', run: hitsOf(small.client) },
    ],
    { rounds: QUICK ? 20 : 80, warmupMs: QUICK ? 100 : 300 },
  );
  check(churned.requests() + small.requests() === requestsBefore, 'the timed reads are all memory hits');
  log(`${label} keys through maxEntries 1000: heap ${round(before)} → ${round(after)} MB, filled in ${round(fillMs / 1000)} s`);
  return [
    {
      name: `${label} distinct keys through maxEntries 1000: heap growth`,
      ours: round(after - before),
      baseline: round(before),
      ratio: round(before / Math.max(after, 1e-9)),
      goal: 0,
      unit: 'MB',
      note: `heap used after gc: ${round(before)} MB with 1000 entries cached, ${round(after)} MB after ${label} more distinct keys (${kept} evictions, 1000 kept); ours = growth, baseline = heap before`,
    },
    timeRow({
      name: `memory hit after ${label} keys churned through maxEntries 1000 vs a client that held 1000`,
      oursNs: cmp.median('churned'),
      baselineNs: cmp.median('small'),
      ratio: cmp.pairedRatio('small', 'churned'),
      p25: gate(cmp.ratios('small', 'churned')),
      goal: 0.8,
      note: `await client.get(url) over the 1000 cached URLs of each; goal: the hit path stays as fast (at least 0.8×) after the churn; ${spread(cmp.ratios('small', 'churned'))}`,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// 3. The server companion under load from other processes

const AUTOCANNON = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));

interface Cannon {
  requests: { average: number; total: number };
  latency: { p99: number; average: number };
  errors: number;
  non2xx: number;
  '2xx': number;
}

/** Runs autocannon in its own process against `url`; resolves with its JSON report. */
function cannon(url: string, seconds: number, connections: number): Promise<Cannon> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AUTOCANNON, '--json', '-c', String(connections), '-d', String(seconds), url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out) as Cannon);
      } catch {
        reject(new Error(`autocannon exited ${code}: ${err.slice(-500)}`));
      }
    });
  });
}

/**
 * Concurrent writers in another process: `writers` loops POSTing for `seconds`, each noting the
 * version token of every 2xx answer. Prints `{ sent, ok, tokens }`.
 */
const WRITER = `
const [url, writers, seconds] = process.argv.slice(1);
const end = Date.now() + Number(seconds) * 1000;
let sent = 0, ok = 0; const tokens = [];
await Promise.all(Array.from({ length: Number(writers) }, async (_, w) => {
  for (let i = 0; Date.now() < end; i++) {
    sent++;
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'w' + w + '-' + i }) });
    await response.arrayBuffer();
    if (response.ok) { ok++; tokens.push(response.headers.get('x-cache-version')); }
  }
}));
process.stdout.write(JSON.stringify({ sent, ok, tokens }));
`;

function writers(url: string, count: number, seconds: number): Promise<{ sent: number; ok: number; tokens: (string | null)[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, url, String(count), String(seconds)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out) as { sent: number; ok: number; tokens: (string | null)[] });
      } catch {
        reject(new Error(`writers exited ${code}: ${err.slice(-500)}`));
      }
    });
  });
}

/** The same feed and writes with the companion taken out: the same-run baseline. */
async function bareApp(db: EventsDb): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.set('etag', false);
  app.use(express.json());
  app.get('/api/users/:user/events', async (req, res) => {
    res.json(await db.list(req.params.user));
  });
  app.post('/api/users/:user/events', async (req, res) => {
    res.status(201).json(await db.create(req.params.user, String((req.body as { title?: unknown }).title)));
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serverUnderLoad(): Promise<Row[]> {
  const SECONDS = QUICK ? 3 : 10;
  const CONNECTIONS = 32;
  const WRITERS = 8;
  const redis = await startRedis();
  const data = new Redis(redis.url);
  const versions = new Redis(redis.url);
  const rows: Row[] = [];
  try {
    const db = eventsDb(data);
    for (let i = 0; i < 20; i++) await db.create('reader', `event ${i}`);
    const bare = await bareApp(db);
    const [bareRun] = await Promise.all([
      cannon(`${bare.url}/api/users/reader/events`, SECONDS, CONNECTIONS),
      writers(`${bare.url}/api/users/bare-writer/events`, WRITERS, SECONDS),
    ]);
    await bare.close();
    log(`bare express: ${round(bareRun.requests.average)} reads/s, p99 ${bareRun.latency.p99} ms`);

    const configs: { adapter: AdapterName; store: 'redis' | 'memory' }[] = [
      { adapter: 'express', store: 'redis' },
      { adapter: 'express', store: 'memory' },
      { adapter: 'web', store: 'redis' },
      { adapter: 'web', store: 'memory' },
    ];
    for (const { adapter, store } of QUICK ? configs.slice(0, 2) : configs) {
      const name = `nostale/server ${adapter === 'web' ? 'node:http (web)' : 'Express'} + ${store} store`;
      try {
        const versioning: Versioning = createVersioning({
          store: store === 'redis' ? redisVersionStore(versions) : memoryVersionStore(),
          build: 'load',
          log: () => {},
        });
        const app: RunningApp = await startApp(adapter, versioning, db);
        const writer = `writer-${adapter}-${store}`;
        const version = async () => ((await (await fetch(`${app.url}/api/users/${writer}/version`)).json()) as { version: string }).version;
        const start = BigInt(await version());
        const [reads, writes] = await Promise.all([
          cannon(`${app.url}/api/users/reader/events`, SECONDS, CONNECTIONS),
          writers(`${app.url}/api/users/${writer}/events`, WRITERS, SECONDS),
        ]);
        const final = BigInt(await version());
        const stored = (await db.list(writer)).length;
        await app.close();
        const tokens = writes.tokens.map((t) => (t === null ? null : BigInt(t)));
        const missing = tokens.filter((t) => t === null).length;
        const numbers = tokens.filter((t): t is bigint => t !== null);
        const distinct = new Set(numbers.map(String)).size;
        let highest = start;
        for (const n of numbers) if (n > highest) highest = n;
        // A lost bump: a committed write whose token is missing, repeated, not above the start,
        // or above the version the scope ends at (a bump that did not stick).
        const lost = writes.ok - distinct + missing + numbers.filter((n) => n <= start).length + (final === highest ? 0 : 1);
        log(
          `${name}: ${round(reads.requests.average)} reads/s, p99 ${reads.latency.p99} ms, ${reads.errors} errors, ${reads.non2xx} non-2xx; writes ${writes.ok}/${writes.sent} ok, ${distinct} distinct tokens, ${stored} rows, lost ${lost}`,
        );
        check(reads.errors === 0 && reads.non2xx === 0, `${name}: every read answered 2xx`);
        check(
          writes.ok === writes.sent && stored === writes.ok,
          `${name}: every write committed (${writes.ok}/${writes.sent}, ${stored} rows)`,
        );
        check(lost === 0, `${name}: 0 lost bumps (${lost})`);
        rows.push(
          timeRow({
            name: `${name}: time per read under ${CONNECTIONS} connections + ${WRITERS} writers vs bare Express, same load`,
            oursNs: 1e9 / reads.requests.average,
            baselineNs: 1e9 / bareRun.requests.average,
            ratio: reads.requests.average / bareRun.requests.average,
            goal: 0,
            note: `${round(reads.requests.average)} reads/s (bare: ${round(bareRun.requests.average)}), p99 ${reads.latency.p99} ms (bare: ${bareRun.latency.p99} ms), load from autocannon in a second process on loopback, ${SECONDS} s; concurrently ${writes.ok} writes from a third process, ${distinct} distinct tokens, final version = highest token: ${final === highest}, lost bumps: ${lost}`,
          }),
        );
      } catch (error) {
        rows.push(failedRow(name, error));
      }
    }
  } finally {
    data.disconnect();
    versions.disconnect();
    await redis.stop();
  }
  return rows;
}

export async function runLoadBenchmarks(): Promise<Row[]> {
  const nostale = await loadNostale();
  const rows: Row[] = [];
  for (const [name, run] of [
    ['concurrent GETs', () => concurrentGets(nostale)],
    ['many keys', () => manyKeys(nostale)],
    ['server under load', serverUnderLoad],
  ] as const) {
    log(`${name}…`);
    try {
      rows.push(...(await run()));
    } catch (error) {
      rows.push(failedRow(`load: ${name}`, error));
    }
    gc();
  }
  void sink;
  return rows;
}
