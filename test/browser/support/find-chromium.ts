import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

const ENV_VARS = ['NOSTALE_CHROMIUM', 'CHROME_PATH'] as const;

const USUAL_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
];

// Where Playwright's `channel: 'chrome'` looks. playwright-core has no public
// API that resolves a channel to a path without launching it, so we check the
// same locations directly instead of importing its internal registry.
const CHROME_CHANNEL_PATHS: Partial<Record<NodeJS.Platform, string[]>> = {
  linux: ['/opt/google/chrome/chrome'],
  darwin: ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'],
  win32: [
    `${process.env.LOCALAPPDATA ?? ''}\\Google\\Chrome\\Application\\chrome.exe`,
    `${process.env.PROGRAMFILES ?? ''}\\Google\\Chrome\\Application\\chrome.exe`,
    `${process.env['PROGRAMFILES(X86)'] ?? ''}\\Google\\Chrome\\Application\\chrome.exe`,
  ],
};

const APT_CHROMIUM = '/usr/bin/chromium';

export const INSTALL_HINT = 'Install one with `sudo apt-get install -y chromium`, ' + 'or set NOSTALE_CHROMIUM=/path/to/chrome';

let cached: Promise<string> | undefined;

/**
 * Path of a Chromium/Chrome executable for browser tests. Installs Debian's
 * chromium when running as root with apt-get and nothing is found, so a fresh
 * CI machine needs no manual step. Throws with the command to run otherwise.
 */
export function findChromium(): Promise<string> {
  // Cache the promise, not the value, so concurrent callers share one apt run.
  cached ??= resolveChromium().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function resolveChromium(): Promise<string> {
  for (const name of ENV_VARS) {
    const value = process.env[name];
    if (!value) continue;
    // An explicit setting that is wrong must fail loudly, not fall through to
    // some other browser the user did not ask for.
    if (!(await isExecutable(value))) {
      throw new Error(`${name}=${value} is not an executable file. ${INSTALL_HINT}`);
    }
    return value;
  }

  const candidates = [...USUAL_PATHS, ...(CHROME_CHANNEL_PATHS[process.platform] ?? [])];
  for (const candidate of candidates) {
    if (await isExecutable(candidate)) return candidate;
  }

  const aptGet = await which('apt-get');
  if (process.getuid?.() === 0 && aptGet) {
    await installDebianChromium(aptGet);
    if (await isExecutable(APT_CHROMIUM)) return APT_CHROMIUM;
    throw new Error(`apt-get installed chromium but ${APT_CHROMIUM} is missing. ${INSTALL_HINT}`);
  }

  throw new Error(`No Chromium found (checked $NOSTALE_CHROMIUM, $CHROME_PATH, ${candidates.join(', ')}). ${INSTALL_HINT}`);
}

async function installDebianChromium(aptGet: string): Promise<void> {
  // stderr rather than console: vitest buffers console output per test, and a
  // multi-minute silent pause would look like a hang.
  process.stderr.write('[nostale] No Chromium found; installing Debian chromium: apt-get update && apt-get install -y chromium\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run(aptGet, ['update'], env);
  await run(aptGet, ['install', '-y', 'chromium'], env);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}). ${INSTALL_HINT}`));
    });
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}
