import type { Client } from './client.js';
import { compareTokens } from './core/scopes.js';
import { once } from './core/util.js';
import { synced } from './revalidate/synced.js';
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
  /** What happened, for a log. */
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
  /**
   * Whether this tab follows the namespace switches of the other tabs, and tells them its own.
   * Sessions are usually cookies, which every tab of the origin shares: once one tab logs in as
   * another user and switches its client's namespace, the requests of a tab still on the old
   * namespace go out with the new user's cookie, and their answers would be filed under the old
   * user. So by default a tab switches when another does (answers in flight for the old namespace
   * are then not stored), and a tab that starts asks the others whether a switch happened since
   * its page began loading. Set `false` where each tab has its own session (a token kept per tab,
   * sent as a header): the tab then neither follows nor announces switches.
   *
   * @default true
   * @example
   * ```ts
   * syncTabs(client, { followNamespace: false }); // per-tab sessions
   * ```
   */
  followNamespace?: boolean;
  /**
   * Called after this tab followed another tab's namespace switch, with the new namespace and the
   * one it left: the page still shows the old user, whose data it must no longer show.
   *
   * @default none
   * @example
   * ```ts
   * syncTabs(client, { onNamespace: () => location.reload() });
   * ```
   */
  onNamespace?: (namespace: string, previous: string) => void;
}

/**
 * What travels on the channel. The tag names the protocol and its version, so a tab running an
 * older build with another message shape (or anything else on the channel) is ignored instead of
 * misread; `from` lets a client ignore its own messages when one channel instance is shared.
 * Scope changes also carry a Lamport `clock`, and a redone invalidation the id of the one it
 * redoes (`intent`): see {@link syncTabs}.
 */
interface Envelope {
  protocol: typeof PROTOCOL;
  from: string;
  /** Absent in a `hello`: a tab that starts asks the others for their namespace switches. */
  change?: Change;
  clock?: number;
  intent?: string;
  /** Namespace switches: when the sender's namespace was switched (`Date.now()`), here or by the tab it followed. */
  at?: number;
  hello?: true;
}

const PROTOCOL = 'nostale-sync/1';

/** Orders scope changes the same way in every tab: Lamport clock, then sender id. */
type Stamp = readonly [clock: number, from: string];
const before = (a: Stamp, b: Stamp) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** What sync knows of the record a scope holds here. */
interface Held {
  token?: string;
  /** Who made it and when; none for a record from the store or from before sync started. */
  stamp?: Stamp;
  /** This tab's event count when it made the record, if it did. */
  madeAt?: number;
}

/** Invalidation ids remembered per tab; past this, the oldest are forgotten (at worst, one redo too many). */
const MAX_SEEN = 5000;

/**
 * Keeps `client` coherent with the clients of other tabs of the same origin: a scope version this
 * tab learns or bumps, URLs it invalidates and caches it clears are applied to their memory, and
 * theirs to this one's; so are namespace switches (`followNamespace`). Returns the function that
 * stops syncing.
 *
 * Changes applied from another tab are reported with `origin: 'remote'` and never forwarded, so
 * nothing echoes. Malformed or foreign messages are ignored.
 *
 * Two tabs can change one scope at the same moment (both learn its first token as they load, say).
 * Adopting each other's record, their marks would cross over and stay apart, and every entry one
 * tab writes to the shared store would look outdated to the other. So scope records are ordered
 * the same way in every tab, and each tab keeps the greatest it has seen: the newer numeric token
 * first (a tab never forgets a newer version, or answers of the older one would pass as current
 * again), then a Lamport clock stamped on every change, then the sender id.
 *
 * A local invalidation that loses is not dropped: it was made without knowing the record that beat
 * it, and entries fetched under that record may predate whatever it was for. The tab that made the
 * winning record invalidates the scope again, on top of it, unless it had already seen that
 * invalidation when it made its record. The redo wins everywhere and is never redone itself.
 */
