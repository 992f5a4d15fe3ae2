/**
 * The fake origin of the system model: per user, a list of items under one scope (`cal`, a
 * numeric version that moves on every change) and one unscoped URL. Every request is held until
 * a command releases it, so answers arrive in any order and late by construction: the origin
 * computes an answer from its state when the request arrives, not when it is released.
 */

/** What every GET answers: who asked, for what, from which state, and which request it was. */
export interface Body {
  ns: string;
  url: string;
  tenant: string | null;
  /**
   * The revision of the data the answer was computed from (scoped URLs: a count of changes to the
   * items that never goes back, unlike the token after a counter reset), or the URL's revision.
   */
  rev: number;
  /** The scope token the answer carried (scoped URLs), as the client saw it. */
  token?: string;
  items: number[];
  /** Which request produced it, to tell answers sent before a change from those sent after. */
  seq: number;
  /** Which tab sent the request. */
  tab: number;
}

export const BASE = 'http://api.test/';
/** The scope's version endpoint (per session, as the route's `versionUrl`): `{"version": "…"}` from the same counter. */
export const VERSION_URL = '/v/cal';
export const USERS = ['alice', 'bob', 'carol'] as const;
/** `/cal/a` and `/cal/b` share the scope `cal`; `/n/1` has none; `/p` is `no-store`. */
export const READ_URLS = ['/cal/a', '/cal/b', '/n/1', '/p'] as const;
export const ITEMS = [1, 2, 3, 4, 5] as const;
export const scoped = (url: string) => url.startsWith('/cal/');

export type Release = 'ok' | 'lagged' | 'malformed' | 'fail' | 'unload' | 'error';

export interface Held {
  seq: number;
  tab: number;
  method: string;
  url: string;
  done: boolean;
  /** When it was answered, on the origin's release counter. */
  releasedAt?: number;
  /** A mutation: the revision of the user's data its answer speaks for. */
  state?: number;
  release(kind: Release): void;
}

/**
 * One state of a user's scoped data: the token the counter gave it, its items, and its revision,
 * which counts changes of the data only (a reset gives the same data a new, lower token).
 */
interface State {
  token: number;
  rev: number;
  items: number[];
}

interface UserState {
  /** The version counter; a reset starts it again at 1 (a flushed store), the data stays. */
  counter: number;
  /** Every state of the data, in order (index 0 a placeholder), so a lagging replica can answer from an older one. */
  states: State[];
  revN: number;
}

const fresh = (): UserState => ({
  counter: 1,
  states: [
    { token: 0, rev: 0, items: [] },
    { token: 1, rev: 1, items: [...ITEMS] },
  ],
  revN: 1,
});

export class Origin {
  readonly users = new Map<string, UserState>(USERS.map((u) => [u, fresh()]));
  readonly held: Held[] = [];
  seq = 0;
  /** Counts releases, to order what a tab learned against when an answer was released. */
  epoch = 0;

  user(ns: string): UserState {
    let state = this.users.get(ns);
    if (!state) this.users.set(ns, (state = fresh()));
    return state;
  }

  /** The index of the user's current state. */
  now(ns: string): number {
    return this.user(ns).states.length - 1;
  }

  current(ns: string): State {
    return this.user(ns).states[this.now(ns)]!;
  }

  items(ns: string): number[] {
    return this.current(ns).items;
  }

  /**
   * The least revision of the data a token can stand for: after a reset one token may name two
   * states, and the reference model must never ask for more than the token proves.
   */
  revOf(ns: string, token: string): number {
    return this.user(ns).states.find((s, i) => i > 0 && String(s.token) === token)?.rev ?? 0;
  }

  /**
   * A token that names two different data revisions: given out before a reset and again after it.
   * The protocol's premise (one token, one state) does not hold for it, and no client can tell the
   * two apart by the token alone.
   */
  reused(ns: string, token: string): boolean {
    return (
      new Set(
        this.user(ns)
          .states.filter((s, i) => i > 0 && String(s.token) === token)
          .map((s) => s.rev),
      ).size > 1
    );
  }

