import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

export interface StaticServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:43567/`. */
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

/**
 * Serves `root` on 127.0.0.1 (a secure context, so service workers register)
 * at an ephemeral port, so parallel runs never collide.
 */
export async function startStaticServer(root: string): Promise<StaticServer> {
  const base = resolve(root);
  const server = createServer((req, res) => {
    serve(base, req, res).catch(() => send(res, 500, 'internal error'));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()));
        // Chromium keeps idle keep-alive sockets open, which would stall close().
        server.closeAllConnections();
      }),
  };
}

async function serve(base: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');

  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return send(res, 400, 'bad path');
  }
  let file = join(base, pathname);
  if (file !== base && !file.startsWith(base + sep)) return send(res, 403, 'forbidden');

  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (!info?.isFile()) return send(res, 404, 'not found');

  const ext = extname(file).toLowerCase();
  res.statusCode = 200;
  res.setHeader('Content-Type', CONTENT_TYPES[ext] ?? 'application/octet-stream');
  res.setHeader('Content-Length', info.size);
  // Tests exercise the library's own freshness logic; an HTTP cache in
  // between would make results depend on what an earlier test fetched.
  res.setHeader('Cache-Control', 'no-store');
  // Lets a worker script served from a subfolder (e.g. /assets/sw.js) claim
  // scope "/", which is how bundlers lay out the demo.
  if (ext === '.js' || ext === '.mjs') res.setHeader('Service-Worker-Allowed', '/');
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}
