/**
 * Model-based tests of the whole system (issue 14): random command sequences against real clients
 * (createClient over tieredStore over idbStore on fake-indexeddb, nostale/mutate, nostale/watch,
 * nostale/sync over a channel that delays and loses messages) and a reference model of what each
 * tab acknowledged. See test/unit/support/model/ and docs/reliability.md.
 *
 * NOSTALE_MODEL_SEED and NOSTALE_MODEL_PATH replay a failure (both printed when one fails);
 * NOSTALE_MODEL_RUNS or NOSTALE_SOAK_RUNS change the number of runs per property.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, it, vi } from 'vitest';
import { systemCommands } from './support/model/commands.js';
import { catchRejections, runModel, runsOf } from './support/model/run.js';
import { World } from './support/model/world.js';

let release: () => void;
beforeAll(() => {
  release = catchRejections();
});
afterAll(() => release());
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('system model: one tab, reloads, users, mutations, faults', () => {
  it('holds every invariant after every command', async () => {
    await runModel('one tab', systemCommands({ tabs: false, maxCommands: 25 }), () => new World(1), { runs: runsOf(500) });
  }, 600_000);
});

describe('system model: three tabs over one database, messages delayed or lost', () => {
  it('holds every invariant after every command', async () => {
    await runModel('three tabs', systemCommands({ tabs: true, maxCommands: 30 }), () => new World(3), { runs: runsOf(500) });
  }, 600_000);
});