export function syncTabs(client: Client, options: SyncOptions = {}): () => void {
  const warned = once();
  const warn = (code: SyncWarning['code'], message: string) =>
    warned(code, () => (options.onWarning ?? ((w: SyncWarning) => console.warn(`nostale/sync: ${w.message}`)))({ code, message }));

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

  /** Lamport clock: above every clock seen or sent. */
  let clock = 0;
  /** Events in this tab, in order: tells whether an invalidation was seen before a record was made. */
  let tick = 0;
  const held = new Map<string, Held>();
  /** When each scope invalidation was first seen here, by scope and invalidation id. */
  const seen = new Map<string, number>();
  /** The invalidation being redone, while `client.invalidate` reports it. */
  let redoing: string | undefined;

  const keyOf = (record: ScopeRecord) => JSON.stringify([record.namespace, record.scope]);
  const heldFor = (record: ScopeRecord): Held | undefined => {
    const known = held.get(keyOf(record));
    if (known || record.namespace !== client.namespace) return known;
    // Learned before syncTabs was called: the client still knows its token.
    const state = client.scopes().find((s) => s.scope === record.scope);
    return state && { token: state.token };
  };
  const see = (record: ScopeRecord, intent: string) => {
    const key = `${keyOf(record)}${intent}`;
    if (seen.has(key)) return seen.get(key)!;
    if (seen.size >= MAX_SEEN) seen.delete(seen.keys().next().value!);
    seen.set(key, ++tick);
    return tick;
  };

  const follow = options.followNamespace !== false;
  /**
   * When this tab's namespace was set, and by whom: its page began loading (the page learned its
   * user then at the earliest), a local switch, or one it followed. The latest switch wins.
   */
  let switched: Stamp = [globalThis.performance?.timeOrigin ?? 0, ''];
  /** Whether a switch stamped `stamp` is newer than what this tab knows; a tie with a page load is not. */
  const newer = (stamp: Stamp) => stamp[0] > switched[0] || (stamp[0] === switched[0] && switched[1] !== '' && stamp[1] > switched[1]);
  const announce = () => post({ protocol: PROTOCOL, from, change: { kind: 'namespace', namespace: client.namespace }, at: switched[0] });

  const post = (envelope: Envelope) => {
    try {
      port.postMessage(envelope);
    } catch (error) {
      warn('post-failed', `Could not tell other tabs about a cache change: ${String(error)}`);
    }
  };

  // The change stream carries only what this tab did: changes applied from the channel, and
  // records loaded from the shared store (which the other tabs read too), are not on it.
  const unsubscribe = client.onChange((change) => {
    if (change.kind === 'scope') {
      const { record } = change;
      const stamp: Stamp = [++clock, from];
      const intent = redoing;
      // A tab's own invalidation, or the one it redoes, is in the record it makes: never redo it.
      if (record.local) see(record, intent ?? `${clock}:${from}`);
      held.set(keyOf(record), { token: record.token, stamp, madeAt: ++tick });
      post({ protocol: PROTOCOL, from, change, clock, ...(intent && { intent }) });
    } else if (change.kind === 'namespace') {
      // Also when it sets the namespace it has: the app says whose session it is as of now (after
      // a logout in a tab already logged out, the others must not follow an older login).
      if (!follow) return;
      // Later than anything this tab knows, even within one millisecond.
      switched = [Math.max(Date.now(), switched[0] + 0.001), from];
      announce();
    } else post({ protocol: PROTOCOL, from, change });
  });

  const onMessage = ({ data }: { data: unknown }) => {
    const message = read(data, from);
    if (!message) return;
    const { change } = message;
    if (!change) {
      // Only a switch is news; what a page learned as it loaded may be older than the cookie.
      if (follow && switched[1]) announce();
      return;
    }
    if (change.kind === 'namespace') {
      const stamp: Stamp = [message.clock, message.sender];
      if (!follow || !newer(stamp)) return;
      switched = stamp;
      const previous = client.namespace;
      // A switch to the namespace this tab has already changes nothing.
      if (change.namespace === previous) return;
      client.apply(change);
      options.onNamespace?.(change.namespace, previous);
      return;
    }
    if (change.kind === 'scope') {
      const { record } = change;
      const stamp: Stamp = [message.clock, message.sender];
      clock = Math.max(clock, stamp[0]);
      const intent = message.intent ?? `${stamp[0]}:${stamp[1]}`;
      const seenAt = record.local ? see(record, intent) : 0;
      const mine = heldFor(record);
      const order = mine ? tokenOrder(record.token, mine.token) : 1;
      if (order < 0 || (!(order > 0) && mine?.stamp && before(stamp, mine.stamp))) {
        // Only the tab that made the winning record redoes a losing invalidation, and only one it
        // had not seen when it made it: other tabs would redo it too, and redoes would be redone.
        if (record.local && mine?.madeAt !== undefined && seenAt > mine.madeAt) {
          redoing = intent;
          try {
            client.invalidate({ scope: record.scope, namespace: record.namespace }).catch(() => undefined);
          } finally {
            redoing = undefined;
          }
        }
        return;
      }
      held.set(keyOf(record), { token: record.token, stamp });
    }
    client.apply(change);
  };
  port.addEventListener('message', onMessage);
  // A switch made while this page loaded, before it listened, reaches it through the answers.
  if (follow) post({ protocol: PROTOCOL, from, hello: true });
  // `nostale/revalidate` elects one polling tab among the tabs synced under this name.
  const tabs = { name: options.name ?? 'nostale', channel: port };
  synced.set(client, tabs);

  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    port.removeEventListener('message', onMessage);
    if (synced.get(client) === tabs) synced.delete(client);
    if (owned) port.close();
  };
}

