import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { expressVersioning, fastifyVersioning, webVersioning, type VersionFeed, type Versioning } from '../../../src/server.js';
import type { EventsDb } from './eventsDb.js';

/** A node:http server listening on 127.0.0.1 (`port` 0: any free one): its base URL, and a close that waits for nothing. */
export async function listen(server: Server, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open push streams and keep-alive sockets would hold close() for seconds.
        server.closeAllConnections();
      }),
  };
}

export type AdapterName = 'web' | 'express' | 'fastify';
export const ADAPTERS: AdapterName[] = ['web', 'express', 'fastify'];

/** A running example app: the calendar API of the client's docs, through one adapter. */
export interface RunningApp {
  url: string;
  /** How many times a feed handler ran (a 304 must not run it). */
  feedCalls: () => number;
  close(): Promise<void>;
}

/**
 * The same routes the client docs use:
 * `GET/POST /api/users/:user/events`, `DELETE /api/users/:user/events/:id`,
 * `POST /api/users/:user/events/:id/copy-to/:other` (a write moving two scopes),
 * `GET /api/users/:user/version`, and with a feed `GET /api/users/:user/versions/stream` (push).
 */
export async function startApp(
  adapter: AdapterName,
  versioning: Versioning,
  db: EventsDb,
  port = 0,
  feed?: VersionFeed,
): Promise<RunningApp> {
  let calls = 0;
  const server =
    adapter === 'express'
      ? expressApp(versioning, db, () => calls++, feed)
      : adapter === 'web'
        ? webApp(versioning, db, () => calls++, feed)
        : undefined;
  if (server) return { ...(await listen(server, port)), feedCalls: () => calls };
  const app = fastifyApp(versioning, db, () => calls++, feed);
  const address = await app.listen({ port, host: '127.0.0.1' });
  return { url: address, feedCalls: () => calls, close: () => app.close() };
}

function expressApp(versioning: Versioning, db: EventsDb, onFeed: () => void, feed?: VersionFeed): Server {
  const nx = expressVersioning(versioning);
  const app = express();
  app.set('etag', false);
  app.use(express.json());
  app.get('/api/users/:user/events', nx.feed('calendar:{user}'), async (req, res) => {
    onFeed();
    res.json(await db.list(req.params.user));
  });
  app.post('/api/users/:user/events', nx.mutation('calendar:{user}'), async (req, res) => {
    const title = (req.body as { title?: unknown } | undefined)?.title;
    if (typeof title !== 'string') return void res.status(400).json({ error: 'title' });
    res.status(201).json(await db.create(req.params.user, title));
  });
  app.delete('/api/users/:user/events/:id', nx.mutation('calendar:{user}'), async (req, res) => {
    if (!(await db.delete(req.params.user, req.params.id))) return void res.status(404).json({ error: 'not-found' });
    res.status(204).end();
  });
  app.post('/api/users/:user/events/:id/copy-to/:other', nx.mutation(['calendar:{user}', 'calendar:{other}']), async (req, res) => {
    const event = (await db.list(req.params.user)).find((e) => e.id === req.params.id);
    if (!event) return void res.status(404).json({ error: 'not-found' });
    res.status(201).json(await db.create(req.params.other, event.title));
  });
  app.get('/api/users/:user/version', nx.version('calendar:{user}'));
  if (feed) app.get('/api/users/:user/versions/stream', nx.push('calendar:{user}', feed, { heartbeat: 50 }));
  return createServer(app);
}

