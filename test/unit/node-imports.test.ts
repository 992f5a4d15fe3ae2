import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };

/** Source entry of each `exports` subpath: `.` is src/index.ts, `./idb` is src/idb.ts. */
const entries = Object.keys(pkg.exports).map((subpath) => ({
  subpath,
  file: resolve(root, 'src', subpath === '.' ? 'index.ts' : `${subpath.slice(2)}.ts`),
}));

describe('every subpath imports in plain Node (SSR, Vitest in node)', () => {
  it('loads each entry with Node’s own ESM loader and no browser globals', async () => {
    // A child process, not this happy-dom worker: the point is a runtime with no window,
    // no navigator and Node's resolution of each dependency (workbox-window's CommonJS main).
    const script = `
      const results = {};
      for (const [subpath, file] of ${JSON.stringify(entries.map((e) => [e.subpath, e.file]))}) {
        try {
          results[subpath] = Object.keys(await import(file)).length > 0 ? 'ok' : 'no exports';
        } catch (error) {
          results[subpath] = String(error && error.message);
        }
      }
      console.log(JSON.stringify(results));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const results = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, string>;
    expect(Object.keys(results)).toEqual(entries.map((e) => e.subpath));
    for (const { subpath } of entries) expect(results[subpath], subpath).toBe('ok');
  }, 60_000);
});
