/**
 * What the cache did, in plain words: one `CacheEvent` or `MutationEvent` in, one line out, or
 * nothing when nothing happened (a version check that found the same version, an invalidation
 * of zero entries). Steps of one read (check, miss, store) are said once, by the step that ends
 * it: "served from memory, version checked: unchanged", "fetched and saved".
 */
import type { CacheEvent, Store } from '../../src/index';
import type { MutationEvent } from '../../src/mutate';

export interface Line {
  at: number;
  /** A short category, for styling and tests: `hit`, `304`, `fetch`, `version`, `offline`… */
  kind: string;
  text: string;
  tone: 'good' | 'warn' | 'bad' | 'info';
}

/** A line to add, and maybe a better text once something asynchronous is known (`undefined`: drop it). */
export type Said = Omit<Line, 'at'> & { later?: Promise<string | undefined> };

export interface Describer {
  cache(event: CacheEvent): Said | undefined;
  mutation(event: MutationEvent): Said;
}

/**
 * A describer for one client: it remembers what it needs between events (which keys are in
 * memory, which read a version check belongs to). `store` is the client's, to count the entries
 * a new version made stale and to find when an offline copy was saved.
 */
export function createDescriber(store: Store, titleOf: (id: string) => string | undefined): Describer {
  const state = newState();
  return {
    cache: (event) => describeCacheEvent(event, store, state),
    mutation: (event) => describeMutation(event, titleOf),
  };
}

type State = ReturnType<typeof newState>;

const newState = () => ({
  /** Keys this page stored or read: a hit on one of them came from memory, else from IndexedDB. */
  inMemory: new Set<string>(),
  /** Scopes whose version check passed and whose hit has not been said yet. */
  checked: new Set<string>(),
  /** Keys revalidated with If-None-Match, to tell "changed" from "first time" when stored. */
  conditional: new Set<string>(),
  /** Keys a 304 refreshed: the store that follows is the same copy, already said. */
  refreshed: new Set<string>(),
  /** The key of the last miss of a URL: where an offline read finds its saved copy. */
  missed: new Map<string, string>(),
});

function describeCacheEvent(event: CacheEvent, store: Store, state: State): Said | undefined {
  switch (event.type) {
    case 'revalidate':
      if (event.via === 'version' && event.scope) state.checked.add(event.scope);
      else state.conditional.add(event.key);
      return undefined;
    case 'hit': {
      const where = state.inMemory.has(event.key) ? 'memory' : 'the copy saved in IndexedDB';
      state.inMemory.add(event.key);
      const checked = event.scope !== undefined && state.checked.delete(event.scope);
      return {
        kind: 'hit',
        text: `${month(event.url)}: served from ${where}${checked ? ', version checked: unchanged' : ''}`,
        tone: 'good',
      };
    }
    case 'stale':
      state.inMemory.add(event.key);
      return { kind: 'hit', text: `${month(event.url)}: served a saved copy at once, checking it in the background`, tone: 'good' };
    case 'miss':
      state.missed.set(event.url, event.key);
      return undefined;
    case 'not-modified':
      state.conditional.delete(event.key);
      state.refreshed.add(event.key);
      return { kind: '304', text: `${month(event.url)}: revalidated: unchanged (304), saved copy kept`, tone: 'good' };
    case 'store': {
      state.inMemory.add(event.key);
      if (state.refreshed.delete(event.key)) return undefined;
      const changed = state.conditional.delete(event.key);
      const where = event.persisted ? 'memory and IndexedDB' : 'memory';
      return {
        kind: 'fetch',
        text: `${month(event.url)}: ${changed ? 'changed on the server: fetched again' : 'not saved yet: fetched'} and saved in ${where} (${kb(event.size)})`,
        tone: 'info',
      };
    }
    case 'evict':
      state.inMemory.delete(event.key);
      return { kind: 'evict', text: `${EVICTED[event.reason] ?? 'dropped a saved copy'}: ${month(urlOfKey(event.key))}`, tone: 'warn' };
    case 'invalidate':
      if (!event.count) return undefined;
      return {
        kind: 'invalidate',
        text: `${event.count} saved cop${event.count === 1 ? 'y' : 'ies'} dropped ${BY[event.origin] ?? ''}`.trim(),
        tone: 'warn',
      };
    case 'version':
      return describeVersion(event, store);
    case 'clear':
      state.inMemory.clear();
      return {
        kind: 'clear',
        text: `deleted every saved copy ${event.namespace ? `of ${event.namespace}` : 'of every user'}${event.origin === 'remote' ? ' (done in another tab)' : ''}`,
        tone: 'warn',
      };
    case 'overlay':
      // Said by the mutation lines.
      return undefined;
    case 'late':
      return {
        kind: 'late',
        text: `${month(event.url)}: answer arrived late (${event.version === undefined ? 'sent before a change' : `version ${event.version}, older than the one known`}): discarded${event.retried ? ', asking again' : ''}`,
        tone: 'warn',
      };
    case 'retry':
      return {
        kind: 'retry',
        text: `${month(event.url)}: ${event.error.name === 'HttpError' ? 'the server failed' : 'no answer'}: asking again in ${Math.round(event.delay)} ms (try ${event.attempt})`,
        tone: 'warn',
      };
    case 'version-reset':
      return {
        kind: 'version',
        text: `${event.scope}: the server lost its version counter (${event.previous} → ${event.version}): every saved copy of it dropped`,
        tone: 'warn',
      };
    case 'error':
      return describeError(event, store, state);
    case 'warning':
      return { kind: 'warning', text: `warning: ${event.message}`, tone: 'bad' };
    default:
      return describeUnknown(event);
  }
}

