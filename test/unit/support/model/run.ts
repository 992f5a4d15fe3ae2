/**
 * Runs a model property: fast-check command sequences against a fresh World each, the seed and
 * path printed on failure (replay with NOSTALE_MODEL_SEED and NOSTALE_MODEL_PATH), runs and
 * commands counted for `npm run test:soak` (NOSTALE_SOAK_RUNS, NOSTALE_SOAK_REPORT).
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';
import type { Cmd } from './commands.js';
import type { World } from './world.js';

let current: World | undefined;
const onRejection = (reason: unknown) => {
  if (current) current.rejections.push(reason);
  else throw reason;
};

/** Unhandled rejections during a run are the run's failure, not the test runner's. */
export function catchRejections() {
  process.on('unhandledRejection', onRejection);
  return () => void process.off('unhandledRejection', onRejection);
}

/**
 * The hooks every model file needs: unhandled rejections caught for the run that caused them, and
 * fake timeouts per test (the models advance time themselves; promises and I/O stay real).
 */
export function useModelHarness() {
  let stopCatching: () => void;
  beforeAll(() => {
    stopCatching = catchRejections();
  });
  afterAll(() => stopCatching());
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Appends what a property executed to the soak report, when `npm run test:soak` asked for one. */
export function report(property: string, runs: number, commands: number, failed = false) {
  const file = process.env.NOSTALE_SOAK_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ property, runs, commands, failed })}\n`);
}

/** A soak may run for hours; CI runs keep vitest's per-test limit of ten minutes. */
export const soakTimeout = process.env.NOSTALE_SOAK_RUNS ? 24 * 3_600_000 : 600_000;

/** Runs per property: the CI count, or the soak count. */
export const runsOf = (ci: number) => Number(process.env.NOSTALE_SOAK_RUNS ?? process.env.NOSTALE_MODEL_RUNS ?? ci);

/** One sequence against one world, to the end: commands, then drain (answer all, deliver all), then convergence. */
export async function runWorld(world: World, cmds: Iterable<Cmd>, options: { converge?: boolean } = {}) {
  current = world;
  try {
    await world.ready();
    await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
    await world.drain();
    if (options.converge !== false) await world.converge();
    world.check();
  } finally {
    world.close();
    current = undefined;
  }
}

export async function runModel(
  name: string,
  commands: fc.Arbitrary<Iterable<Cmd>>,
  makeWorld: () => World,
  options: { runs: number; converge?: boolean },
) {
  const seed = Number(process.env.NOSTALE_MODEL_SEED ?? (Date.now() ^ (Math.random() * 2 ** 31)) % 2 ** 31);
  const path = process.env.NOSTALE_MODEL_PATH;
  let runs = 0;
  let executed = 0;
  const details = await fc.check(
    fc.asyncProperty(commands, async (cmds) => {
      const world = makeWorld();
      runs++;
      try {
        await runWorld(world, cmds, options);
      } finally {
        executed += world.commands;
      }
    }),
    { numRuns: options.runs, seed, ...(path !== undefined && { path }) },
  );
  report(name, runs, executed, details.failed);
  if (details.failed) {
    const replay = `NOSTALE_MODEL_SEED=${details.seed} NOSTALE_MODEL_PATH=${details.counterexamplePath}`;
    const shown = details.counterexample?.[0];
    console.error(`${name}: failed with seed ${details.seed}, path ${details.counterexamplePath} (replay: ${replay})\n${String(shown)}`);
    throw details.errorInstance ?? new Error(`${name} failed (${replay})`);
  }
  return { runs, commands: executed };
}
