#!/usr/bin/env node
// Writes docs/benchmarks.md from bench/results.json: `npm run bench` runs it after every run, so
// the page always shows the numbers of the last committed run and nothing else.
// Usage: node scripts/bench-doc.mjs [--results FILE] [--out FILE] [--check]
//   --check writes nothing and exits 1 when FILE (default docs/benchmarks.md) differs from what
//   the results generate (test/unit/bench-doc.test.ts runs it, so the page cannot go stale).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Groups in the order the runner runs them, with what their rows measure. */
const GROUPS = [
  {
    id: 'core',
    title: 'Core (Node)',
    about: [
      '`bench/core.bench.ts`: a memory hit on one key; `invalidate({ scope })` plus the refetching read at 1k, 10k and 100k entries',
      "against TanStack's `invalidateQueries` plus `fetchQuery`, and flat from 1k to 100k; revalidating 100 expired entries with one",
      'version check against 100 conditional requests (1 ms simulated latency, in parallel).',
    ],
  },
  {
    id: 'memory',
    title: 'Memory tier at scale (Node)',
    about: [
      '`bench/memory.bench.ts`: `await client.get(url)` cycling over W URLs spread across 10k cached entries, and over every key of',
      '10k and 100k, against `fetchQuery({ queryKey, staleTime: Infinity })` on the same keys of a `QueryClient` holding as many',
      'queries, and against an awaited `Map.get` of the decoded values; `client.peek` of a fresh entry against a raw `Map.get`;',
      "heap per cached entry against TanStack's heap per query (measured with `gc()` before and after filling); `MemoryStore.get` and",
      '`set` at 1k, 10k and 100k; `invalidate({ scope })` alone from 1k to 1M entries. `bench/heap.page.ts`: the heap rows in',
      'Chromium (precise `performance.memory`, `gc()`), both sides bundled minified.',
    ],
  },
  {
    id: 'idb',
    title: 'IndexedDB (Chromium)',
    about: [
      '`bench/idb.bench.ts`, in Chromium with a persistent (on-disk) profile, 2 KB bodies: reads against `idb`, a 1000-entry batch',
      'against one raw transaction and Dexie, invalidation by URL and a DELETE at 10k persisted against the 2 ms budget, reads during',
      'a prune, and the cold first read, each round in a fresh Chromium process on the same on-disk profile.',
    ],
  },
  {
    id: 'calendar',
    title: 'FullCalendar (Chromium)',
    about: [
      '`bench/calendar.bench.ts`: a FullCalendar 6 month view over a range-limited nostale feed of 10,000 events: the first frame',
      'after a removal, the longest task after it, and five quick removals against one; context rows give the longest task of the',
      "other supported removals (`setProp('display', 'none')`, removing through the source) and a plain `remove()` in the call.",
    ],
  },
];

const PROSE = `## Running

\`\`\`sh
npm run bench                 # everything: core, then IndexedDB and calendar in Chromium
npm run bench -- core         # only some groups: core, idb, calendar, load, in any combination
\`\`\`

\`npm run bench\` is \`node --expose-gc --import tsx bench/run.ts\`. It prints a table, writes
\`bench/results.json\`, and regenerates this page from it (\`node scripts/bench-doc.mjs\`). The
exit code is 0 even when a goal is missed: benchmarks report, they do not gate. A group that
throws shows up as a failed row with the error in its note.

## Reading a row

- \`ours\`, \`baseline\`: time per operation in \`unit\`, both sides in the same unit (for the
  heap rows, bytes). The baseline is always the same work done another way (TanStack on the
  same keys, a raw \`Map\`, a native transaction), or a budget (\`2 ms\`, \`16 ms\`), or our own
  cost at another size for the flatness rows (\`1.5 × W=1\`): the row's name says which.
- \`ratio\`: **baseline ÷ ours**, higher is better: 5 means five times faster, 0.5 twice as
  slow. It is the median of the per-round ratios.
- \`goal\`: the smallest ratio accepted; \`info\` rows have none. A goal "at most 3× a Map.get"
  is written as a ratio goal of 1/3.
- \`p25\`: the 25th percentile of the paired per-round ratios. A row with it **passes on p25 ≥
  goal**, that is when three rounds in four meet the goal, never on a lucky median.

## How measuring works

\`bench/lib/measure.ts\` \`compare()\` runs the contestants of a row in one process, interleaved:
each gets a batch calibrated to about 1 ms a round, rounds are thrown away until every
contestant has run its warm-up time (JIT tiers), the batch is calibrated again, then every
measured round times one batch of each contestant in a rotating order (A B, B A, …). Noise that
hits both sides of a round alike cancels out of the paired ratio. Every group checks that it
measures what its row says (request counts, \`client.stats()\`, eviction counts) and throws
otherwise. nostale is bundled from \`src/\` with esbuild as it ships (\`bench/lib/build.ts\`: tsx's
\`keepNames\` would add an \`Object.defineProperty\` per closure). TanStack is created as its docs
show, \`new QueryClient()\`: on Node 20 any non-empty \`defaultOptions.queries\` makes its
\`fetchQuery\` about 8× slower, which would flatter us.

Caveats: Node is not the browser (the core rows run in Node 20, the IndexedDB and calendar rows
in Chromium); the machine these numbers come from may be shared (the load average is given
above the table, and each note gives the spread of the paired ratios, p25–p75); the network is
simulated; filling uses a stand-in \`Response\`, every measured operation a real one.
`;

