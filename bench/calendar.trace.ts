/**
 * Diagnostics only: where the main-thread time of a removal goes, from a Chromium trace.
 * `node --import tsx bench/calendar.trace.ts [kind=ours|plain|five] [reps] [options-json]`
 * Prints, per kind, the median of each long task's breakdown: script (split into the user
 * timing measures of bench/calendar.trace.page.ts), style recalc, layout, paint and the rest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPage } from '../test/browser/support/bundle';
import { launchChromium, startStaticServer } from '../test/browser/support/chromium';

const HERE = dirname(fileURLToPath(import.meta.url));
/** What bench/calendar.trace.page.ts puts on `window.bench`. */
interface TracePage {
  setup(options: unknown): number;
  remove(kind: string, index: number): Promise<void>;
}

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
  id?: string;
}
const kinds = (process.argv[2] ?? 'ours,plain').split(',') as ('ours' | 'plain' | 'five')[];
const reps = Number(process.argv[3] ?? 8);
const extra = JSON.parse(process.argv[4] ?? '{}');

const root = await mkdtemp(join(tmpdir(), 'nostale-trace-'));
await buildPage(resolve(HERE, 'calendar.trace.page.ts'), root, 'loading');
const server = await startStaticServer(root);
const browser = await launchChromium();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : 0;
};
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => document.title === 'ready');
  const mounted = await page.evaluate((x) => (window as unknown as { bench: TracePage }).bench.setup(x), extra);
  console.log(`mounted ${mounted}, options ${JSON.stringify(extra)}`);
  const cdp = await page.context().newCDPSession(page);
  for (const kind of kinds) {
    for (let i = 0; i < 2; i++)
      await page.evaluate(([k, n]) => (window as unknown as { bench: TracePage }).bench.remove(k, n), [kind, i * 5] as const);
    const events: TraceEvent[] = [];
    const collect = (d: { value: unknown[] }) => void events.push(...(d.value as TraceEvent[]));
    cdp.on('Tracing.dataCollected', collect);
    const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
    await cdp.send('Tracing.start', {
      transferMode: 'ReportEvents',
      traceConfig: {
        includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'toplevel', 'v8'],
      },
    });
    for (let rep = 0; rep < reps; rep++)
      await page.evaluate(([k, n]) => (window as unknown as { bench: TracePage }).bench.remove(k, n), [kind, rep * 7 + 11] as const);
    await cdp.send('Tracing.end');
    await done;
    const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    const onMain = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid);
    const tasks = onMain.filter((e) => e.ph === 'X' && e.name === 'RunTask' && (e.dur ?? 0) > 8000);
    // user timing measures: async begin/end pairs
    const measures = new Map<string, { b: number; e: number }[]>();
    const open = new Map<string, number>();
    for (const e of events.filter((e) => e.cat.includes('blink.user_timing'))) {
      const key = `${e.name}|${e.id ?? (e.args as { id2?: { local?: string } } | undefined)?.id2?.local ?? ''}`;
      if (e.ph === 'b') open.set(key, e.ts);
      if (e.ph === 'e' && open.has(key)) {
        const list = measures.get(e.name) ?? [];
        list.push({ b: open.get(key)!, e: e.ts });
        measures.set(e.name, list);
        open.delete(key);
      }
    }
    const rows: Record<string, number>[] = [];
    for (const t of tasks) {
      const end = t.ts + t.dur!;
      const inside = onMain.filter((e) => e.ph === 'X' && e.ts >= t.ts && e.ts + (e.dur ?? 0) <= end && e !== t);
      const sum = (names: string[]) => inside.filter((e) => names.includes(e.name)).reduce((a, e) => a + (e.dur ?? 0), 0) / 1000;
      // Top-level only (nested FunctionCalls are counted once).
      const top = (names: string[]) => {
        const xs = inside.filter((e) => names.includes(e.name)).sort((a, b) => a.ts - b.ts);
        let total = 0;
        let reach = 0;
        for (const e of xs) {
          if (e.ts >= reach) {
            total += e.dur ?? 0;
            reach = e.ts + (e.dur ?? 0);
          }
        }
        return total / 1000;
      };
      const row: Record<string, number> = {
        task: t.dur! / 1000,
        script: top(['FunctionCall', 'TimerFire', 'FireAnimationFrame', 'EvaluateScript', 'V8.Execute', 'RunMicrotasks', 'EventDispatch']),
        style: sum(['UpdateLayoutTree']),
        layout: sum(['Layout']),
        prePaint: sum(['PrePaint']),
        paint: sum(['Paint', 'PaintImage']),
        layerize: sum(['Layerize', 'UpdateLayer', 'CompositeLayers', 'Commit']),
        hitTest: sum(['HitTest']),
        gc: sum(['MinorGC', 'MajorGC', 'V8.GC_SCAVENGER', 'BlinkGC.AtomicPhase']),
      };
      for (const [name, list] of measures) {
        const m = list.filter((x) => x.b >= t.ts && x.e <= end);
        if (m.length) row[name] = m.reduce((a, x) => a + (x.e - x.b), 0) / 1000;
      }
      // forced layouts/styles inside script
      row.styleInScript =
        inside
          .filter(
            (e) =>
              e.name === 'UpdateLayoutTree' && inside.some((f) => f.name === 'FunctionCall' && f.ts <= e.ts && f.ts + (f.dur ?? 0) >= e.ts),
          )
          .reduce((a, e) => a + (e.dur ?? 0), 0) / 1000;
      row.layoutInScript =
        inside
          .filter(
            (e) => e.name === 'Layout' && inside.some((f) => f.name === 'FunctionCall' && f.ts <= e.ts && f.ts + (f.dur ?? 0) >= e.ts),
          )
          .reduce((a, e) => a + (e.dur ?? 0), 0) / 1000;
      row.layouts = inside.filter((e) => e.name === 'Layout').length;
      row.styles = inside.filter((e) => e.name === 'UpdateLayoutTree').length;
      rows.push(row);
    }
    console.log(`\n${kind}: ${tasks.length} tasks > 8 ms over ${reps} removals`);
    for (const r of rows)
      console.log(
        Object.entries(r)
          .map(([k, v]) => `${k} ${Math.round(v * 10) / 10}`)
          .join(' | '),
      );
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    console.log('MEDIAN ' + keys.map((k) => `${k} ${Math.round(median(rows.map((r) => r[k] ?? 0)) * 10) / 10}`).join(' | '));
    cdp.off('Tracing.dataCollected', collect);
  }
} finally {
  await browser.close();
  await server.close();
  await rm(root, { recursive: true, force: true });
}
