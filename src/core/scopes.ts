import type { ScopeRecord } from '../types.js';

/** Drawn once per page: what makes this page's marks unlike any other tab's or load's. */
const page = Math.random().toString(36).slice(2) + Date.now().toString(36);
let drawn = 0;

/**
 * A fresh mark: unique across tabs, since tabs share persisted entries and broadcast marks. A
 * counter after the page's random part: a random number and a clock reading per mark cost a
 * microsecond of every invalidation.
 */
export const newMark = (): string => `${page}.${(drawn++).toString(36)}`;

const numeric = /^\d+$/;

/**
 * Order of two tokens: numeric tokens compare as numbers (of any length), opaque ones are only
 * equal or different, like a missing one (`undefined`). Returns -1 (a older), 0, 1 (a newer) or NaN
 * (different, order unknown).
 */
export function compareTokens(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (!numeric.test(a ?? '') || !numeric.test(b ?? '')) return NaN;
  const x = BigInt(a!);
  const y = BigInt(b!);
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface ScopeState extends ScopeRecord {
  /** Client time of the last version check that found the token unchanged. */
  verifiedAt: number;
  /**
   * The greatest numeric token seen, kept when an opaque token replaces it: without it, an opaque
   * token in between would let an older numeric one pass as new.
   */
  high?: bigint;
  /**
   * The mark a counter reset gave the scope, while it is still the scope's: an answer sent before
   * the reset may carry the very token the reset restarted at, for other data.
   */
  resetMark?: string;
}

/** What to do with a response, given what it says of its scope's version. */
export type Verdict = 'current' | 'adopted' | 'late';

/** Why a scope changed; `store` and `remote` come from elsewhere and are never reported back. */
export type ScopeOrigin = 'response' | 'endpoint' | 'mutation' | 'local' | 'remote' | 'store';

/** The record of a state, as the store, events and other tabs see it. */
export const recordOf = ({ namespace, scope, token, mark, local }: ScopeState): ScopeRecord => ({ namespace, scope, token, mark, local });

/** Scope states per namespace. Every operation is O(1); nothing here scans entries. */
export function scopes(onChange: (state: ScopeState, previous: string | undefined, origin: ScopeOrigin) => void) {
  const byNamespace = new Map<string, Map<string, ScopeState>>();

  function get(namespace: string, scope: string): ScopeState {
    let states = byNamespace.get(namespace);
    if (!states) byNamespace.set(namespace, (states = new Map()));
    let state = states.get(scope);
    if (!state) states.set(scope, (state = { namespace, scope, mark: newMark(), local: false, verifiedAt: 0 }));
    return state;
  }

  /**
   * Order of `token` against what the scope knows: 0 same, 1 newer, -1 older, NaN unknown. A
   * numeric token is measured against the greatest numeric token seen, whatever came since.
   */
  function order(state: ScopeState, token: string | undefined): number {
    if (token === state.token) return 0;
    if (state.high !== undefined && token !== undefined && numeric.test(token)) return BigInt(token) > state.high ? 1 : -1;
    return compareTokens(token, state.token);
  }

  /** A new mark (and token), reported: every entry of the scope is now stale. */
  function move(state: ScopeState, token: string | undefined, local: boolean, origin: ScopeOrigin, mark = newMark()) {
    const previous = state.token;
    Object.assign(state, { token, mark, local, verifiedAt: 0 });
    if (token !== undefined && numeric.test(token)) state.high = BigInt(token);
    onChange(state, previous, origin);
  }

  /**
   * Learns a token from a mutation answer or a version endpoint, which speak for the present:
   * adopted unless it is not newer than what we know.
   */
  function learn(state: ScopeState, token: string, origin: ScopeOrigin): boolean {
    if (order(state, token) <= 0) return false;
    move(state, token, false, origin);
    return true;
  }

  return {
    get,
    order,
    learn,
    all: (namespace: string): ScopeState[] => [...(byNamespace.get(namespace)?.values() ?? [])],

    /** Replaces what we know with a record from storage or another tab. */
    restore(record: ScopeRecord, origin: ScopeOrigin): void {
      const state = get(record.namespace, record.scope);
      if (state.mark === record.mark) return;
      const lower = order(state, record.token) < 0;
      // The record's own numeric token is the reference from now on, even if lower: it won elsewhere.
      state.high = undefined;
      move(state, record.token, record.local, origin, record.mark);
      // Lower: another tab saw the counter reset, and what we sent before it proves nothing.
      if (lower) state.resetMark = state.mark;
    },

    /**
     * The server lost its counter (its version endpoint confirmed a lower token): the lower token
     * is the reference from now on, and every entry of the scope is retired with the old mark.
     */
    reset(state: ScopeState, token: string): void {
      state.high = undefined;
      move(state, token, false, 'endpoint');
      state.resetMark = state.mark;
    },

    /** Local invalidation: every entry of the scope becomes stale. */
    bump: (state: ScopeState, origin: ScopeOrigin): void => move(state, state.token, true, origin),

    /**
     * Judges a read response sent while the scope had `markAtSend`.
     * - `current`: consistent with what we know; store it under the current mark.
     * - `adopted`: it carries a newer token, now the scope's; store it under the new mark.
     * - `late`: it may predate something we already know (an older token, or a change made while
     *   it was in flight); neither store it nor serve it.
     */
    judge(state: ScopeState, markAtSend: string, token: string | undefined): Verdict {
      const o = order(state, token);
      if (o < 0) return 'late';
      // Invalidated while in flight (here or in another tab): the answer may predate what the
      // invalidation was for, whatever token it carries.
      // Likewise across a counter reset: the same token may have named other data before it.
      if (state.mark !== markAtSend && (state.local || state.resetMark === state.mark)) return 'late';
      if (state.mark === markAtSend || o > 0) {
        if (o === 0 || token === undefined) return 'current';
        // Newer, or a different token on a request sent after everything we know: every change counts.
        move(state, token, false, 'response');
        return 'adopted';
      }
      // The scope changed in flight. Same token, and no local invalidation since we learned it:
      // the server answered from the version we now hold.
      return o === 0 && !state.local && token !== undefined ? 'current' : 'late';
    },
  };
}

export type Scopes = ReturnType<typeof scopes>;
