/**
 * `npm run bench`: runs the core benchmarks, then the IndexedDB and calendar ones when their
 * files exist, prints a table and writes `bench/results.json`.
 *
 * Benchmarks report, they do not gate: the exit code is 0 even when a goal is missed (and when a
 * module fails, which shows as a failed row). Missed goals are listed at the end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runCoreBenchmarks } from './core.bench.js';
import { failedRow, gc, round, type Row } from './lib/measure.js';

/** Optional modules written separately; each exports a function answering `Promise<Row[]>`. */
const MODULES = [
  { id: 'idb', file: './idb.bench.ts', exported: 'runIdbBenchmarks', group: 'idb benchmarks' },
  { id: 'calendar', file: './calendar.bench.ts', exported: 'runCalendarBenchmarks', group: 'calendar benchmarks' },
  { id: 'load', file: './load.bench.ts', exported: 'runLoadBenchmarks', group: 'load benchmarks' },
] as const;

/** `npm run bench -- core idb` runs only those groups (core, idb, calendar, load); none given runs all. `--quick` shortens load. */
const only = new Set(process.argv.slice(2).filter((arg) => !arg.startsWith('-')));
const selected = (id: string) => only.size === 0 || only.has(id);

const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const DOC_GENERATOR = fileURLToPath(new URL('../scripts/bench-doc.mjs', import.meta.url));

const log = (message: string) => process.stderr.write(`${message}\n`);

// A stray rejection in a benchmark module must not take the whole run (and its report) down.
process.on('unhandledRejection', (reason) =>
  log(`warning: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`),
);

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Makes a row from another module well-formed: numbers or null, a ratio when it can be computed. */
function normalize(raw: unknown, mod: (typeof MODULES)[number]): Row {
  if (!raw || typeof raw !== 'object' || typeof (raw as Row).name !== 'string') {
    return { ...failedRow(mod.group, `malformed row: ${JSON.stringify(raw)}`), group: mod.id };
  }
  const r = raw as Partial<Row> & { name: string };
  const ours = finite(r.ours);
  const baseline = finite(r.baseline);
  let ratio = finite(r.ratio);
  if (ratio === null && ours !== null && baseline !== null && ours > 0) ratio = round(baseline / ours);
  const row: Row = { name: r.name, ours, baseline, ratio, goal: finite(r.goal) ?? 0 };
  const p25 = finite(r.p25);
  if (p25 !== null) row.p25 = p25;
  if (typeof r.unit === 'string') row.unit = r.unit;
  if (typeof r.note === 'string') row.note = r.note;
  row.group = typeof r.group === 'string' ? r.group : mod.id;
  return row;
}

/**
 * A partial run (`npm run bench -- core`) keeps the rows of the groups it did not run from the
 * results file, marked with the run they come from, so the page generated from it loses nothing.
 */
function earlierRows(): Row[] {
  if (only.size === 0 || !existsSync(RESULTS)) return [];
  try {
    const earlier = JSON.parse(readFileSync(RESULTS, 'utf8')) as { run?: { date?: string }; rows?: Row[] };
    // The memory rows are part of the core group's run.
    const ranWith = (row: Row) => selected(row.group === 'memory' ? 'core' : (row.group ?? ''));
    return (earlier.rows ?? [])
      .filter((row) => !ranWith(row))
      .map((row) => ({ ...row, from: row.from ?? earlier.run?.date ?? 'an earlier run' }));
  } catch {
    return [];
  }
}

/** Gated on the 25th percentile of the paired ratios when the row has it, else on the ratio. */
const passed = (row: Row) => row.ratio !== null && (row.p25 ?? row.ratio) >= row.goal;

function status(row: Row): string {
  if (row.ratio === null) return 'FAIL (error)';
  if (!passed(row)) return 'FAIL';
  return row.goal === 0 ? 'pass (info)' : 'pass';
}

function ratioText(row: Row): string {
  if (row.ratio === null) return '—';
  if (row.ratio < 1 && row.ratio > 0) return `${row.ratio} (${round(1 / row.ratio)}× slower)`;
  return `${row.ratio}×`;
}

