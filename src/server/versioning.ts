import { ConfigurationError } from './configurationError.js';
import { feedEtag, matchesIfNoneMatch } from './etag.js';
import { formatVersionList } from './versionList.js';
import type { VersionStore } from './versionStore.js';
import { VersionStoreError } from './versionStoreError.js';

export interface VersioningOptions {
  /**
   * Where tokens live: `redisVersionStore(client)` in production, `memoryVersionStore()` in
   * development (one process only).
   * @example createVersioning({ store: redisVersionStore(redis), build: process.env.GIT_SHA! })
   */
  store: VersionStore;
  /**
   * Identifies the deployed code, part of every ETag: a deploy that changes a response's shape
   * must not answer 304 to a copy made by the previous code. Required, because there is no safe
   * guess; a commit id or release number is ideal.
   * @example build: process.env.GIT_SHA ?? 'dev'
   */
  build: string;
  /**
   * Response header carrying a scope's token; the client's `versionHeader` must match.
   * @default 'X-Cache-Version'
   * @example versionHeader: 'X-Data-Version'
   */
  versionHeader?: string;
  /**
   * Header carrying every scope a mutation moved, as `scope=token, …`.
   * @default 'X-Cache-Versions'
   * @example versionsHeader: 'X-Data-Versions'
   */
  versionsHeader?: string;
  /**
   * Header naming the user an answer belongs to, sent by the adapters given a `namespace`
   * function; the client's `namespaceHeader` must match.
   * @default 'X-Cache-Namespace'
   * @example namespaceHeader: 'X-User'
   */
  namespaceHeader?: string;
  /**
   * Seconds the client may keep serving a feed from its cache while the server fails
   * (`stale-if-error`, RFC 5861). 0 leaves the directive out.
   * @default 86400
   * @example staleIfError: 3600
   */
  staleIfError?: number;
  /**
   * Longest wait for the store, in ms, before a request goes on degraded: a Redis that hangs
   * must not hang the API.
   * @default 1000
   * @example storeTimeout: 250
   */
  storeTimeout?: number;
  /**
   * Where store failures are reported. Each failure is reported; requests still succeed, degraded.
   * @default (message, error) => console.error(message, error)
   * @example log: (message, error) => logger.error({ err: error }, message)
   */
  log?: (message: string, error: unknown) => void;
}

/** What a read needs from the request to compute its tag. */
export interface ReadRequestInfo {
  /** Path and query, e.g. `/api/users/alice/events?start=2026-01-01`. */
  url: string;
  ifNoneMatch: string | null | undefined;
  accept: string | null | undefined;
  acceptLanguage: string | null | undefined;
}

/** How to answer one feed read, decided before the handler touches the data. */
export type ReadPlan =
  | {
      kind: 'versioned';
      version: string;
      etag: string;
      /** The client's copy is current: answer 304 with `headers`, without running the handler. */
      notModified: boolean;
      /** Set on the 2xx or 304. */
      headers: Record<string, string>;
    }
  | {
      /** The store failed: serve the data uncacheable, with neither tag nor version. */
      kind: 'degraded';
      headers: Record<string, string>;
      /** Must not be on the response. */
      remove: string[];
    };

/** Headers for a mutation's response; `tokens` is empty when the store failed or nothing moved. */
export interface MutationHeaders {
  headers: Record<string, string>;
  tokens: Map<string, string>;
}

/** The framework-independent half: adapters (Web, Express, Fastify) put these on responses. */
export interface Versioning {
  readonly versionHeader: string;
  readonly versionsHeader: string;
  /** The header naming whose answer it is (`X-Cache-Namespace`), for the adapters. */
  readonly namespaceHeader: string;
  /** For feeds: reads the version (before the data), computes the tag, compares it. Never throws for a store failure. */
  planRead(scope: string, request: ReadRequestInfo): Promise<ReadPlan>;
  /** For successful writes, after they committed: bumps every scope. Never throws for a store failure. */
  afterWrite(scopes: readonly string[]): Promise<MutationHeaders>;
  /** For failed writes: the current tokens, so the client learns them; nothing moves. */
  afterFailedWrite(scopes: readonly string[]): Promise<MutationHeaders>;
  /** The version endpoint's answer: `{ status: 200, body: { version } }`, or 503 when the store failed. */
  versionAnswer(scope: string): Promise<{ status: number; headers: Record<string, string>; body: { version: string } | { error: string } }>;
  /** The scope's current token; rejects with `VersionStoreError` (logged) when the store fails. */
  current(scope: string): Promise<string>;
  /**
   * Bumps scopes from outside a request: jobs, queue workers, scripts, admin tools. Rejects with
   * `VersionStoreError` when the store fails, since the caller must retry or alert.
   * @example await versioning.touch(`calendar:${event.owner}`)
   */
  touch(...scopes: string[]): Promise<string[]>;
  /** `Access-Control-Expose-Headers` merged with what a response already exposes. */
  expose(existing: string | null | undefined): string;
}

