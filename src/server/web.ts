import { resolveScopes, type Params, type ScopeSpec } from './scopeTemplate.js';
import { type AdapterOptions, namespaceHeaders, withNamespaceExposed } from './namespace.js';
import { PUSH_HEADERS, versionEvents, type PushOptions } from './push.js';
import type { VersionFeed } from './versionFeed.js';
import type { MutationHeaders, ReadPlan, Versioning } from './versioning.js';

/** A Web-standard handler: Hono (`c.req.raw`), Bun, Deno, Next route handlers, workers. */
export type WebHandler = (request: Request, params?: Params) => Promise<Response>;

/** Lets a mutation add scopes it only learns while writing (the event moved to another calendar). */
export interface MutationContext {
  /** Scopes that will be bumped once the handler's 2xx response is ready. */
  readonly scopes: Set<string>;
  /** Adds scopes to bump. */
  touch(...scopes: string[]): void;
}

/** Sets (or, for `remove`, deletes) headers on a copy: responses from `fetch` have immutable headers. */
function rewrite(response: Response, set: Record<string, string>, remove: readonly string[] = []): Response {
  const headers = new Headers(response.headers);
  for (const name of remove) headers.delete(name);
  for (const [name, value] of Object.entries(set)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

const requestInfo = (request: Request) => {
  const url = new URL(request.url);
  return {
    url: url.pathname + url.search,
    ifNoneMatch: request.headers.get('if-none-match'),
    accept: request.headers.get('accept'),
    acceptLanguage: request.headers.get('accept-language'),
  };
};

/** `headers` and the request's namespace header (`owner`), with all of them exposed. */
function exposeOn(versioning: Versioning, response: Response | null, headers: Record<string, string>, owner: Record<string, string>) {
  const existing = withNamespaceExposed(response?.headers.get('access-control-expose-headers'), owner);
  return { ...headers, ...owner, 'Access-Control-Expose-Headers': versioning.expose(existing) };
}

/** Headers a feed's own answer gets: the plan's on a 2xx or 304, only the version on an error. */
export function finishRead(versioning: Versioning, plan: ReadPlan, status: number): { set: Record<string, string>; remove: string[] } {
  if (plan.kind === 'degraded') return { set: plan.headers, remove: plan.remove };
  if ((status >= 200 && status < 300) || status === 304) return { set: plan.headers, remove: [] };
  return { set: { [versioning.versionHeader]: plan.version }, remove: [] };
}

/**
 * Web-standard handlers over a `Versioning`. `params` are the router's captures that fill the
 * scope template; pass them from your framework (`c.req.param()` in Hono, `await ctx.params` in
 * Next 15). `options.namespace` names the request's user, sent as `X-Cache-Namespace`.
 *
 * @example
 * const web = webVersioning(versioning, { namespace: (request) => sessionOf(request)?.userId ?? '' });
 * app.get('/api/users/:user/events', (c) => web.feed('calendar:{user}', listEvents)(c.req.raw, c.req.param()));
 */
export function webVersioning(versioning: Versioning, options?: AdapterOptions<Request>) {
  const ownerOf = (request: Request) => namespaceHeaders(versioning.namespaceHeader, options, request);
  return {
    /** A versioned feed: 304 before `handler` runs when the client's copy is current. */
    feed(scope: ScopeSpec<Request>, handler: (request: Request, params: Params) => Response | Promise<Response>): WebHandler {
      return async (request, params = {}) => {
        const [name] = resolveScopes(scope, request, params);
        const owner = await ownerOf(request);
        const plan = await versioning.planRead(name!, requestInfo(request));
        if (plan.kind === 'versioned' && plan.notModified) {
          return new Response(null, { status: 304, headers: exposeOn(versioning, null, plan.headers, owner) });
        }
        const response = await handler(request, params);
        const { set, remove } = finishRead(versioning, plan, response.status);
        return rewrite(response, exposeOn(versioning, response, set, owner), remove);
      };
    },

    /**
     * A write: `handler` commits, then a 2xx bumps every scope and carries the new tokens. A
     * handler that throws bumps nothing and its error propagates to the framework.
     */
    mutation(
      scope: ScopeSpec<Request>,
      handler: (request: Request, params: Params, context: MutationContext) => Response | Promise<Response>,
    ): WebHandler {
      return async (request, params = {}) => {
        const scopes = new Set(resolveScopes(scope, request, params));
        const owner = await ownerOf(request);
        const context: MutationContext = {
          scopes,
          touch: (...more) => {
            for (const s of more) scopes.add(s);
          },
        };
        const response = await handler(request, params, context);
        const ok = response.status >= 200 && response.status < 300;
        const outcome: MutationHeaders = ok ? await versioning.afterWrite([...scopes]) : await versioning.afterFailedWrite([...scopes]);
        return rewrite(response, exposeOn(versioning, response, outcome.headers, owner), [
          versioning.versionHeader,
          versioning.versionsHeader,
        ]);
      };
    },

    /**
     * Server-sent events of `{scope, version}` for the scopes (current versions on every
     * connect, then each bump). Guard it like the feeds it stands for: it names their owners.
     * @example app.get('/api/users/:user/versions/stream', (c) => web.push('calendar:{user}', feed)(c.req.raw, c.req.param()));
     */
    push(scope: ScopeSpec<Request>, feed: VersionFeed, pushOptions?: PushOptions): WebHandler {
      return async (request, params = {}) => {
        const stream = versionEvents(versioning, feed, resolveScopes(scope, request, params), request.signal, pushOptions);
        return new Response(stream, { headers: exposeOn(versioning, null, PUSH_HEADERS, await ownerOf(request)) });
      };
    },

    /** `GET …/version` → `{"version": "…"}`, `no-store`; 503 while the store is down. */
    version(scope: ScopeSpec<Request>): WebHandler {
      return async (request, params = {}) => {
        const [name] = resolveScopes(scope, request, params);
        const owner = await ownerOf(request);
        const answer = await versioning.versionAnswer(name!);
        const response = Response.json(answer.body, { status: answer.status, headers: answer.headers });
        return rewrite(response, exposeOn(versioning, response, {}, owner));
      };
    },
  };
}
