import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { delimiter, join } from 'node:path';

export const INSTALL_COMMAND = 'sudo apt-get install -y redis-server';

/** A real redis-server on a free loopback port, with no persistence: tests own its whole keyspace. */
export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

async function isExecutable(path: string) {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && (await isExecutable(join(dir, name)))) return join(dir, name);
  }
  for (const dir of ['/usr/bin', '/usr/local/bin', '/usr/sbin']) if (await isExecutable(join(dir, name))) return join(dir, name);
  return undefined;
}

let found: Promise<string> | undefined;

/** Path of redis-server; installs Debian's package when missing and root, else says what to run. */
export function findRedisServer(): Promise<string> {
  found ??= (async () => {
    const explicit = process.env.NOSTALE_REDIS_SERVER;
    if (explicit) {
      if (await isExecutable(explicit)) return explicit;
      throw new Error(`NOSTALE_REDIS_SERVER=${explicit} is not executable. Install Redis: ${INSTALL_COMMAND}`);
    }
    const existing = await which('redis-server');
    if (existing) return existing;
    const aptGet = await which('apt-get');
    if (process.getuid?.() === 0 && aptGet) {
      process.stderr.write('[nostale] redis-server missing; running apt-get update && apt-get install -y redis-server\n');
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      for (const args of [['update'], ['install', '-y', 'redis-server']]) {
        const result = spawnSync(aptGet, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
        if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed. Install Redis: ${INSTALL_COMMAND}`);
      }
      const installed = await which('redis-server');
      if (installed) return installed;
    }
    throw new Error(`redis-server not found. Install it: ${INSTALL_COMMAND} (or set NOSTALE_REDIS_SERVER=/path/to/redis-server)`);
  })();
  return found;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  const binary = await findRedisServer();
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    if (await answersPing(port)) {
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer PING on port ${port}: ${output}`);
}
