/**
 * `X-Cache-Namespace` from nostale/server: each adapter, given `namespace: (request) => …`, names
 * the user whose session a request came with on every response it handles (feeds, 304s, writes
 * that succeed or fail, the version endpoint, push), percent-encoded and exposed to CORS; without
 * the option, or when the function answers `undefined`, nothing is sent. Real HTTP servers.
 */
import { createServer, type IncomingMessage } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdapterOptions,
  createVersioning,
  expressVersioning,
  fastifyVersioning,
  memoryVersionStore,
  type Versioning,
  webVersioning,
} from '../../src/server.js';
import { ADAPTERS, type AdapterName, listen } from './support/apps.js';

/** The session cookie `session=<percent-encoded user>`; none: not logged in (`undefined`). */
function sessionUser(cookie: string | string[] | null | undefined): string | undefined {
  const value = (Array.isArray(cookie) ? cookie.join('; ') : (cookie ?? '')).match(/(?:^|;\s*)session=([^;]*)/)?.[1];
  return value === undefined ? undefined : decodeURIComponent(value);
}

type HeadersOf = { headers: Record<string, string | string[] | undefined> };
type Start = { url: string; close: () => Promise<void> };

/** `GET/POST /api/users/:user/events` (a POST without a title is a 400), `GET …/version`, `GET …/stream`. */
async function namespacedApp(adapter: AdapterName, versioning: Versioning, named = true, order: string[] = []): Promise<Start> {
  const never = { subscribe: () => () => undefined };
  const events: Record<string, { title: string }[]> = {};
  const list = (user: string) => {
    order.push('handler');
    return (events[user] ??= []);
  };
  const nameOf = (cookie: string | string[] | null | undefined) => {
    order.push('namespace');
    return sessionUser(cookie);
  };
  if (adapter === 'express') {
    const options: AdapterOptions<HeadersOf> | undefined = named ? { namespace: (req) => nameOf(req.headers.cookie) } : undefined;
    const nx = expressVersioning(versioning, options);
    const app = express();
    app.set('etag', false);
    app.use(express.json());
    app.get('/api/users/:user/events', nx.feed('calendar:{user}'), (req, res) => void res.json(list(req.params.user)));
    app.post('/api/users/:user/events', nx.mutation('calendar:{user}'), (req, res) => {
      const title = (req.body as { title?: unknown } | undefined)?.title;
      if (typeof title !== 'string') return void res.status(400).json({ error: 'title' });
      list(req.params.user).push({ title });
      res.status(201).json({ title });
    });
    app.get('/api/users/:user/version', nx.version('calendar:{user}'));
    app.get('/api/users/:user/stream', nx.push('calendar:{user}', never, { heartbeat: 60_000 }));
    return listen(createServer(app));
  }
  if (adapter === 'web') {
    const options: AdapterOptions<Request> | undefined = named
      ? { namespace: async (request) => nameOf(request.headers.get('cookie')) }
      : undefined;
    const web = webVersioning(versioning, options);
    const feed = web.feed('calendar:{user}', (_request, params) => Response.json(list(params.user!)));
    const write = web.mutation('calendar:{user}', async (request, params) => {
      const title = ((await request.json().catch(() => undefined)) as { title?: unknown } | undefined)?.title;
      if (typeof title !== 'string') return Response.json({ error: 'title' }, { status: 400 });
      list(params.user!).push({ title });
      return Response.json({ title }, { status: 201 });
    });
    const version = web.version('calendar:{user}');
    const push = web.push('calendar:{user}', never, { heartbeat: 60_000 });
    return listen(
      createServer(async (req, res) => {
        const request = await toRequest(req);
        const [, user, what] = new URL(request.url).pathname.match(/^\/api\/users\/([^/]+)\/(events|version|stream)$/) ?? [];
        const params = { user };
        const handler = what === 'events' ? (request.method === 'POST' ? write : feed) : what === 'version' ? version : push;
        const response = await handler(request, params);
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (what === 'stream') return void res.end();
        res.end(Buffer.from(await response.arrayBuffer()));
      }),
    );
  }
  const options: AdapterOptions<HeadersOf> | undefined = named ? { namespace: (request) => nameOf(request.headers.cookie) } : undefined;
  const nx = fastifyVersioning(versioning, options);
  const app = Fastify();
  const userOf = (request: { params: unknown }) => (request.params as { user: string }).user;
  app.get('/api/users/:user/events', nx.feed('calendar:{user}'), async (request) => list(userOf(request)));
  app.post('/api/users/:user/events', nx.mutation('calendar:{user}'), async (request, reply) => {
    const title = (request.body as { title?: unknown } | undefined)?.title;
    if (typeof title !== 'string') return reply.code(400).send({ error: 'title' });
    list(userOf(request)).push({ title });
    return reply.code(201).send({ title });
  });
  app.get('/api/users/:user/version', nx.version('calendar:{user}'));
  app.get('/api/users/:user/stream', nx.push('calendar:{user}', never, { heartbeat: 60_000 }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: address, close: () => app.close() };
}

async function toRequest(req: IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks);
  return new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body });
}