const EVICTED: Record<string, string> = {
  lru: 'dropped the least recently used saved copy',
  expired: 'dropped an expired saved copy',
  version: 'dropped a saved copy of an old version',
  corrupt: 'dropped an unreadable saved copy',
};

const BY: Record<string, string> = {
  local: 'by this tab',
  remote: 'by another tab',
  'unsafe-request': 'after a change was sent to the server',
};

const LEARNED: Record<string, string> = {
  mutation: 'after your change',
  remote: 'learned from another tab',
  endpoint: 'found by a version check: the data changed elsewhere',
  response: 'learned from an answer',
  local: 'made stale by hand',
};

function describeVersion(event: Extract<CacheEvent, { type: 'version' }>, store: Store): Said | undefined {
  // Restored from IndexedDB at start, first learned with the first answer, or unchanged: nothing happened.
  if (event.origin === 'store') return undefined;
  if (event.origin !== 'local' && (event.previous === undefined || event.previous === event.version)) return undefined;
  const who = event.scope.replace(/^calendar:(.*)$/, "$1's calendar");
  const head =
    event.origin === 'local'
      ? `${who} ${LEARNED.local}`
      : `${who}: version ${event.previous} → ${event.version} (${LEARNED[event.origin] ?? event.origin})`;
  const stale = countInScope(store, event.record.namespace, event.scope).then((count) =>
    count === undefined ? head : `${head}: ${count} saved month${count === 1 ? '' : 's'} now stale`,
  );
  return { kind: 'version', text: head, tone: 'warn', later: stale };
}

async function countInScope(store: Store, namespace: string, scope: string): Promise<number | undefined> {
  try {
    return (await store.keys({ namespace, where: (entry) => entry.scope === scope })).length;
  } catch {
    return undefined;
  }
}

function describeError(event: Extract<CacheEvent, { type: 'error' }>, store: Store, state: State): Said | undefined {
  if (event.error.name === 'StaleVersionError') {
    return {
      kind: 'late',
      text: `${month(event.url)}: answer arrived late: discarded (older than the version already seen)`,
      tone: 'warn',
    };
  }
  const offline = event.error.name === 'NetworkError' || event.error.name === 'TypeError';
  // A failed version check is said by the read it belongs to.
  if (offline && /\/version(\?|$)/.test(event.url)) return undefined;
  const why = offline ? 'offline' : `the server failed (${statusOf(event.error) ?? 'error'})`;
  const key = state.missed.get(event.url);
  const later = (async () => {
    const entry = key === undefined ? undefined : await Promise.resolve(store.get(key)).catch(() => undefined);
    return entry
      ? `${why}: showing saved data from ${new Date(entry.storedAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })} (${month(event.url)})`
      : `${why}: nothing saved for ${month(event.url)}`;
  })();
  return { kind: offline ? 'offline' : 'error', text: `${why}: ${month(event.url)}`, tone: offline ? 'warn' : 'bad', later };
}

/** An event type this demo does not know yet (the core may add some): said, never dropped. */
function describeUnknown(event: never): Said {
  const { type, ...rest } = event as { type: string } & Record<string, unknown>;
  const facts = Object.entries(rest)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
  return { kind: String(type), text: `${String(type).replace(/-/g, ' ')}${facts ? `: ${facts}` : ''}`, tone: 'info' };
}

function describeMutation(event: MutationEvent, titleOf: (id: string) => string | undefined): Said {
  switch (event.type) {
    case 'pending': {
      const key = event.mutation.key ?? event.mutation.scope;
      const id = key.replace(/^delete:/, '');
      const title = titleOf(id);
      return {
        kind: 'mutate',
        text: `${key.startsWith('delete:') ? 'deleting' : 'changing'} ${title ? `“${title}”` : id}: gone from view at once, waiting for the server`,
        tone: 'info',
      };
    }
    case 'committed':
      return {
        kind: 'commit',
        text: `the server confirmed (HTTP ${event.result.status}${event.result.version ? `, now version ${event.result.version}` : ''})`,
        tone: 'good',
      };
    case 'rolled-back':
      return {
        kind: 'rollback',
        text: `${event.error.reason === 'http' ? `the server refused (HTTP ${event.error.status ?? '?'})` : event.error.reason === 'timeout' ? 'no answer in time' : 'offline'}: put back`,
        tone: 'bad',
      };
  }
}

/** The month a feed URL's six-week grid shows (`December 2026`), or the path of another URL. */
function month(url: string | undefined): string {
  if (!url) return 'a saved copy';
  try {
    const u = new URL(url);
    const start = Date.parse(u.searchParams.get('start') ?? '');
    const end = Date.parse(u.searchParams.get('end') ?? '');
    if (Number.isNaN(start) || Number.isNaN(end)) return u.pathname.replace(/^.*\/api\//, '');
    return new Date((start + end) / 2).toLocaleDateString(undefined, { month: 'long', year: 'numeric' });
  } catch {
    return url;
  }
}

/** The URL inside a cache key (`["alice","GET","https://…"]`). */
function urlOfKey(key: string): string | undefined {
  try {
    const parts: unknown = JSON.parse(key);
    return Array.isArray(parts) ? parts.find((part): part is string => typeof part === 'string' && /^https?:/.test(part)) : undefined;
  } catch {
    return undefined;
  }
}

function statusOf(error: Error): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

const kb = (bytes: number) => `${Math.max(1, Math.ceil(bytes / 1024))} KB`;
