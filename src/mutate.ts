/**
 * `nostale/mutate`: optimistic mutations over a client's overlays, kept out of the core bundle.
 *
 * A mutation layers its optimistic transform over a scope at once, sends the request, and then
 * either commits (the scope moves to a new version, so nothing cached before the write can be
 * served again) or rolls back exactly its own layer. Nothing here scans cached entries.
 */
import type { Client } from './client.js';
import { httpError, NostaleError, timeoutError } from './core/errors.js';
import { jsonOrText, notify, wait } from './core/util.js';
import { parseVersionList } from './server/versionList.js';

/** A transform over decoded data, as `client.overlay` takes it. */
export type Transform = (data: unknown, url: string) => unknown;

/** A request described as data; sent through `client.fetch`, so it also invalidates its URL. */
export interface MutationRequest {
  url: string;
  method: string;
  /** A plain object or array is sent as JSON (with `Content-Type: application/json`). */
  body?: BodyInit | Record<string, unknown> | unknown[] | null;
  headers?: HeadersInit;
  /**
   * Whether cookies go with the request.
   *
   * @default the client's `credentials`
   * @example
   * ```ts
   * client.mutate({ scope, request: { url, method: 'DELETE', credentials: 'include' } });
   * ```
   */
  credentials?: RequestCredentials;
}

export interface MutationOptions {
  /** The scope whose cached data the mutation changes (e.g. `calendar:alice`). */
  scope: string;
  /**
   * What to send: a request description, or a function returning the `Response` (for requests
   * `client.fetch` should not see). The function gets a signal that aborts on `timeout`.
   */
  request: MutationRequest | ((signal: AbortSignal) => Response | Promise<Response>);
  /** Applied at once to every cached entry of the scope as `get` returns it; see `removeItem`. */
  optimistic?: Transform;
  /**
   * Idempotency key: while a mutation with this key is pending, calling `mutate` again with the
   * same key returns the same promise and sends nothing. DELETE requests described as data default
   * to `DELETE <url>`; other requests are only deduplicated when given a key.
   *
   * @example
   * ```ts
   * client.mutate({ scope, key: 'delete:work-item-42', request: { url, method: 'DELETE' } });
   * ```
   */
  key?: string;
  /**
   * Sent as the `Idempotency-Key` header, which lets the client send the write again after a
   * network error, a 5xx or a 429 (the client's `retry` policy): a server honouring the header
   * applies it once. Also the dedupe `key` when none is given. Requests described as data only; a
   * request function sets the header itself.
   *
   * @default none (the write is sent once)
   * @example
   * ```ts
   * client.mutate({ scope, idempotencyKey: crypto.randomUUID(), request: { url, method: 'POST', body } });
   * ```
   */
  idempotencyKey?: string;
  /**
   * A 404 means the thing is already gone: success for a delete. Default: true for DELETE
   * requests described as data, false otherwise.
   */
  treatNotFoundAsSuccess?: boolean;
  /** Give up (and roll back) after this many ms. Default: the `withMutations` option (30 s). 0 disables. */
  timeout?: number;
  /** Told how this mutation ended, after the events of `mutate.subscribe`. */
  onSettled?: (outcome: MutationOutcome) => void;
}

/** What a committed mutation resolves with. */
export interface MutationResult<T = unknown> {
  status: number;
  /** The scope's version token the server sent, if any. */
  version: string | undefined;
  /** The decoded body: JSON when it parses, text otherwise, `undefined` when empty. */
  data: T | undefined;
}

export interface PendingMutation {
  id: number;
  key: string | undefined;
  scope: string;
  /** `Date.now()` when the mutation started. */
  startedAt: number;
}

export type MutationOutcome =
  | { type: 'committed'; mutation: PendingMutation; result: MutationResult }
  | { type: 'rolled-back'; mutation: PendingMutation; error: MutationError };

export type MutationEvent = { type: 'pending'; mutation: PendingMutation } | MutationOutcome;

export interface Mutate {
  <T = unknown>(options: MutationOptions): Promise<MutationResult<T>>;
  /** Mutations sent and not settled yet. */
  pending(): PendingMutation[];
  /** Every mutation reports `pending`, then `committed` or `rolled-back`. Returns the unsubscribe function. */
  subscribe(listener: (event: MutationEvent) => void): () => void;
}