const exposed = (response: Response) => (response.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);

describe.each(ADAPTERS)('the %s adapter names whose answer it is', (adapter) => {
  let app: Start;
  let unnamed: Start;
  const order: string[] = [];
  beforeAll(async () => {
    app = await namespacedApp(adapter, createVersioning({ store: memoryVersionStore(), build: 'b' }), true, order);
    unnamed = await namespacedApp(adapter, createVersioning({ store: memoryVersionStore(), build: 'b' }), false);
  });
  afterAll(async () => {
    await app?.close();
    await unnamed?.close();
  });

  const as = (cookie?: string, init: RequestInit = {}) => ({ ...init, headers: { ...(cookie ? { cookie } : {}), ...init.headers } });
  const post = (body: unknown) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  it('on a feed, its 304, a write, a failed write and the version endpoint, exposed to CORS', async () => {
    const feed = `${app.url}/api/users/alice/events`;
    const first = await fetch(feed, as('session=alice'));
    const notModified = await fetch(feed, as('session=alice', { headers: { 'if-none-match': first.headers.get('etag')! } }));
    const written = await fetch(feed, as('session=alice', post({ title: 'a' })));
    const refused = await fetch(feed, as('session=alice', post({})));
    const version = await fetch(`${app.url}/api/users/alice/version`, as('session=alice'));
    expect([first.status, notModified.status, written.status, refused.status, version.status]).toEqual([200, 304, 201, 400, 200]);
    for (const response of [first, notModified, written, refused, version]) {
      expect(response.headers.get('x-cache-namespace'), `${response.status}`).toBe('alice');
      expect(exposed(response)).toEqual(expect.arrayContaining(['X-Cache-Namespace', 'X-Cache-Version', 'ETag']));
    }
  });

  it('as the session says, whoever owns the URL: bob reading alice’s calendar is answered as bob', async () => {
    const response = await fetch(`${app.url}/api/users/alice/events`, as('session=bob'));
    expect(response.headers.get('x-cache-namespace')).toBe('bob');
  });

  it('percent-encoded, so an odd id is one value; an anonymous session is the empty value', async () => {
    const odd = "o'brien, ä=1";
    const response = await fetch(`${app.url}/api/users/alice/events`, as(`session=${encodeURIComponent(odd)}`));
    const sent = response.headers.get('x-cache-namespace')!;
    expect(sent).not.toMatch(/[, =]|[^\x21-\x7e]/);
    expect(decodeURIComponent(sent)).toBe(odd);
    const anonymous = await fetch(`${app.url}/api/users/alice/events`, as('session='));
    expect(anonymous.headers.get('x-cache-namespace')).toBe('');
  });

  it('asked once per request, before the handler runs (a login answers as the session it came with)', async () => {
    order.length = 0;
    await fetch(`${app.url}/api/users/alice/events`, as('session=alice'));
    await fetch(`${app.url}/api/users/alice/events`, as('session=alice', post({ title: 'b' })));
    expect(order).toEqual(['namespace', 'handler', 'namespace', 'handler']);
  });

  it('nothing when the function names no one, or without the option', async () => {
    const nobody = await fetch(`${app.url}/api/users/alice/events`);
    expect(nobody.headers.get('x-cache-namespace')).toBeNull();
    expect(exposed(nobody)).not.toContain('X-Cache-Namespace');
    const off = await fetch(`${unnamed.url}/api/users/alice/events`, as('session=alice'));
    expect(off.status).toBe(200);
    expect(off.headers.get('x-cache-namespace')).toBeNull();
    expect(exposed(off)).not.toContain('X-Cache-Namespace');
  });

  it('on a push stream', async () => {
    const controller = new AbortController();
    const response = await fetch(`${app.url}/api/users/alice/stream`, as('session=alice', { signal: controller.signal }));
    expect(response.headers.get('x-cache-namespace')).toBe('alice');
    controller.abort();
  });
});