/**
 * Order of two scope tokens: numeric ones by value, any token after none, NaN when they are
 * different opaque tokens (then the stamps decide).
 */
function tokenOrder(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined || b === undefined) return a === undefined ? -1 : 1;
  return compareTokens(a, b);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isOptionalString = (value: unknown): value is string | undefined => value === undefined || isString(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * A change from another client, or a `hello` (no change); `clock` is a scope change's Lamport
 * clock, or when a namespace was switched; `intent` concerns scope changes only.
 */
interface Message {
  sender: string;
  change?: Change;
  clock: number;
  intent?: string;
}

/**
 * A message from another client, or undefined when it is our own or not well-formed. The change
 * is rebuilt field by field, so nothing but the expected fields reaches the client.
 */
function read(data: unknown, self: string): Message | undefined {
  if (!isObject(data) || data.protocol !== PROTOCOL || !isString(data.from) || data.from === self) return undefined;
  const sender = data.from;
  if (data.hello === true && data.change === undefined) return { sender, clock: 0 };
  const change = parse(data.change);
  if (!change) return undefined;
  if (change.kind === 'namespace') return isTime(data.at) ? { sender, change, clock: data.at } : undefined;
  if (change.kind !== 'scope') return { sender, change, clock: 0 };
  const { clock, intent } = data;
  if (typeof clock !== 'number' || !Number.isSafeInteger(clock) || clock < 0 || !isOptionalString(intent)) return undefined;
  return intent === undefined ? { sender, change, clock } : { sender, change, clock, intent };
}

function parse(change: unknown): Change | undefined {
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
      const { namespace, urls, prefix, pattern, store, at } = change;
      if (!isString(namespace) || !isOptionalString(prefix) || !isOptionalString(pattern)) return undefined;
      if (urls !== undefined && !isStrings(urls)) return undefined;
      if (urls === undefined && prefix === undefined && pattern === undefined) return undefined;
      const drop: Extract<Change, { kind: 'drop' }> = { kind: 'drop', namespace };
      if (urls !== undefined) drop.urls = [...urls];
      if (prefix !== undefined) drop.prefix = prefix;
      if (pattern !== undefined) drop.pattern = pattern;
      // Where the sender removed them from disk, and since when: both, or the drop is redone on disk.
      if (isString(store) && isTime(at)) Object.assign(drop, { store, at });
      return drop;
    }
    case 'namespace':
      return isString(change.namespace) ? { kind: 'namespace', namespace: change.namespace } : undefined;
    case 'clear':
      if (!isOptionalString(change.namespace)) return undefined;
      return change.namespace === undefined ? { kind: 'clear' } : { kind: 'clear', namespace: change.namespace };
    default:
      return undefined;
  }
}
