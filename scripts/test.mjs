#!/usr/bin/env node
// `npm test`: every vitest project (unit, dist, browser, server), then django-nostale's pytest suites.
// The dist project runs unit tests against the built library, so it is built first whenever that
// project may run: `vite build` alone (about 2 s), into .vite/dist-test so that a dist/ made by
// `npm run build` (with its types and dist/browser) is left as it was.
// Arguments go to vitest (`npm test -- --reporter=json ...`, as .ci/run passes). A file filter or
// --project narrows the run to vitest; NOSTALE_SKIP_PYTHON=1 skips pytest too.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const run = (command, argv) => spawnSync(command, argv, { cwd: root, stdio: 'inherit' }).status ?? 1;

// A bare word is a file filter, unless it is the value of the flag before it (`--reporter json`).
const narrowed = args.some(
  (arg, i) => arg === '--project' || arg.startsWith('--project=') || (!arg.startsWith('-') && !/^--[^=]+$/.test(args[i - 1] ?? '')),
);
const projects = args.flatMap((arg, i) => (arg.startsWith('--project=') ? [arg.slice(10)] : args[i - 1] === '--project' ? [arg] : []));
if (!projects.length || projects.includes('dist')) {
  const built = run(process.execPath, [
    join(root, 'node_modules/vite/bin/vite.js'),
    'build',
    '--outDir',
    '.vite/dist-test',
    '--logLevel',
    'warn',
  ]);
  if (built) process.exit(built);
}
const vitest = run(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...args]);
let python = 0;
if (narrowed)
  console.log(
    "\nnpm test: a file filter or --project narrows the run to vitest; django-nostale's pytest did not run (npm run test:python).",
  );
else if (process.env.NOSTALE_SKIP_PYTHON === '1')
  console.log("\nnpm test: NOSTALE_SKIP_PYTHON=1, so django-nostale's pytest did not run (npm run test:python).");
else python = run('bash', [join(root, 'scripts/test-python.sh')]);
process.exit(vitest || python);