export interface MutationsOptions {
  /**
   * Response header carrying the scope's new version.
   *
   * @default the client's `versionHeader`
   * @example
   * ```ts
   * withMutations(client, { versionHeader: 'X-Revision' });
   * ```
   */
  versionHeader?: string;
  /** Default `timeout` of every mutation, in ms. Default 30 000, so none stays pending forever; 0 disables. */
  timeout?: number;
  /**
   * Response header listing several scopes' new tokens (`calendar:alice=12, tasks:alice=7`): every
   * scope in it is adopted, also from a request function's response.
   *
   * @default 'X-Cache-Versions'
   * @example
   * ```ts
   * withMutations(client, { versionsHeader: 'X-Revisions' });
   * ```
   */
  versionsHeader?: string;
}

/**
 * Why a mutation was rolled back. `status` is the HTTP status when the server answered; `reason`
 * says what happened (`network` and `timeout` are ambiguous: the server may have applied the
 * write, and the next read of the scope will show it if so; `namespace`: the server answered as
 * another user, whose session the tabs share now, see `NamespaceMismatchError`). `cause` is the
 * underlying error.
 */
export class MutationError extends NostaleError {
  override name = 'MutationError';
  declare readonly key: string | undefined;
  declare readonly scope: string;
  declare readonly status: number | undefined;
  declare readonly reason: 'http' | 'network' | 'offline' | 'timeout' | 'namespace';
}

/**
 * Adds `mutate` to a client (in place, so getters such as `namespace` keep working) and returns it.
 * Calling it again on the same client returns it unchanged.
 *
 * @example
 * ```ts
 * import { createClient } from 'nostale';
 * import { removeItem, withMutations } from 'nostale/mutate';
 *
 * const client = withMutations(createClient({ routes }));
 * await client.mutate({
 *   scope: 'calendar:alice',
 *   key: 'delete:work-item-42',
 *   request: { url: '/api/users/alice/events/work-item-42', method: 'DELETE' },
 *   optimistic: removeItem('work-item-42'),
 * });
 * ```
 */
