/**
 * Timing helpers for the benchmarks.
 *
 * Every comparison runs its contestants in the same process, interleaved round by round (the
 * order rotates every round: A B, B A, …), after calibration and warm-up rounds that are thrown
 * away. Each round times a batch of operations and keeps the time per operation. A row then
 * reports the median per-op time of each side and the median of the per-round (paired) ratios:
 * noise that hits both sides of a round alike (CPU frequency, another process, a GC of the other
 * side's garbage) cancels out of the ratio.
 */

/** One line of `bench/results.json`. Times of `ours` and `baseline` are in `unit`. */
export interface Row {
  name: string;
  /** Our time per operation (or a count, see `unit`); null when the benchmark failed. */
  ours: number | null;
  baseline: number | null;
  /** baseline ÷ ours: higher is better, 5 means five times faster. Null when it failed. */
  ratio: number | null;
  /** Smallest ratio we accept. 0 for informational rows. */
  goal: number;
  /**
   * The 25th percentile of the paired ratios, when the row has them: pass/fail is decided on it
   * rather than on the median, so a row passes only when three rounds in four meet the goal.
   */
  p25?: number;
  unit?: string;
  note?: string;
  /** Which group of the page it belongs to (`core`, `memory`, `idb`, …); the runner sets it. */
  group?: string;
  /** Set on rows a partial run kept from an earlier run: that run's date. */
  from?: string;
}

/** One side of a comparison: `run(n)` performs `n` operations (sync or async). */
export interface Contestant {
  name: string;
  run: (n: number) => unknown;
  /** Operations per round; calibrated from `targetMs` when omitted. */
  batch?: number;
}

export interface CompareOptions {
  /** Measured rounds. */
  rounds: number;
  /** Rounds run and thrown away before measuring (at least). */
  warmup?: number;
  /**
   * Warm-up goes on until every contestant has also run this long. JIT tiers take a while on
   * long paths: a miss through `fetch` and `Response` keeps getting faster for half a second.
   * Default 200 ms.
   */
  warmupMs?: number;
  /** Calibration aims a round of each contestant at about this long. Default 1 ms. */
  targetMs?: number;
  /** Cap on a calibrated batch. Default 100 000. */
  maxBatch?: number;
}

export interface Comparison {
  /** Nanoseconds per operation, one sample per measured round, by contestant name. */
  samples: Record<string, number[]>;
  /** Operations each contestant ran in measured rounds, by name. */
  ops: Record<string, number>;
  /** Operations each contestant ran in total (calibration and warm-up included), by name. */
  totalOps: Record<string, number>;
  batch: Record<string, number>;
  /** Median ns per op of a contestant. */
  median(name: string): number;
  /** Per-round ratios `factor × samples[numerator] ÷ samples[denominator]`, sorted. */
  ratios(numerator: string, denominator: string, factor?: number): number[];
  /** Median of the paired ratios. */
  pairedRatio(numerator: string, denominator: string, factor?: number): number;
}

export const gc = (): void => {
  (globalThis as { gc?: () => void }).gc?.();
};

export const now = (): bigint => process.hrtime.bigint();

