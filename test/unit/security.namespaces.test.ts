/**
 * Namespace isolation fuzz (issue 14, security): every user reads the same URLs; logins, logouts
 * (a clear of the namespace), switches without logout, reloads, and answers landing in any order
 * (also after the user who sent them has left) are drawn at random, in two tabs over one
 * IndexedDB with their messages delayed or lost. After every command: no read resolved with
 * another user's data, and neither memory nor the raw IndexedDB holds an entry whose body belongs
 * to a user other than the namespace it is filed under, nor, for the tab that logged out, an
 * answer sent before the logout.
 *
 * NOSTALE_MODEL_SEED / NOSTALE_MODEL_PATH replay; NOSTALE_MODEL_RUNS or NOSTALE_SOAK_RUNS set the runs.
 */
import { describe, it } from 'vitest';
import { isolationCommands } from './support/model/commands.js';
import { useModelHarness, runModel, runsOf, soakTimeout } from './support/model/run.js';
import { World } from './support/model/world.js';

useModelHarness();

describe('security: namespaces never see each other’s data, in memory or on disk', () => {
  it(
    'zero cross-user reads and zero foreign entries after every command',
    async () => {
      await runModel(
        'namespace isolation',
        isolationCommands(25),
        () => {
          const world = new World(2, true, ['alice', 'bob']);
          world.diskEveryStep = true;
          return world;
        },
        { runs: runsOf(300) },
      );
    },
    soakTimeout,
  );
});