export function withMutations<C extends Client>(client: C, options: MutationsOptions = {}): C & { mutate: Mutate } {
  const augmented = client as C & { mutate?: Mutate };
  if (augmented.mutate) return augmented as C & { mutate: Mutate };
  const header = (options.versionHeader ?? client.versionHeader ?? 'x-cache-version').toLowerCase();
  const listHeader = options.versionsHeader ?? 'x-cache-versions';
  const shared = new Map<string, Promise<MutationResult>>();
  const pending = new Map<number, PendingMutation>();
  const listeners = new Set<(event: MutationEvent) => void>();
  let sequence = 0;

  const emit = (event: MutationEvent, own?: (outcome: MutationOutcome) => void) => {
    // A failing listener must not leave the mutation unsettled for the others.
    notify(listeners, event);
    if (own && event.type !== 'pending') notify([own], event);
  };

  const tokenOf = (scope: string) => client.scopes().find((s) => s.scope === scope)?.token;

  /** Layers of committed mutations waiting for their scope to be read again, by scope. */
  const waiting = new Map<string, (() => void)[]>();
  let stopWaiting: (() => void) | undefined;

  /**
   * Drops a committed mutation's layer once data of the scope can only come from after the commit:
   * at the first store (or network read) of the scope. The commit drew a new scope mark, so
   * older entries are dead and answers still in flight are late; the layer only bridges the gap.
   * One subscription serves every waiting layer, and ends when none is left.
   */
  const releaseAfterCommit = (scope: string, release: () => void) => {
    const list = waiting.get(scope);
    if (list) return void list.push(release);
    waiting.set(scope, [release]);
    stopWaiting ??= client.subscribe((event) => {
      if ((event.type !== 'store' && event.type !== 'miss') || event.scope === undefined) return;
      const releases = waiting.get(event.scope);
      if (!releases) return;
      waiting.delete(event.scope);
      if (!waiting.size) {
        stopWaiting?.();
        stopWaiting = undefined;
      }
      for (const done of releases) done();
    });
  };

  async function run(opts: MutationOptions, mutation: PendingMutation, release: () => void): Promise<MutationResult> {
    const { scope, request } = opts;
    const described = typeof request === 'function' ? undefined : request;
    const url = described?.url ?? '';
    const isDelete = described?.method.toUpperCase() === 'DELETE';
    const namespace = client.namespace;
    const before = tokenOf(scope);
    const timeout = opts.timeout ?? options.timeout ?? 30_000;
    const controller = new AbortController();
    const guard = {
      signal: controller.signal,
      ms: timeout > 0 ? timeout : undefined,
      timedOut: () => timeoutError(url, timeout),
      left: (reason: unknown) => controller.abort(reason),
    };

    const fail = (reason: MutationError['reason'], cause: unknown, status?: number): never => {
      release();
      const message =
        status === undefined ? `Mutation failed (${reason})${url && `: ${url}`}` : `Mutation failed with HTTP ${status}: ${url}`;
      const error = new MutationError(message, { url, key: mutation.key, scope, status, reason }, { cause });
      settle({ type: 'rolled-back', mutation, error });
      throw error;
    };
    const settle = (outcome: MutationOutcome) => {
      pending.delete(mutation.id);
      emit(outcome, opts.onSettled);
    };

    let response: Response;
    let data: unknown;
    try {
      // The timeout holds even when the request function ignores the signal.
      response = await wait(
        typeof request === 'function' ? request(controller.signal) : send(request, controller.signal, opts.idempotencyKey),
        guard,
      );
      data = jsonOrText(await wait(response.text(), guard));
    } catch (cause) {
      if ((cause as Error | undefined)?.name === 'TimeoutError') return fail('timeout', cause);
      // Written as another user (the shared session changed first): alice's data did not change.
      if ((cause as Error | undefined)?.name === 'NamespaceMismatchError') return fail('namespace', cause);
      return fail(globalThis.navigator?.onLine === false ? 'offline' : 'network', cause);
    }

    const notFound = response.status === 404 && (opts.treatNotFoundAsSuccess ?? isDelete);
    if (!response.ok && !notFound) {
      const cause = httpError(response.status, url, data);
      return fail('http', cause, response.status);
    }

    const token = response.headers.get(header) ?? undefined;
    // The other scopes one write moved; the mutation's own scope is judged below.
    const list = client.namespace === namespace && response.headers.get(listHeader);
    if (list) for (const [other, each] of parseVersionList(list)) if (other !== scope) client.setVersion(other, each);
    let releaseNow = false;
    if (client.namespace !== namespace) {
      // The user switched meanwhile: setVersion would speak for the wrong namespace.
      await client.invalidate({ scope, namespace });
    } else if (token !== undefined && client.setVersion(scope, token)) {
      // A new mark drawn now, after the server's commit.
    } else if (token !== undefined && token === tokenOf(scope) && token !== before) {
      // Already learned while in flight (client.fetch adopts it, or a read carried it): also after the commit.
    } else if (notFound && token !== undefined && token === tokenOf(scope)) {
      // Gone before we asked, and the version we hold already says so: nothing cached shows it.
      releaseNow = true;
    } else {
      // No token, or one that did not move: only a local bump keeps pre-write pages from being served.
      await client.invalidate({ scope });
    }
    if (releaseNow) release();
    else releaseAfterCommit(scope, release);
    const result: MutationResult = { status: response.status, version: token, data };
    settle({ type: 'committed', mutation, result });
    return result;
  }

  function send(request: MutationRequest, signal: AbortSignal, idempotencyKey: string | undefined): Promise<Response> {
    const headers = new Headers(request.headers);
    if (idempotencyKey !== undefined) headers.set('idempotency-key', idempotencyKey);
    let body = request.body;
    if (body !== null && body !== undefined && (Array.isArray(body) || Object.getPrototypeOf(body) === Object.prototype)) {
      body = JSON.stringify(body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    return client.fetch(request.url, {
      method: request.method,
      headers,
      body: body as BodyInit | null | undefined,
      signal,
      ...(request.credentials && { credentials: request.credentials }),
    });
  }

  const mutate = (<T>(opts: MutationOptions): Promise<MutationResult<T>> => {
    const request = opts.request;
    const key =
      opts.key ??
      opts.idempotencyKey ??
      (typeof request !== 'function' && request.method.toUpperCase() === 'DELETE' ? `DELETE ${request.url}` : undefined);
    // Idempotent per user: another user's pending mutation with the same key (the same URL) is not this one.
    const id = key === undefined ? undefined : JSON.stringify([client.namespace, key]);
    const existing = id === undefined ? undefined : shared.get(id);
    if (existing) return existing as Promise<MutationResult<T>>;
    const mutation: PendingMutation = { id: ++sequence, key, scope: opts.scope, startedAt: Date.now() };
    const { optimistic } = opts;
    // Applied before anything is awaited, so the caller's next read already sees it. Wrapped so
    // two mutations passing the same function still get a layer each.
    const remove = optimistic && client.overlay(opts.scope, (data, url) => optimistic(data, url));
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        remove?.();
      }
    };
    pending.set(mutation.id, mutation);
    emit({ type: 'pending', mutation });
    const promise = run(opts, mutation, release);
    if (id !== undefined) {
      shared.set(id, promise);
      const forget = () => shared.get(id) === promise && shared.delete(id);
      promise.then(forget, forget);
    }
    return promise as Promise<MutationResult<T>>;
  }) as Mutate;
  mutate.pending = () => [...pending.values()];
  mutate.subscribe = (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return Object.assign(augmented, { mutate });
}

// ---------------------------------------------------------------------------------------------
// List helpers: transforms over cached lists, for `optimistic`.

export interface ListOptions {
  /** Where the array lives when the cached data is an object (`{ items: [...] }`). Default `items`. */
  key?: string;
  /** An item's id. Default: its `id` property. */
  idOf?: (item: unknown) => unknown;
  /**
   * Whether two ids name the same thing. Default {@link sameId}: equal as strings, or one is
   * `<prefix>-<other>`, so `42` matches `work-item-42`.
   *
   * @example
   * ```ts
   * removeItem(42, { sameId: (a, b) => a === b });
   * ```
   */
  sameId?: (a: unknown, b: unknown) => boolean;
}

/**
 * Default id matcher: equal as strings, or one is the other with a `<prefix>-` in front, so a bare
 * primary key (`42`) matches the prefixed ids servers hand out (`work-item-42`). Two different
 * prefixed ids (`work-item-42`, `staff-task-42`) never match each other.
 *
 * @example
 * ```ts
 * sameId('42', 'work-item-42'); // true
 * sameId(42, '42'); // true
 * sameId('142', 'work-item-42'); // false
 * ```
 */
export function sameId(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  const x = String(a);
  const y = String(b);
  if (x === y) return true;
  const [long, short] = x.length > y.length ? [x, y] : [y, x];
  return short !== '' && long.endsWith(`-${short}`);
}

const defaultIdOf = (item: unknown): unknown => (typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined);

/**
 * The array in cached data: the data itself, or the array under `key` of an object. Anything
 * else (another endpoint of the same scope) is not a list.
 */
export function listOf(data: unknown, key = 'items'): unknown[] | undefined {
  if (Array.isArray(data)) return data;
  const inner = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[key] : undefined;
  return Array.isArray(inner) ? inner : undefined;
}

/** Applies `edit` to the list in `data`, never mutating it (it is the cache's memoised copy). */
function editList(data: unknown, options: ListOptions, edit: (items: unknown[]) => unknown[]): unknown {
  const key = options.key ?? 'items';
  const items = listOf(data, key);
  if (!items) return data;
  const edited = edit(items);
  if (edited === items) return data;
  return Array.isArray(data) ? edited : { ...(data as Record<string, unknown>), [key]: edited };
}

/**
 * Hides every item whose id matches `id` (a tombstone while a delete is pending).
 *
 * @example
 * ```ts
 * client.mutate({ scope, request, optimistic: removeItem('work-item-42') });
 * ```
 */
export function removeItem(id: unknown, options: ListOptions = {}): Transform {
  const idOf = options.idOf ?? defaultIdOf;
  const same = options.sameId ?? sameId;
  return (data) =>
    editList(data, options, (items) => {
      const kept = items.filter((item) => !same(idOf(item), id));
      return kept.length === items.length ? items : kept;
    });
}

/**
 * Shallow-merges `patch` into every item whose id matches `id`, or replaces it with `patch(item)`.
 *
 * @example
 * ```ts
 * client.mutate({ scope, request, optimistic: updateItem('work-item-42', { title: 'Renamed' }) });
 * ```
 */
export function updateItem<T extends object = Record<string, unknown>>(
  id: unknown,
  patch: Partial<T> | ((item: T) => T),
  options: ListOptions = {},
): Transform {
  const idOf = options.idOf ?? defaultIdOf;
  const same = options.sameId ?? sameId;
  const apply = typeof patch === 'function' ? patch : (item: T): T => ({ ...item, ...patch });
  return (data) =>
    editList(data, options, (items) => {
      let changed = false;
      const next = items.map((item) => {
        if (!same(idOf(item), id)) return item;
        changed = true;
        return apply(item as T);
      });
      return changed ? next : items;
    });
}

/**
 * Adds `item` to every list of the scope, unless an item with its id is already there (the
 * server's answer may include it before the layer is dropped).
 *
 * @example
 * ```ts
 * client.mutate({ scope, request, optimistic: insertItem({ id: 'tmp-1', title: 'New' }) });
 * ```
 */
export function insertItem(item: unknown, options: ListOptions & { at?: 'start' | 'end' } = {}): Transform {
  const idOf = options.idOf ?? defaultIdOf;
  const same = options.sameId ?? sameId;
  const id = idOf(item);
  return (data) =>
    editList(data, options, (items) => {
      if (id !== undefined && items.some((existing) => same(idOf(existing), id))) return items;
      return options.at === 'start' ? [item, ...items] : [...items, item];
    });
}
