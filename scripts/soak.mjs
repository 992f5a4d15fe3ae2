#!/usr/bin/env node
/**
 * `npm run test:soak`: the system model and the security fuzz of test/unit, for longer than CI
 * runs them. Each round runs the same properties with NOSTALE_SOAK_RUNS runs each (default
 * 5000) and a new seed; rounds repeat until NOSTALE_SOAK_MINUTES have passed (default: one
 * round). Prints how many runs and commands each property executed, and the totals. A failure
 * stops the soak with its seed and path, as vitest printed them (replay with NOSTALE_MODEL_SEED
 * and NOSTALE_MODEL_PATH).
 *
 *   NOSTALE_SOAK_RUNS=20000 npm run test:soak
 *   NOSTALE_SOAK_MINUTES=60 npm run test:soak
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FILES = ['test/unit/system.model.test.ts', 'test/unit/security.namespaces.test.ts', 'test/unit/security.keys.test.ts'];
const runs = process.env.NOSTALE_SOAK_RUNS ?? '5000';
const minutes = Number(process.env.NOSTALE_SOAK_MINUTES ?? 0);
const until = Date.now() + minutes * 60_000;
const dir = mkdtempSync(join(tmpdir(), 'nostale-soak-'));
const report = join(dir, 'report.jsonl');

const totals = new Map();
let rounds = 0;
let failed = false;
const started = Date.now();
do {
  rounds++;
  console.log(`soak round ${rounds}: ${runs} runs per property`);
  const result = spawnSync('npx', ['vitest', 'run', '--project', 'unit', ...FILES], {
    stdio: 'inherit',
    env: { ...process.env, NOSTALE_SOAK_RUNS: runs, NOSTALE_SOAK_REPORT: report },
  });
  failed = result.status !== 0;
} while (!failed && Date.now() < until);

let lines = [];
try {
  lines = readFileSync(report, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
} catch {
  // No property reported (vitest did not start): the status below says so.
}
rmSync(dir, { recursive: true, force: true });
for (const { property, runs: r, commands } of lines) {
  const t = totals.get(property) ?? { runs: 0, commands: 0 };
  totals.set(property, { runs: t.runs + r, commands: t.commands + commands });
}
const minutesTaken = ((Date.now() - started) / 60_000).toFixed(1);
console.log(`\nsoak: ${rounds} round(s) in ${minutesTaken} min${failed ? ', STOPPED ON A FAILURE (seed and path above)' : ''}`);
let allRuns = 0;
let allCommands = 0;
for (const [property, { runs: r, commands }] of totals) {
  console.log(`  ${property.padEnd(36)} ${String(r).padStart(9)} runs ${String(commands).padStart(11)} commands`);
  allRuns += r;
  allCommands += commands;
}
console.log(`  ${'total'.padEnd(36)} ${String(allRuns).padStart(9)} runs ${String(allCommands).padStart(11)} commands`);
process.exit(failed ? 1 : 0);