function table(rows: readonly Row[]): string {
  const header = ['', 'benchmark', 'ours', 'baseline', 'ratio', 'goal'];
  const lines = rows.map((row) => [
    status(row),
    row.name,
    row.ours === null ? '—' : `${row.ours} ${row.unit ?? ''}`.trim(),
    row.baseline === null ? '—' : `${row.baseline} ${row.unit ?? ''}`.trim(),
    ratioText(row),
    row.goal === 0 ? 'info' : `≥ ${row.goal}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const right = new Set([2, 3, 4, 5]);
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '─'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

async function main() {
  const started = performance.now();
  const loadAtStart = loadavg().map((x) => round(x, 2));
  log(`nostale benchmarks — node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'})`);
  if (!(globalThis as { gc?: unknown }).gc) log('note: run with --expose-gc (npm run bench does) for steadier numbers');

  const rows: Row[] = [];
  if (selected('core')) {
    log('core…');
    try {
      rows.push(...(await runCoreBenchmarks()));
    } catch (error) {
      rows.push({ ...failedRow('core benchmarks', error), group: 'core' });
    }
    log(`core done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  for (const mod of MODULES) {
    if (!selected(mod.id)) continue;
    const url = new URL(mod.file, import.meta.url);
    if (!existsSync(fileURLToPath(url))) {
      log(`${mod.file}: not present, skipped`);
      continue;
    }
    gc();
    const moduleStarted = performance.now();
    log(`${mod.file}…`);
    try {
      const imported = (await import(url.href)) as Record<string, unknown>;
      const run = imported[mod.exported];
      if (typeof run !== 'function') throw new Error(`${mod.file} does not export ${mod.exported}()`);
      const result: unknown = await run();
      if (!Array.isArray(result)) throw new Error(`${mod.exported}() did not answer an array of rows`);
      rows.push(...result.map((row) => normalize(row, mod)));
    } catch (error) {
      rows.push({ ...failedRow(mod.group, error), group: mod.id });
    }
    log(`${mod.file} done in ${((performance.now() - moduleStarted) / 1000).toFixed(1)} s`);
  }

  // The load average goes with the numbers: on a shared machine it says how far to trust them.
  const load = () => loadavg().map((x) => round(x, 2));
  const run = {
    date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    node: `node ${process.version}`,
    cpus: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    loadavg: { start: loadAtStart, end: load() },
    groups: ['core', ...MODULES.map((mod) => mod.id)].filter(selected),
    seconds: round((performance.now() - started) / 1000),
  };
  writeFileSync(RESULTS, `${JSON.stringify({ run, rows: [...rows, ...earlierRows()] }, null, 2)}\n`);
  // docs/benchmarks.md is generated from the results, so it never shows numbers of another run.
  const doc = spawnSync(process.execPath, [DOC_GENERATOR], { stdio: 'inherit' });
  if (doc.status !== 0) log('warning: scripts/bench-doc.mjs failed; docs/benchmarks.md is out of date');

  console.log();
  console.log(table(rows));
  const notes = rows.filter((row) => row.note);
  if (notes.length) {
    console.log('\nNotes:');
    for (const row of notes) console.log(`- ${row.name}: ${row.note}`);
  }
  console.log(
    '\nratio = baseline ÷ ours (higher is better; 5 = five times faster); times are per operation, medians of interleaved rounds; rows with paired rounds pass on the 25th percentile of their ratios (p25 in results.json).',
  );
  const missed = rows.filter((row) => !passed(row));
  if (missed.length) {
    console.log(`\nGoals missed (${missed.length} of ${rows.length}):`);
    for (const row of missed) {
      console.log(
        row.ratio === null
          ? `- ${row.name}: did not run (${row.note ?? 'error'})`
          : `- ${row.name}: ratio ${row.ratio}${row.p25 === undefined ? '' : ` (p25 ${row.p25})`}, goal ${row.goal} (${round((100 * (row.p25 ?? row.ratio)) / row.goal)}% of goal)`,
      );
    }
  } else console.log(`\nAll ${rows.length} goals met.`);
  console.log(`\nWrote ${RESULTS} in ${((performance.now() - started) / 1000).toFixed(1)} s total.`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // Only a bug in this runner gets here; the benchmarks' own failures are rows.
    log(`bench runner failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
