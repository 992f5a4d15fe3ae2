#!/usr/bin/env node
// `npm run demo`: the demo on Vite's dev server over the in-page mock backend (MSW).
// `npm run demo -- --server`: the same demo against a real HTTP backend, the Node companion of
// `nostale/server` (demo/server/), behind Vite's proxy at /api/, so the browser's network tab
// shows real requests. Versions live in memory, or in Redis when REDIS_URL is set.
// Other arguments go to Vite (`npm run demo -- --port 5180`).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const withServer = args.includes('--server');
const viteArgs = args.filter((a) => a !== '--server');
const vite = join(root, 'node_modules/vite/bin/vite.js');

const children = [];
const stopAll = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);

let env = process.env;
if (withServer) {
  const backend = spawn(process.execPath, ['--import', 'tsx', join(root, 'demo/server/main.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(backend);
  const url = await new Promise((resolve, reject) => {
    backend.once('exit', (code) => reject(new Error(`the demo backend exited (${code}) before it listened`)));
    createInterface({ input: backend.stdout }).on('line', (line) => {
      console.log(`[backend] ${line}`);
      const found = /^listening (\S+)/.exec(line);
      if (found) resolve(found[1]);
    });
  });
  // The page asks its own origin's /api/; Vite forwards it (demo/vite.config.ts).
  env = { ...process.env, NOSTALE_DEMO_BACKEND: url, VITE_DEMO_API: '/api/' };
}
const devServer = spawn(process.execPath, [vite, 'demo', ...viteArgs], { cwd: root, stdio: 'inherit', env });
children.push(devServer);
devServer.on('exit', (code) => {
  stopAll();
  process.exit(code ?? 0);
});
