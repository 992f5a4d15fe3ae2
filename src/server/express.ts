import { resolveScopes, type Params, type ScopeSpec } from './scopeTemplate.js';
import { type AdapterOptions, namespaceHeaders, withNamespaceExposed } from './namespace.js';
import { PUSH_HEADERS, versionEvents, type PushOptions } from './push.js';
import type { VersionFeed } from './versionFeed.js';
import type { Versioning } from './versioning.js';
import { finishRead } from './web.js';

/**
 * The parts of an Express request the adapter reads (Express 4 and 5). `params` is left out of
 * the type on purpose: naming it would make TypeScript infer the route's params from this
 * middleware instead of from the path, and the handler's `req.params.user` would lose its type.
 */
export interface ExpressRequestLike {
  originalUrl: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The parts of Node's `ServerResponse` the adapter uses, declared here so that the published
 * types need neither express nor @types/node.
 */
export interface NodeResponseLike {
  statusCode: number;
  statusMessage: string;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  getHeader(name: string): unknown;
  removeHeader(name: string): void;
  writeHead(statusCode: number, ...rest: unknown[]): unknown;
  write(...args: unknown[]): boolean;
  end(...args: unknown[]): unknown;
  on(event: 'close', listener: () => void): unknown;
}

const paramsOf = (req: ExpressRequestLike): Params => (req as ExpressRequestLike & { params?: Params }).params ?? {};

/** Express middleware, typed without importing express (an optional peer). */
export type ExpressMiddleware = (req: ExpressRequestLike, res: NodeResponseLike, next: (error?: unknown) => void) => void;

const header = (req: ExpressRequestLike, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

function setAll(res: NodeResponseLike, headers: Record<string, string>) {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

/** Sets the request's namespace header (`owner`, if any) and exposes it with the protocol's. */
function expose(versioning: Versioning, res: NodeResponseLike, owner: Record<string, string>) {
  setAll(res, owner);
  const current = res.getHeader('access-control-expose-headers');
  res.setHeader(
    'Access-Control-Expose-Headers',
    versioning.expose(withNamespaceExposed(current === undefined ? undefined : String(current), owner)),
  );
}

/** Runs `hook` synchronously just before the status line and headers are written. */
function beforeHeaders(res: NodeResponseLike, hook: () => void) {
  const writeHead = res.writeHead;
  res.writeHead = function (this: NodeResponseLike, ...args: Parameters<NodeResponseLike['writeHead']>) {
    res.writeHead = writeHead;
    if (typeof args[0] === 'number') res.statusCode = args[0];
    hook();
    return writeHead.apply(this, args);
  } as NodeResponseLike['writeHead'];
}

/**
 * Holds back what the handler writes until `finish(status)` resolved, then sends it with the
 * headers `finish` set. Express sends headers synchronously inside `res.json()`/`res.end()`, and a
 * bump is asynchronous: buffering is the only way its token can reach this response.
 */
function deferResponse(res: NodeResponseLike, finish: (status: number) => Promise<void>) {
  const { writeHead, write, end } = res;
  const writes: Parameters<NodeResponseLike['write']>[] = [];
  res.writeHead = function (this: NodeResponseLike, status: number, ...rest: unknown[]) {
    res.statusCode = status;
    const headers = rest.find((arg) => typeof arg === 'object' && arg !== null) as
      | Record<string, string | number | readonly string[] | undefined>
      | string[]
      | undefined;
    if (typeof rest[0] === 'string') res.statusMessage = rest[0];
    if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(headers[i]!, headers[i + 1]!);
    else if (headers) for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
    return this;
  } as NodeResponseLike['writeHead'];
  res.write = ((...args: Parameters<NodeResponseLike['write']>) => {
    writes.push(args);
    return true;
  }) as NodeResponseLike['write'];
  res.end = function (this: NodeResponseLike, ...args: Parameters<NodeResponseLike['end']>) {
    res.writeHead = writeHead;
    res.write = write;
    res.end = end;
    void finish(res.statusCode)
      .catch((error: unknown) => console.error('[nostale] adding version headers failed', error))
      .finally(() => {
        for (const chunk of writes) write.apply(res, chunk);
        end.apply(res, args);
      });
    return this;
  } as NodeResponseLike['end'];
}

/**
 * Express middleware over a `Versioning`: put `feed` or `mutation` before the route's handler,
 * which stays an ordinary Express handler. Turn off Express's body-hash ETags
 * (`app.set('etag', false)`): they answer 304 on their own terms. `options.namespace` names the
 * request's user, sent as `X-Cache-Namespace`.
 *
 * @example
 * const nx = expressVersioning(versioning, { namespace: (req) => (req as AppRequest).user?.id ?? '' });
 * app.get('/api/users/:user/events', nx.feed('calendar:{user}'), listEvents);
 * app.delete('/api/users/:user/events/:id', nx.mutation('calendar:{user}'), deleteEvent);
 * app.get('/api/users/:user/version', nx.version('calendar:{user}'));
 */
export function expressVersioning(versioning: Versioning, options?: AdapterOptions<ExpressRequestLike>) {
  const ownerOf = (req: ExpressRequestLike) => namespaceHeaders(versioning.namespaceHeader, options, req);
  return {
    /** Reads the version before the handler, answers 304 itself, and stamps the 200. */
    feed(scope: ScopeSpec<ExpressRequestLike>): ExpressMiddleware {
      return (req, res, next) => {
        (async () => {
          const [name] = resolveScopes(scope, req, paramsOf(req));
          const owner = await ownerOf(req);
          const plan = await versioning.planRead(name!, {
            url: req.originalUrl,
            ifNoneMatch: header(req, 'if-none-match'),
            accept: header(req, 'accept'),
            acceptLanguage: header(req, 'accept-language'),
          });
          expose(versioning, res, owner);
          if (plan.kind === 'versioned') {
            // Set now, so Express's res.send sees an ETag and does not hash the body for one.
            setAll(res, plan.headers);
            if (plan.notModified) {
              res.statusCode = 304;
              res.end();
              return;
            }
          }
          beforeHeaders(res, () => {
            const { set, remove } = finishRead(versioning, plan, res.statusCode);
            for (const name of remove) res.removeHeader(name);
            if (plan.kind === 'versioned' && (res.statusCode < 200 || res.statusCode > 299) && res.statusCode !== 304) {
              for (const name of ['ETag', 'Cache-Control']) res.removeHeader(name);
            }
            setAll(res, set);
          });
          next();
        })().catch(next);
      };
    },

    /** Bumps after the handler's 2xx response (its write committed), and puts the tokens on it. */
    mutation(scope: ScopeSpec<ExpressRequestLike>): ExpressMiddleware {
      return (req, res, next) => {
        const scopes = scopesOrNext(scope, req, next);
        if (!scopes) return;
        (async () => {
          const owner = await ownerOf(req);
          deferResponse(res, async (status) => {
            const ok = status >= 200 && status < 300;
            const { headers } = ok ? await versioning.afterWrite(scopes) : await versioning.afterFailedWrite(scopes);
            res.removeHeader(versioning.versionHeader);
            res.removeHeader(versioning.versionsHeader);
            setAll(res, headers);
            expose(versioning, res, owner);
          });
          next();
        })().catch(next);
      };
    },

    /** Server-sent events of `{scope, version}`: current versions on every connect, then each bump. */
    push(scope: ScopeSpec<ExpressRequestLike>, feed: VersionFeed, pushOptions?: PushOptions): ExpressMiddleware {
      return (req, res, next) => {
        const scopes = scopesOrNext(scope, req, next);
        if (!scopes) return;
        const closed = new AbortController();
        res.on('close', () => closed.abort());
        (async () => {
          setAll(res, PUSH_HEADERS);
          expose(versioning, res, await ownerOf(req));
          res.statusCode = 200;
          const reader = versionEvents(versioning, feed, scopes, closed.signal, pushOptions).getReader();
          for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) res.write(chunk.value);
          res.end();
        })().catch(next);
      };
    },

    /** The version endpoint, a complete handler. */
    version(scope: ScopeSpec<ExpressRequestLike>): ExpressMiddleware {
      return (req, res, next) => {
        (async () => {
          const [name] = resolveScopes(scope, req, paramsOf(req));
          const owner = await ownerOf(req);
          const answer = await versioning.versionAnswer(name!);
          setAll(res, { ...answer.headers, 'Content-Type': 'application/json' });
          expose(versioning, res, owner);
          res.statusCode = answer.status;
          res.end(JSON.stringify(answer.body));
        })().catch(next);
      };
    },
  };
}

/** The request's scopes, or `undefined` after handing a template error to Express's `next`. */
function scopesOrNext(
  scope: ScopeSpec<ExpressRequestLike>,
  req: ExpressRequestLike,
  next: (error?: unknown) => void,
): string[] | undefined {
  try {
    return resolveScopes(scope, req, paramsOf(req));
  } catch (error) {
    next(error);
    return undefined;
  }
}
