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
  /** The scope version the answer was computed from (scoped URLs), or the URL's revision. */
  rev: number;
  items: number[];
  /** Which request produced it, to tell answers sent before a change from those sent after. */
  seq: number;
  /** Which tab sent the request. */
  tab: number;
}

export const BASE = 'http://api.test/';
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
  release(kind: Release): void;
}

interface UserState {
  version: number;
  /** Items at each version, so a lagging replica can answer from an older one. */
  history: number[][];
  revN: number;
}

export class Origin {
  readonly users = new Map<string, UserState>(USERS.map((u) => [u, { version: 1, history: [[], [...ITEMS]], revN: 1 }]));
  readonly held: Held[] = [];
  seq = 0;
  /** Counts releases, to order what a tab learned against when an answer was released. */
  epoch = 0;

  user(ns: string): UserState {
    let state = this.users.get(ns);
    if (!state) this.users.set(ns, (state = { version: 1, history: [[], [...ITEMS]], revN: 1 }));
    return state;
  }

  items(ns: string): number[] {
    const u = this.user(ns);
    return u.history[u.version]!;
  }

  /** Someone else changed the user's data (another device): the version moves, the client is not told. */
  bump(ns: string, removeItem?: number) {
    const u = this.user(ns);
    u.history.push(this.items(ns).filter((i) => i !== removeItem));
    u.version++;
    u.revN++;
  }

  /**
   * The origin. `session` is who the tab is logged in as when the request leaves; a mutation is
   * applied as it arrives (its answer may still be lost), or refused with a 500 when `refuse`.
   */
  handle(tab: number, session: string, request: Request, refuse: boolean): Promise<Response> {
    const url = new URL(request.url).pathname;
    const seq = ++this.seq;
    const u = this.user(session);
    let answer: (lagged: boolean) => Response;
    if (request.method === 'DELETE') {
      const id = Number(url.split('/').pop());
      if (refuse) {
        answer = () => new Response('{"error":"refused"}', { status: 500, headers: { 'content-type': 'application/json' } });
      } else {
        const found = this.items(session).includes(id);
        if (found) this.bump(session, id);
        const version = String(u.version);
        answer = () => new Response(null, { status: found ? 204 : 404, headers: { 'x-cache-version': version } });
      }
    } else {
      const tenant = request.headers.get('x-tenant');
      const make = (lagged: boolean) => {
        // A read replica one version behind: an older token with its older data.
        const version = scoped(url) && lagged ? Math.max(1, u.version - 1) : u.version;
        const body: Body = {
          ns: session,
          url,
          tenant,
          rev: scoped(url) ? version : u.revN,
          items: [...u.history[version]!],
          seq,
          tab,
        };
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'cache-control': url === '/p' ? 'no-store' : 'max-age=60',
          vary: 'X-Tenant',
        };
        if (scoped(url)) headers['x-cache-version'] = String(version);
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
