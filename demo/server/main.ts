/**
 * `node --import tsx demo/server/main.ts [--port N] [--static DIR]`: the demo's API on the Node
 * companion (scripts/demo.mjs starts it for `npm run demo -- --server`). Versions live in memory,
 * or in Redis when `REDIS_URL` is set. Prints `listening <url>` once it accepts connections.
 */
import { resolve } from 'node:path';
import { redisVersionStore, type VersionStore } from '../../src/server.js';
import { startDemoServer } from './app';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};

let store: VersionStore | undefined;
let disconnect = () => {};
if (process.env.REDIS_URL) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL);
  store = redisVersionStore(redis);
  disconnect = () => redis.disconnect();
}
const staticDir = arg('--static');
const server = await startDemoServer({
  store,
  port: Number(arg('--port') ?? 0),
  staticDir: staticDir === undefined ? undefined : resolve(staticDir),
});
console.log(`listening ${server.url} (versions in ${process.env.REDIS_URL ? `Redis at ${process.env.REDIS_URL}` : 'memory'})`);
const stop = () => {
  disconnect();
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