const formatCell = (value, unit) => (value === null || value === undefined ? '—' : `${value}${unit ? ` ${unit}` : ''}`);

const passed = (row) => row.ratio !== null && (row.p25 ?? row.ratio) >= row.goal;

function status(row) {
  if (row.ratio === null) return '**error**';
  if (row.goal === 0) return 'info';
  return passed(row) ? 'pass' : '**missed**';
}

function ratioCell(row) {
  if (row.ratio === null) return '—';
  const slower = row.ratio > 0 && row.ratio < 1 ? ` (${Number((1 / row.ratio).toPrecision(3))}× slower)` : '';
  return `${row.ratio}${slower}${row.p25 === undefined ? '' : `, p25 ${row.p25}`}`;
}

const goalCell = (row) => (row.goal === 0 ? 'info' : `≥ ${row.goal}`);

/** Markdown table cells must not break the row. */
const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function runLine(run) {
  if (!run) return 'These rows come from a results file without run metadata.';
  const parts = [`Run of ${run.date}`, `${run.node}`, `${run.cpus} × ${run.cpu}`];
  if (run.loadavg)
    parts.push(`load average ${run.loadavg.start.join(' / ')} at the start, ${run.loadavg.end.join(' / ')} at the end (1 / 5 / 15 min)`);
  if (run.groups?.length) parts.push(`groups: ${run.groups.join(', ')}`);
  if (run.seconds !== undefined) parts.push(`${run.seconds} s`);
  return `${parts.join('; ')}.`;
}

/** The page for one results file (`{ run, rows }`, or a bare array of rows from older runs). */
export function renderBenchDoc(results) {
  const rows = Array.isArray(results) ? results : results.rows;
  const run = Array.isArray(results) ? undefined : results.run;
  const out = [
    '<!-- GENERATED by scripts/bench-doc.mjs from bench/results.json: do not edit by hand. -->',
    '<!-- Change the generator, or rerun `npm run bench`, which rewrites both files. -->',
    '',
    '# Benchmarks',
    '',
    '`npm run bench` measures nostale against a baseline doing the same work for each claim we make, and gates each row on the',
    '25th percentile of its paired ratios. This page is generated from the last committed `bench/results.json`.',
    '',
    PROSE,
    '## Results',
    '',
    runLine(run),
    '',
  ];
  const missed = rows.filter((row) => !passed(row));
  const gated = rows.filter((row) => row.goal !== 0 || row.ratio === null);
  out.push(
    missed.length
      ? `${gated.length - missed.length} of ${gated.length} goals met; ${missed.length} missed or failed (listed at the end).`
      : `All ${gated.length} goals met.`,
    '',
  );
  const known = new Set(GROUPS.map((g) => g.id));
  const groups = [...GROUPS, { id: undefined, title: 'Other rows', about: [] }];
  for (const group of groups) {
    const mine = rows.filter((row) => (group.id === undefined ? !known.has(row.group) : row.group === group.id));
    if (!mine.length) continue;
    out.push(`### ${group.title}`, '');
    if (group.about.length) out.push(...group.about, '');
    out.push('| | benchmark | ours | baseline | ratio | goal |', '| --- | --- | --- | --- | --- | --- |');
    for (const row of mine) {
      out.push(
        `| ${status(row)} | ${cell(row.name)}${row.from ? ` (run of ${row.from})` : ''} | ${cell(formatCell(row.ours, row.unit))} | ${cell(formatCell(row.baseline, row.unit))} | ${cell(ratioCell(row))} | ${goalCell(row)} |`,
      );
    }
    out.push('');
    const notes = mine.filter((row) => row.note);
    if (notes.length) {
      out.push('What each row measured:', '');
      for (const row of notes) out.push(`- **${cell(row.name)}**: ${row.note}`);
      out.push('');
    }
  }
  if (missed.length) {
    out.push('## Goals missed', '');
    for (const row of missed) {
      const gate = row.p25 ?? row.ratio;
      out.push(
        row.ratio === null
          ? `- ${row.name}: did not run (${row.note ?? 'error'})`
          : `- ${row.name}: ${row.p25 === undefined ? 'ratio' : 'p25'} ${gate}, goal ${row.goal} (${Number(((100 * gate) / row.goal).toPrecision(3))}% of goal)`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

function main(argv) {
  const flag = (name, fallback) => {
    const at = argv.indexOf(name);
    return at === -1 ? fallback : resolve(argv[at + 1]);
  };
  const resultsFile = flag('--results', join(root, 'bench/results.json'));
  const outFile = flag('--out', join(root, 'docs/benchmarks.md'));
  const page = renderBenchDoc(JSON.parse(readFileSync(resultsFile, 'utf8')));
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(outFile, 'utf8');
    } catch {}
    if (current !== page) {
      process.stderr.write(`${outFile} is not what ${resultsFile} generates: run node scripts/bench-doc.mjs\n`);
      return 1;
    }
    return 0;
  }
  writeFileSync(outFile, page);
  process.stderr.write(`wrote ${outFile}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
