import { resolveScopes, type Params, type ScopeSpec } from './scopeTemplate.js';
import { type AdapterOptions, namespaceHeaders, withNamespaceExposed } from './namespace.js';
import { PUSH_HEADERS, versionEvents, type PushOptions } from './push.js';
import type { VersionFeed } from './versionFeed.js';
import type { ReadPlan, Versioning } from './versioning.js';
import { finishRead } from './web.js';

/** The parts of a Fastify request the adapter reads, typed without importing fastify (an optional peer). */
export interface FastifyRequestLike {
  url: string;
  params: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** Node's request, whose `close` ends a push stream. */
  raw: { on(event: 'close', listener: () => void): unknown };
}

/** The parts of a Fastify reply the adapter uses. */
export interface FastifyReplyLike {
  statusCode: number;
  header(name: string, value: string): unknown;
  getHeader(name: string): unknown;
  removeHeader(name: string): unknown;
  code(status: number): unknown;
  send(payload?: unknown): unknown;
}

/** Route-level hooks to spread into a route's options. */
export interface FastifyRouteHooks {
  preHandler?: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>;
  onSend: (request: FastifyRequestLike, reply: FastifyReplyLike, payload: unknown) => Promise<unknown>;
}

const header = (request: FastifyRequestLike, name: string) => {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

const paramsOf = (request: FastifyRequestLike): Params => (request.params ?? {}) as Params;

function setAll(reply: FastifyReplyLike, headers: Record<string, string>) {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
}

/** Sets the request's namespace header (`owner`, if any) and exposes it with the protocol's. */
function expose(versioning: Versioning, reply: FastifyReplyLike, owner: Record<string, string> = {}) {
  setAll(reply, owner);
  const current = reply.getHeader('access-control-expose-headers');
  reply.header(
    'Access-Control-Expose-Headers',
    versioning.expose(withNamespaceExposed(current === undefined ? undefined : String(current), owner)),
  );
}

/**
 * Fastify route hooks over a `Versioning`. `onSend` is awaited before Fastify writes headers, so
 * the bump's token reaches the response with no buffering tricks. `options.namespace` names the
 * request's user, sent as `X-Cache-Namespace`.
 *
 * @example
 * const nx = fastifyVersioning(versioning, { namespace: (request) => (request as AppRequest).user?.id ?? '' });
 * app.get('/api/users/:user/events', nx.feed('calendar:{user}'), listEvents);
 * app.delete('/api/users/:user/events/:id', nx.mutation('calendar:{user}'), deleteEvent);
 * app.get('/api/users/:user/version', nx.version('calendar:{user}'));
 */
export function fastifyVersioning(versioning: Versioning, options?: AdapterOptions<FastifyRequestLike>) {
  const plans = new WeakMap<FastifyRequestLike, ReadPlan>();
  const scopes = new WeakMap<FastifyRequestLike, string[]>();
  /** Each request's namespace header, named in `preHandler` (before the handler runs). */
  const owners = new WeakMap<FastifyRequestLike, Record<string, string>>();
  const nameOwner = async (request: FastifyRequestLike) => {
    owners.set(request, await namespaceHeaders(versioning.namespaceHeader, options, request));
  };
  return {
    /** Reads the version before the handler, answers 304 itself, and stamps the 200. */
    feed(scope: ScopeSpec<FastifyRequestLike>): FastifyRouteHooks {
      return {
        async preHandler(request, reply) {
          const [name] = resolveScopes(scope, request, paramsOf(request));
          await nameOwner(request);
          const plan = await versioning.planRead(name!, {
            url: request.url,
            ifNoneMatch: header(request, 'if-none-match'),
            accept: header(request, 'accept'),
            acceptLanguage: header(request, 'accept-language'),
          });
          plans.set(request, plan);
          if (plan.kind === 'versioned' && plan.notModified) {
            reply.code(304);
            reply.send();
            return reply;
          }
          return undefined;
        },
        async onSend(request, reply, payload) {
          const plan = plans.get(request);
          if (plan) {
            const { set, remove } = finishRead(versioning, plan, reply.statusCode);
            for (const name of remove) reply.removeHeader(name);
            setAll(reply, set);
          }
          expose(versioning, reply, owners.get(request));
          return payload;
        },
      };
    },

    /** Bumps after the handler's 2xx response (its write committed), and puts the tokens on it. */
    mutation(scope: ScopeSpec<FastifyRequestLike>): FastifyRouteHooks {
      return {
        async preHandler(request) {
          scopes.set(request, resolveScopes(scope, request, paramsOf(request)));
          await nameOwner(request);
          return undefined;
        },
        async onSend(request, reply, payload) {
          const list = scopes.get(request);
          if (list) {
            const ok = reply.statusCode >= 200 && reply.statusCode < 300;
            const { headers } = ok ? await versioning.afterWrite(list) : await versioning.afterFailedWrite(list);
            reply.removeHeader(versioning.versionHeader);
            reply.removeHeader(versioning.versionsHeader);
            setAll(reply, headers);
          }
          expose(versioning, reply, owners.get(request));
          return payload;
        },
      };
    },

    /** Server-sent events of `{scope, version}`: current versions on every connect, then each bump. */
    push(scope: ScopeSpec<FastifyRequestLike>, feed: VersionFeed, pushOptions?: PushOptions) {
      return async (request: FastifyRequestLike, reply: FastifyReplyLike) => {
        const closed = new AbortController();
        request.raw.on('close', () => closed.abort());
        const owner = await namespaceHeaders(versioning.namespaceHeader, options, request);
        const stream = versionEvents(versioning, feed, resolveScopes(scope, request, paramsOf(request)), closed.signal, pushOptions);
        setAll(reply, PUSH_HEADERS);
        expose(versioning, reply, owner);
        return reply.send(stream);
      };
    },

    /** The version endpoint, a complete handler. */
    version(scope: ScopeSpec<FastifyRequestLike>) {
      return async (request: FastifyRequestLike, reply: FastifyReplyLike) => {
        const [name] = resolveScopes(scope, request, paramsOf(request));
        const owner = await namespaceHeaders(versioning.namespaceHeader, options, request);
        const answer = await versioning.versionAnswer(name!);
        setAll(reply, answer.headers);
        expose(versioning, reply, owner);
        reply.code(answer.status);
        return answer.body;
      };
    },
  };
}
