import type { Client } from './client.js';
import { compareTokens } from './scopes.js';
import type { Change, ScopeRecord } from './types.js';

/**
 * The part of `BroadcastChannel` that `syncTabs` uses. Pass one to test with a fake, or to run
 * over a polyfill where the browser has no `BroadcastChannel`.
 */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

/** Something `syncTabs` could not do; it carries on without it. */
export interface SyncWarning {
  /** `no-broadcast-channel` (nothing is synced) or `post-failed` (a change did not reach the other tabs). */
  code: 'no-broadcast-channel' | 'post-failed';
  message: string;
}

export interface SyncOptions {
  /**
   * Channel name. Default `'nostale'`. Tabs sync only with tabs that use the same name, so two
   * apps on one origin, or two clients in one app, keep apart by choosing different names.
   */
  name?: string;
  /**
   * The channel to use instead of `new BroadcastChannel(name)`. `stop()` leaves it open: whoever
   * made it closes it.
   */
  channel?: ChannelLike;
  /**
   * Told when syncing is impossible or a change could not be sent; each code is reported once.
   * Default: `console.warn`. Without a channel the tab still works, on its own: it sees other
   * tabs' changes only through its own revalidation.
   */
  onWarning?: (warning: SyncWarning) => void;
}

/**
 * What travels on the channel. The tag names the protocol and its version, so a tab running an
 * older build with another message shape (or anything else on the channel) is ignored instead of
 * misread; `from` lets a client ignore its own messages when one channel instance is shared.
 */
interface Envelope {
  protocol: typeof PROTOCOL;
  from: string;
  change: Change;
}

const PROTOCOL = 'nostale-sync/1';

/**
 * Keeps `client` coherent with the clients of other tabs of the same origin: a scope version this
 * tab learns or bumps, URLs it invalidates and caches it clears are applied to their memory, and
 * theirs to this one's. Returns the function that stops syncing.
 *
 * Changes applied from another tab are reported with `origin: 'remote'` and never forwarded, so
 * nothing echoes. Malformed or foreign messages are ignored.
 */
export function syncTabs(client: Client, options: SyncOptions = {}): () => void {
  const warned = new Set<SyncWarning['code']>();
  const warn = (code: SyncWarning['code'], message: string) => {
    if (warned.has(code)) return;
    warned.add(code);
    (options.onWarning ?? ((w: SyncWarning) => console.warn(`nostale/sync: ${w.message}`)))({ code, message });
  };

  let channel = options.channel;
  const owned = !channel;
  if (!channel) {
    if (typeof BroadcastChannel !== 'function') {
      warn('no-broadcast-channel', 'BroadcastChannel is not available: tabs will not share cache changes.');
      return () => {};
    }
    channel = new BroadcastChannel(options.name ?? 'nostale');
  }
  const port = channel;
  // Per call, not per tab: two clients in one tab each need to hear the other.
  const from = Math.random().toString(36).slice(2) + Date.now().toString(36);

  const post = (change: Change) => {
    const envelope: Envelope = { protocol: PROTOCOL, from, change };
    try {
      port.postMessage(envelope);
    } catch (error) {
      warn('post-failed', `Could not tell other tabs about a cache change: ${String(error)}`);
    }
  };

  const unsubscribe = client.subscribe((event) => {
    // Only what this tab did travels: remote changes came from the channel, and `store` records
    // were loaded from the shared store, which the other tabs read too.
    if (event.type === 'version' && event.origin !== 'remote' && event.origin !== 'store') {
      post({ kind: 'scope', record: event.record });
    } else if (event.type === 'invalidate' && (event.origin === 'local' || event.origin === 'unsafe-request')) {
      const { namespace, urls, prefix, pattern } = event;
      if (urls || prefix !== undefined || pattern !== undefined) post({ kind: 'drop', namespace, urls, prefix, pattern });
    } else if (event.type === 'clear' && event.origin === 'local') {
      post({ kind: 'clear', namespace: event.namespace });
    }
  });

  const onMessage = ({ data }: { data: unknown }) => {
    const change = read(data, from);
    if (!change) return;
    if (change.kind === 'scope' && isOlder(client, change.record)) return;
    client.apply(change);
  };
  port.addEventListener('message', onMessage);

  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    port.removeEventListener('message', onMessage);
    if (owned) port.close();
  };
}

/**
 * A record carrying an older numeric token than the one this client holds comes from a tab that
 * had not yet seen ours. Adopting it would let late answers of that older version be judged
 * current again. A local invalidation is still applied: it says "refetch", whatever its token.
 */
function isOlder(client: Client, record: ScopeRecord): boolean {
  if (record.local || record.token === undefined || record.namespace !== client.namespace) return false;
  const known = client.scopes().find((s) => s.scope === record.scope)?.token;
  return known !== undefined && compareTokens(record.token, known) < 0;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isOptionalString = (value: unknown): value is string | undefined => value === undefined || isString(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/**
 * The change in a message from another client, or undefined when the message is our own or not
 * a well-formed change. Rebuilt field by field, so nothing but the expected fields reaches the client.
 */
function read(data: unknown, self: string): Change | undefined {
  if (!isObject(data) || data.protocol !== PROTOCOL || !isString(data.from) || data.from === self) return undefined;
  const change = data.change;
  if (!isObject(change)) return undefined;
  switch (change.kind) {
    case 'scope': {
      const r = change.record;
      if (!isObject(r) || !isString(r.namespace) || !isString(r.scope) || !isString(r.mark) || r.mark === '') return undefined;
      if (!isOptionalString(r.token) || typeof r.local !== 'boolean') return undefined;
      const record: ScopeRecord = { namespace: r.namespace, scope: r.scope, mark: r.mark, local: r.local };
      if (r.token !== undefined) record.token = r.token;
      return { kind: 'scope', record };
    }
    case 'drop': {
      const { namespace, urls, prefix, pattern } = change;
      if (!isString(namespace) || !isOptionalString(prefix) || !isOptionalString(pattern)) return undefined;
      if (urls !== undefined && !isStrings(urls)) return undefined;
      if (urls === undefined && prefix === undefined && pattern === undefined) return undefined;
      const drop: Extract<Change, { kind: 'drop' }> = { kind: 'drop', namespace };
      if (urls !== undefined) drop.urls = [...urls];
      if (prefix !== undefined) drop.prefix = prefix;
      if (pattern !== undefined) drop.pattern = pattern;
      return drop;
    }
    case 'clear':
      if (!isOptionalString(change.namespace)) return undefined;
      return change.namespace === undefined ? { kind: 'clear' } : { kind: 'clear', namespace: change.namespace };
    default:
      return undefined;
  }
}
