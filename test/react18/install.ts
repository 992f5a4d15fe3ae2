/**
 * Global setup of the `react18` project: installs React 18 into `.cache/react18/` unless the
 * exact versions are already there. A failed install fails the run with the command to repeat;
 * the project never falls back to React 19 or skips.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REACT18_PACKAGES, REACT18_PREFIX } from './project.js';

function installedVersion(name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(REACT18_PREFIX, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

export function setup(): void {
  const specs = Object.entries(REACT18_PACKAGES).map(([name, version]) => `${name}@${version}`);
  if (Object.entries(REACT18_PACKAGES).every(([name, version]) => installedVersion(name) === version)) return;
  const args = [
    'install',
    '--prefix',
    REACT18_PREFIX,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    ...specs,
  ];
  const command = `npm ${args.join(' ')}`;
  console.log(`[react18] installing React 18: ${command}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, args, { encoding: 'utf8' });
  const missing = Object.entries(REACT18_PACKAGES).filter(([name, version]) => installedVersion(name) !== version);
  if (result.status !== 0 || missing.length) {
    throw new Error(
      `[react18] could not install React 18 into ${REACT18_PREFIX} (${result.error?.message ?? `npm exited with ${result.status}`}` +
        `${missing.length ? `; still missing ${missing.map(([name, version]) => `${name}@${version}`).join(', ')}` : ''}).\n` +
        `Run it yourself to see why (is the npm registry reachable?):\n  ${command}\n${result.stdout ?? ''}${result.stderr ?? ''}`,
    );
  }
}