function fastifyApp(versioning: Versioning, db: EventsDb, onFeed: () => void, feed?: VersionFeed) {
  const nx = fastifyVersioning(versioning);
  const app = Fastify({ forceCloseConnections: true });
  type P = { Params: { user: string; id: string; other: string }; Body: { title?: unknown } };
  app.get<P>('/api/users/:user/events', nx.feed('calendar:{user}'), async (request) => {
    onFeed();
    return db.list(request.params.user);
  });
  app.post<P>('/api/users/:user/events', nx.mutation('calendar:{user}'), async (request, reply) => {
    const title = request.body?.title;
    if (typeof title !== 'string') return reply.code(400).send({ error: 'title' });
    return reply.code(201).send(await db.create(request.params.user, title));
  });
  app.delete<P>('/api/users/:user/events/:id', nx.mutation('calendar:{user}'), async (request, reply) => {
    if (!(await db.delete(request.params.user, request.params.id))) return reply.code(404).send({ error: 'not-found' });
    return reply.code(204).send();
  });
  app.post<P>(
    '/api/users/:user/events/:id/copy-to/:other',
    nx.mutation(['calendar:{user}', 'calendar:{other}']),
    async (request, reply) => {
      const event = (await db.list(request.params.user)).find((e) => e.id === request.params.id);
      if (!event) return reply.code(404).send({ error: 'not-found' });
      return reply.code(201).send(await db.create(request.params.other, event.title));
    },
  );
  app.get('/api/users/:user/version', nx.version('calendar:{user}'));
  if (feed) app.get('/api/users/:user/versions/stream', nx.push('calendar:{user}', feed, { heartbeat: 50 }));
  return app;
}

/** The Web-standard handlers behind node:http, with a hand-written router: no framework at all. */
function webApp(versioning: Versioning, db: EventsDb, onFeed: () => void, feed?: VersionFeed): Server {
  const web = webVersioning(versioning);
  const list = web.feed('calendar:{user}', async (_request, params) => {
    onFeed();
    return Response.json(await db.list(params.user!));
  });
  const create = web.mutation('calendar:{user}', async (request, params) => {
    const body = (await request.json().catch(() => undefined)) as { title?: unknown } | undefined;
    if (typeof body?.title !== 'string') return Response.json({ error: 'title' }, { status: 400 });
    return Response.json(await db.create(params.user!, body.title), { status: 201 });
  });
  const remove = web.mutation('calendar:{user}', async (_request, params) =>
    (await db.delete(params.user!, params.id!))
      ? new Response(null, { status: 204 })
      : Response.json({ error: 'not-found' }, { status: 404 }),
  );
  const copy = web.mutation(['calendar:{user}', 'calendar:{other}'], async (_request, params) => {
    const event = (await db.list(params.user!)).find((e) => e.id === params.id);
    if (!event) return Response.json({ error: 'not-found' }, { status: 404 });
    return Response.json(await db.create(params.other!, event.title), { status: 201 });
  });
  const version = web.version('calendar:{user}');
  type Route = [string, RegExp, (request: Request, params: Record<string, string>) => Promise<Response>];
  const routes: Route[] = [
    ['GET', /^\/api\/users\/(?<user>[^/]+)\/events$/, list],
    ['HEAD', /^\/api\/users\/(?<user>[^/]+)\/events$/, list],
    ['POST', /^\/api\/users\/(?<user>[^/]+)\/events$/, create],
    ['DELETE', /^\/api\/users\/(?<user>[^/]+)\/events\/(?<id>[^/]+)$/, remove],
    ['POST', /^\/api\/users\/(?<user>[^/]+)\/events\/(?<id>[^/]+)\/copy-to\/(?<other>[^/]+)$/, copy],
    ['GET', /^\/api\/users\/(?<user>[^/]+)\/version$/, version],
    ...(feed
      ? [['GET', /^\/api\/users\/(?<user>[^/]+)\/versions\/stream$/, web.push('calendar:{user}', feed, { heartbeat: 50 })] as Route]
      : []),
  ];
  return createServer((req, res) => {
    void serveWeb(req, res, routes);
  });
}

async function serveWeb(
  req: IncomingMessage,
  res: ServerResponse,
  routes: [string, RegExp, (request: Request, params: Record<string, string>) => Promise<Response>][],
) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  const method = req.method ?? 'GET';
  const closed = new AbortController();
  res.on('close', () => closed.abort());
  const request = new Request(url, {
    method,
    headers,
    body: chunks.length && method !== 'GET' && method !== 'HEAD' ? Buffer.concat(chunks) : undefined,
    signal: closed.signal,
  });
  let response = new Response('not found', { status: 404 });
  for (const [verb, pattern, handler] of routes) {
    const match = verb === method && pattern.exec(url.pathname);
    if (match) {
      response = await handler(request, { ...match.groups });
      break;
    }
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  // Streamed, not buffered: a push endpoint's body never ends on its own.
  const reader = response.body?.getReader();
  for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader!.read()) res.write(chunk.value);
  res.end();
}