export function createVersioning(options: VersioningOptions): Versioning {
  const { store, build } = options;
  if (!store || typeof store.read !== 'function' || typeof store.bump !== 'function') {
    throw new ConfigurationError('createVersioning needs a store: redisVersionStore(client) or memoryVersionStore()', 'store');
  }
  if (typeof build !== 'string' || build === '') {
    throw new ConfigurationError(
      'createVersioning needs a build id (e.g. the commit): ETags must change when a deploy changes responses',
      'build',
    );
  }
  const versionHeader = options.versionHeader ?? 'X-Cache-Version';
  const versionsHeader = options.versionsHeader ?? 'X-Cache-Versions';
  const namespaceHeader = options.namespaceHeader ?? 'X-Cache-Namespace';
  const staleIfError = options.staleIfError ?? 86_400;
  if (!Number.isInteger(staleIfError) || staleIfError < 0)
    throw new ConfigurationError('staleIfError must be a whole number of seconds ≥ 0', 'staleIfError');
  const timeout = options.storeTimeout ?? 1000;
  if (!(timeout > 0)) throw new ConfigurationError('storeTimeout must be a positive number of ms', 'storeTimeout');
  const log = options.log ?? ((message: string, error: unknown) => console.error(message, error));
  const feedCacheControl = `private, no-cache${staleIfError ? `, stale-if-error=${staleIfError}` : ''}`;
  const exposed = ['ETag', versionHeader, versionsHeader];

  function expose(existing: string | null | undefined): string {
    const names = (existing ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const lower = new Set(names.map((name) => name.toLowerCase()));
    if (lower.has('*')) return names.join(', ');
    return [...names, ...exposed.filter((name) => !lower.has(name.toLowerCase()))].join(', ');
  }

  function withTimeout<T>(scope: string, work: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new VersionStoreError(`Version store took over ${timeout} ms for scope "${scope}"`, scope)), timeout);
    });
    return Promise.race([Promise.resolve().then(work), expired]).finally(() => clearTimeout(timer));
  }

  const read = (scope: string) => withTimeout(scope, () => store.read(scope));
  const bump = async (scope: string) => {
    const token = await withTimeout(scope, () => store.bump(scope));
    owed.delete(scope);
    return token;
  };

  // Scopes whose write committed while their bump failed. Until they are bumped, the old version
  // still validates the old ETags, and a 304 would bring back what the write removed (even after
  // the client invalidated locally, since it revalidates with the tag it holds). So they are
  // bumped before this process serves them again, and retried every second in the background.
  const owed = new Set<string>();
  let retry: ReturnType<typeof setTimeout> | undefined;
  const settleDebts = async () => {
    retry = undefined;
    for (const scope of [...owed]) await bump(scope).catch(() => undefined);
    if (owed.size) scheduleRetry();
  };
  /** The version readers may see: never one that an owed bump has yet to move past. */
  const current = async (scope: string) => (owed.has(scope) ? bump(scope) : read(scope));
  const scheduleRetry = () => {
    if (retry) return;
    retry = setTimeout(() => void settleDebts(), 1000);
    // A pending retry must not keep a finished process (a script, a test) alive.
    (retry as { unref?: () => void }).unref?.();
  };

  function tokenHeaders(tokens: Map<string, string>): Record<string, string> {
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    const first = tokens.values().next();
    if (!first.done) headers[versionHeader] = first.value;
    if (tokens.size > 1) headers[versionsHeader] = formatVersionList(tokens);
    return headers;
  }

  async function each(scopes: readonly string[], op: (scope: string) => Promise<string>, what: string): Promise<MutationHeaders> {
    const tokens = new Map<string, string>();
    try {
      const results = await Promise.all(scopes.map(op));
      for (const [i, scope] of scopes.entries()) tokens.set(scope, results[i]!);
    } catch (error) {
      log(`[nostale] ${what} of ${scopes.join(', ')} failed; answering without version headers, clients invalidate locally`, error);
      tokens.clear();
    }
    return { headers: tokenHeaders(tokens), tokens };
  }

  return {
    versionHeader,
    namespaceHeader,
    versionsHeader,

    async planRead(scope, request): Promise<ReadPlan> {
      let version: string;
      try {
        version = await current(scope);
      } catch (error) {
        log(`[nostale] reading the version of ${scope} failed; serving ${request.url} uncacheable`, error);
        return { kind: 'degraded', headers: { 'Cache-Control': 'no-store' }, remove: ['ETag', versionHeader] };
      }
      const etag = await feedEtag({
        scope,
        version,
        build,
        url: request.url,
        accept: request.accept ?? '',
        acceptLanguage: request.acceptLanguage ?? '',
      });
      return {
        kind: 'versioned',
        version,
        etag,
        notModified: matchesIfNoneMatch(request.ifNoneMatch, etag),
        headers: { ETag: etag, [versionHeader]: version, 'Cache-Control': feedCacheControl },
      };
    },

    async afterWrite(scopes) {
      const outcome = await each(scopes, bump, 'Bumping the version');
      if (!outcome.tokens.size) {
        for (const scope of scopes) owed.add(scope);
        scheduleRetry();
      }
      return outcome;
    },
    afterFailedWrite: (scopes) => each(scopes, current, 'Reading the version'),

    async versionAnswer(scope) {
      try {
        const version = await current(scope);
        return { status: 200, headers: { 'Cache-Control': 'no-store', [versionHeader]: version }, body: { version } };
      } catch (error) {
        log(`[nostale] reading the version of ${scope} failed; the version endpoint answers 503`, error);
        return { status: 503, headers: { 'Cache-Control': 'no-store' }, body: { error: 'version-store-unavailable' } };
      }
    },

    async current(scope) {
      try {
        return await current(scope);
      } catch (error) {
        log(`[nostale] reading the version of ${scope} failed`, error);
        throw error;
      }
    },

    async touch(...scopes) {
      try {
        return await Promise.all(scopes.map(bump));
      } catch (error) {
        // The caller hears of it, and this process still owes the bumps if the caller gives up.
        for (const scope of scopes) owed.add(scope);
        scheduleRetry();
        throw error;
      }
    },

    expose,
  };
}