  /** Someone else changed the user's data (another device): the version moves, the client is not told. */
  bump(ns: string, removeItem?: number) {
    const u = this.user(ns);
    const { rev, items } = this.current(ns);
    u.states.push({ token: ++u.counter, rev: rev + 1, items: items.filter((i) => i !== removeItem) });
    u.revN++;
  }

  /** The version store lost its counter (a `FLUSHDB`): it counts again from 1, the data is unchanged. */
  reset(ns: string) {
    const u = this.user(ns);
    u.counter = 1;
    u.states.push({ ...this.current(ns), token: 1 });
  }

  /**
   * The origin. `session` is who the tab is logged in as when the request leaves; a mutation is
   * applied as it arrives (its answer may still be lost), or refused with a 500 when `refuse`.
   */
  handle(tab: number, session: string, request: Request, refuse: boolean): Promise<Response> {
    const url = new URL(request.url).pathname;
    const seq = ++this.seq;
    const u = this.user(session);
    if (url === VERSION_URL) {
      // Answered at once, from the primary (never a replica): its word is what a reset is judged on.
      return Promise.resolve(
        new Response(JSON.stringify({ version: String(u.counter) }), { headers: { 'content-type': 'application/json' } }),
      );
    }
    let answer: (lagged: boolean) => Response;
    let state: number | undefined;
    if (request.method === 'DELETE') {
      const id = Number(url.split('/').pop());
      if (refuse) {
        answer = () => new Response('{"error":"refused"}', { status: 500, headers: { 'content-type': 'application/json' } });
      } else {
        const found = this.items(session).includes(id);
        if (found) this.bump(session, id);
        state = this.current(session).rev;
        const version = String(u.counter);
        answer = () => new Response(null, { status: found ? 204 : 404, headers: { 'x-cache-version': version } });
      }
    } else {
      const tenant = request.headers.get('x-tenant');
      const make = (lagged: boolean) => {
        // A read replica one version behind: an older token with its older data.
        const index = scoped(url) && lagged ? Math.max(1, this.now(session) - 1) : this.now(session);
        const { token, rev, items } = u.states[index]!;
        const body: Body = {
          ns: session,
          url,
          tenant,
          rev: scoped(url) ? rev : u.revN,
          ...(scoped(url) && { token: String(token) }),
          items: [...items],
          seq,
          tab,
        };
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'cache-control': url === '/p' ? 'no-store' : 'max-age=60',
          vary: 'X-Tenant',
        };
        if (scoped(url)) headers['x-cache-version'] = String(token);
        return () => new Response(JSON.stringify(body), { headers });
      };
      const now = make(false);
      const behind = make(true);
      answer = (lagged) => (lagged ? behind() : now());
    }
    return new Promise<Response>((resolve, reject) => {
      const held: Held = {
        seq,
        tab,
        method: request.method,
        url,
        done: false,
        ...(state !== undefined && { state }),
        release: (kind) => {
          if (held.done) return;
          held.done = true;
          held.releasedAt = ++this.epoch;
          if (kind === 'fail') return reject(new TypeError('Failed to fetch'));
          if (kind === 'unload') return reject(new DOMException('The page was unloaded', 'AbortError'));
          if (kind === 'error')
            return resolve(new Response('<h1>Bad gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } }));
          if (kind === 'malformed' && request.method === 'GET') {
            return resolve(new Response('{"ns": "', { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' } }));
          }
          resolve(answer(kind === 'lagged'));
        },
      };
      const signal = request.signal;
      signal.addEventListener('abort', () => {
        held.done = true;
        reject(signal.reason);
      });
      this.held.push(held);
    });
  }

  open(): Held[] {
    return this.held.filter((h) => !h.done);
  }
}