async function time(run: (n: number) => unknown, n: number): Promise<number> {
  const start = now();
  const result = run(n);
  if (result instanceof Promise) await result;
  return Number(now() - start);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/**
 * Picks a batch so that one round of `run` takes about `targetMs`. Each size is timed three
 * times and the fastest counts: a preemption or a GC pause only ever makes a timing longer, and
 * one long timing must not shrink the batch to a single op (whose time is then mostly overhead).
 */
async function calibrate(run: (n: number) => unknown, targetMs: number, maxBatch: number): Promise<{ batch: number; ops: number }> {
  const target = targetMs * 1e6;
  let n = 1;
  let ops = 0;
  for (;;) {
    const t = Math.min(await time(run, n), await time(run, n), await time(run, n));
    ops += 3 * n;
    if (t >= target / 4 || n >= maxBatch) {
      return { batch: Math.max(1, Math.min(maxBatch, Math.round((n * target) / Math.max(t, 1)))), ops };
    }
    n *= 2;
  }
}

const add = (counts: Record<string, number>, name: string, n: number) => {
  counts[name] = (counts[name] ?? 0) + n;
};

/**
 * `NOSTALE_BENCH_QUICK=1` runs every comparison with 5 rounds and almost no warm-up: for checking
 * that the benchmarks run and verify what they measure, never for numbers.
 */
export const QUICK = process.env.NOSTALE_BENCH_QUICK === '1';

/** Runs the contestants interleaved and collects per-op times. */
export async function compare(contestants: readonly Contestant[], options: CompareOptions): Promise<Comparison> {
  const {
    rounds,
    warmup = Math.max(3, Math.round(rounds / 10)),
    warmupMs = 200,
    targetMs = 1,
    maxBatch = 100_000,
  } = QUICK ? { ...options, rounds: Math.min(options.rounds, 5), warmup: 1, warmupMs: 10 } : options;
  const samples: Record<string, number[]> = {};
  const ops: Record<string, number> = {};
  const totalOps: Record<string, number> = {};
  const batch: Record<string, number> = {};
  for (const c of contestants) {
    samples[c.name] = [];
    ops[c.name] = 0;
    totalOps[c.name] = 0;
    if (c.batch !== undefined) batch[c.name] = c.batch;
    else {
      const calibrated = await calibrate(c.run, targetMs, maxBatch);
      batch[c.name] = calibrated.batch;
      add(totalOps, c.name, calibrated.ops);
    }
  }
  // Calibration may have run while the JIT was still cold: calibrate once more after a warm-up.
  const warmed: Record<string, number> = {};
  const cold = () => contestants.some((c) => (warmed[c.name] ?? 0) < warmupMs * 1e6);
  for (let r = 0; r < warmup || cold(); r++) {
    for (let i = 0; i < contestants.length; i++) {
      const c = contestants[(i + r) % contestants.length]!;
      // Past the fixed rounds, only the contestants still short of `warmupMs` go on.
      if (r >= warmup && (warmed[c.name] ?? 0) >= warmupMs * 1e6) continue;
      add(warmed, c.name, await time(c.run, batch[c.name]!));
      add(totalOps, c.name, batch[c.name]!);
    }
  }
  for (const c of contestants) {
    if (c.batch !== undefined) continue;
    const calibrated = await calibrate(c.run, targetMs, maxBatch);
    batch[c.name] = calibrated.batch;
    add(totalOps, c.name, calibrated.ops);
  }
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contestants.length; i++) {
      // Rotate the order every round, so no side always runs first (or right after the other).
      const c = contestants[(i + r) % contestants.length]!;
      const n = batch[c.name]!;
      samples[c.name]!.push((await time(c.run, n)) / n);
      add(ops, c.name, n);
      add(totalOps, c.name, n);
    }
  }
  const ratios = (numerator: string, denominator: string, factor = 1) =>
    samples[numerator]!.map((x, i) => (factor * x) / samples[denominator]![i]!).sort((a, b) => a - b);
  return {
    samples,
    ops,
    totalOps,
    batch,
    median: (name) => median(samples[name]!),
    ratios,
    pairedRatio: (numerator, denominator, factor = 1) => median(ratios(numerator, denominator, factor)),
  };
}

/** Rounds to `digits` significant digits. */
export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : x);

/** The unit that reads best for times in ns (the smaller of the two values decides). */
export function unitFor(ns: number): { unit: string; scale: number } {
  if (ns < 1e3) return { unit: 'ns', scale: 1 };
  if (ns < 1e6) return { unit: 'µs', scale: 1e3 };
  if (ns < 1e9) return { unit: 'ms', scale: 1e6 };
  return { unit: 's', scale: 1e9 };
}

export function formatNs(ns: number): string {
  const { unit, scale } = unitFor(ns);
  return `${round(ns / scale)} ${unit}`;
}

/** A row from two times in ns, both expressed in one unit. */
export function timeRow(init: {
  name: string;
  oursNs: number;
  baselineNs: number;
  ratio: number;
  goal: number;
  p25?: number;
  note?: string;
}): Row {
  const { unit, scale } = unitFor(Math.min(init.oursNs, init.baselineNs));
  const row: Row = {
    name: init.name,
    ours: round(init.oursNs / scale),
    baseline: round(init.baselineNs / scale),
    ratio: round(init.ratio),
    goal: init.goal,
    unit,
  };
  if (init.p25 !== undefined) row.p25 = round(init.p25);
  if (init.note) row.note = init.note;
  return row;
}

/** What a row is gated on, from its sorted paired ratios (see `Row.p25`). */
export const gate = (sortedRatios: readonly number[]): number => quantile(sortedRatios, 0.25);

/** A failed row: the benchmark threw, or a module could not be loaded. */
export const failedRow = (name: string, error: unknown, goal = 0): Row => ({
  name,
  ours: null,
  baseline: null,
  ratio: null,
  goal,
  note: `ERROR: ${error instanceof Error ? error.message : String(error)}`,
});

/** Spread of the paired ratios, for notes: "p25–p75 a–b". */
export function spread(sortedRatios: readonly number[]): string {
  return `paired ratio p25–p75 ${round(quantile(sortedRatios, 0.25))}–${round(quantile(sortedRatios, 0.75))}`;
}

/** Throws when a benchmark does not measure what it says. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`check failed: ${message}`);
}
