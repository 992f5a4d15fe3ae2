/**
 * The demo's API as a real HTTP server, with the server half of the protocol from `nostale/server`
 * (`npm run demo -- --server`). The data and its rules are the mock's own (demo/mock), so both
 * backends answer alike; what changes is who sends the versions, ETags and `Cache-Control`: here
 * the companion does, from a memory store or, with `REDIS_URL`, from Redis.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { createVersioning, memoryVersionStore, type Params, type VersionStore, webVersioning } from '../../src/server.js';
import { createDemoDb } from '../mock/db';
import { createEvent, deleteEvent, listEvents, listEventsNaive, updateEvent } from '../mock/endpoints';
import { isDemoUser } from '../mock/model';
import type { Endpoint } from '../mock/pipeline';
import { createRangeCache } from '../mock/rangeCache';
import { errorResponse } from '../mock/responses';
import { createMemoryStorage } from '../mock/storage';

export interface DemoServerOptions {
  /** Where versions live. @default a memory store (one process, development) */
  store?: VersionStore;
  /** Port on 127.0.0.1. @default 0, any free port */
  port?: number;
  /** A built demo (demo/dist) to serve beside the API, so page and API share an origin. */
  staticDir?: string;
  /** Build id in the ETags. @default 'demo' */
  build?: string;
}

export interface DemoServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:43567/`. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

type Route = { method: string; pattern: RegExp; handle: (request: Request, params: Params) => Promise<Response> };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const storage = createMemoryStorage();
  const db = createDemoDb({ storage });
  const rangeCache = createRangeCache(storage);
  const web = webVersioning(createVersioning({ store: options.store ?? memoryVersionStore(), build: options.build ?? 'demo' }));
  const scope = 'calendar:{user}';

  /** The mock's endpoint for a known user; an unknown one is a 404, as in the mock's pipeline. */
  const endpoint =
    <P extends { user: string }>(run: Endpoint<P>) =>
    async (request: Request, params: Params): Promise<Response> => {
      const user = params.user ?? '';
      if (!isDemoUser(user)) return errorResponse(404, 'not-found', `Unknown user ${user}`);
      return run({ request, user, params: params as unknown as P });
    };

  const routes: Route[] = [
    { method: 'GET', pattern: /^\/api\/users\/(?<user>[^/]+)\/events$/, handle: web.feed(scope, endpoint(listEvents(db))) },
    { method: 'GET', pattern: /^\/api\/users\/(?<user>[^/]+)\/version$/, handle: web.version(scope) },
    // The "without nostale" side's feed stays as naive as the post-mortems' backends: no companion.
    { method: 'GET', pattern: /^\/api\/naive\/users\/(?<user>[^/]+)\/events$/, handle: endpoint(listEventsNaive(db, rangeCache)) },
    {
      method: 'POST',
      pattern: /^\/api\/users\/(?<user>[^/]+)\/events$/,
      handle: web.mutation(scope, endpoint(createEvent(db, rangeCache))),
    },
    {
      method: 'PATCH',
      pattern: /^\/api\/users\/(?<user>[^/]+)\/events\/(?<id>[^/]+)$/,
      handle: web.mutation(scope, endpoint(updateEvent(db, rangeCache))),
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/users\/(?<user>[^/]+)\/events\/(?<id>[^/]+)$/,
      handle: web.mutation(scope, endpoint(deleteEvent(db, rangeCache))),
    },
  ];

  async function answer(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    for (const route of routes) {
      const match = route.pattern.exec(pathname);
      if (!match) continue;
      if (route.method !== request.method) continue;
      const params = Object.fromEntries(Object.entries(match.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
      return route.handle(request, params);
    }
    if (pathname.startsWith('/api/')) return errorResponse(404, 'not-found', `No route for ${request.method} ${pathname}`);
    if (options.staticDir && (request.method === 'GET' || request.method === 'HEAD')) return serveStatic(options.staticDir, pathname);
    return new Response('not found', { status: 404 });
  }

  const server = createServer((req, res) => {
    toRequest(req)
      .then(answer)
      .then((response) => send(res, response))
      .catch((error: unknown) => {
        console.error('demo server:', error);
        if (!res.headersSent) res.writeHead(500).end('internal error');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function toRequest(req: IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const body = chunks.length && req.method !== 'GET' && req.method !== 'HEAD' ? Buffer.concat(chunks) : undefined;
  return new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`, { method: req.method, headers, body });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
}

async function serveStatic(root: string, pathname: string): Promise<Response> {
  const path = normalize(join(root, decodeURIComponent(pathname)));
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) return new Response('forbidden', { status: 403 });
  const file = (await stat(path).catch(() => undefined))?.isDirectory() ? join(path, 'index.html') : path;
  const body = await readFile(file).catch(() => undefined);
  if (!body) return new Response('not found', { status: 404 });
  return new Response(body, {
    headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' },
  });
}
