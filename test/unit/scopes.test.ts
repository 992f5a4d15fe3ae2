/** `judge` and `learn` on their own: what a response's token does to what the client knows of its scope. */
import { describe, expect, it } from 'vitest';
import { type ScopeOrigin, type ScopeState, scopes } from '../../src/core/scopes.js';

function setup() {
  const changes: { scope: string; token: string | undefined; previous: string | undefined; origin: ScopeOrigin }[] = [];
  const s = scopes((state, previous, origin) => changes.push({ scope: state.scope, token: state.token, previous, origin }));
  const state = s.get('alice', 'cal');
  return { s, state, changes };
}

/** Learns `token` as a mutation answer would, returning the state. */
const knowing = (token: string): { s: ReturnType<typeof scopes>; state: ScopeState } => {
  const { s, state } = setup();
  s.learn(state, token, 'mutation');
  return { s, state };
};

describe('Scopes.judge', () => {
  it('a first answer without a token, or with the token we hold, sent under the current mark is current', () => {
    const { s, state, changes } = setup();
    expect(s.judge(state, state.mark, undefined)).toBe('current');
    const known = knowing('5');
    expect(known.s.judge(known.state, known.state.mark, '5')).toBe('current');
    expect(changes).toEqual([]);
  });

  it('a first token is adopted and draws a new mark, reported as a response change', () => {
    const { s, state, changes } = setup();
    const mark = state.mark;
    expect(s.judge(state, mark, '1')).toBe('adopted');
    expect(state.token).toBe('1');
    expect(state.mark).not.toBe(mark);
    expect(changes).toEqual([{ scope: 'cal', token: '1', previous: undefined, origin: 'response' }]);
  });

  it('a newer numeric token is adopted, even on an answer sent before a token was learned; an older one is late', () => {
    const { s, state } = knowing('10');
    const before = state.mark;
    s.learn(state, '11', 'mutation');
    expect(s.judge(state, before, '12')).toBe('adopted');
    expect(state.token).toBe('12');
    expect(s.judge(state, state.mark, '9')).toBe('late');
    expect(state.token).toBe('12');
  });

  it('an answer sent before a local invalidation is late even with a newer token: it may predate what was invalidated', () => {
    // Found by the system model (test/unit/system.model.test.ts, "invalidation"): adopted, it was
    // served to a read issued after `invalidate({ scope })` had resolved.
    const { s, state } = knowing('10');
    const before = state.mark;
    s.bump(state, 'local');
    expect(s.judge(state, before, '11')).toBe('late');
    expect(state.token).toBe('10');
    expect(s.judge(state, state.mark, '11')).toBe('adopted');
  });

  it('numeric tokens compare as numbers of any length', () => {
    const { s, state } = knowing('99999999999999999999');
    expect(s.judge(state, state.mark, '100000000000000000000')).toBe('adopted');
    expect(s.judge(state, state.mark, '99999999999999999999')).toBe('late');
  });

  it('an answer sent before a local invalidation is late, even with the same token', () => {
    const { s, state } = knowing('3');
    const before = state.mark;
    s.bump(state, 'local');
    expect(s.judge(state, before, '3')).toBe('late');
    expect(s.judge(state, before, undefined)).toBe('late');
  });

  it('an answer sent before a token was learned that carries that token is current: the server answered from it', () => {
    const { s, state } = knowing('3');
    const before = state.mark;
    s.learn(state, '4', 'endpoint');
    expect(s.judge(state, before, '4')).toBe('current');
    expect(s.judge(state, before, '3')).toBe('late');
  });

  it('a different opaque token is adopted on a current request, late on one sent before a change', () => {
    const { s, state } = knowing('abc');
    expect(s.judge(state, state.mark, 'def')).toBe('adopted');
    const before = state.mark;
    s.learn(state, 'ghi', 'mutation');
    expect(s.judge(state, before, 'xyz')).toBe('late');
  });

  it('an opaque token in between does not let an older numeric token in', () => {
    const { s, state } = knowing('12');
    expect(s.judge(state, state.mark, 'abc')).toBe('adopted');
    expect(s.judge(state, state.mark, '11')).toBe('late');
    expect(s.judge(state, state.mark, '12')).toBe('late');
    expect(s.judge(state, state.mark, '13')).toBe('adopted');
  });
});

describe('Scopes.learn and restore', () => {
  it('learn adopts only what is newer or of unknown order, and reports the origin', () => {
    const { s, state, changes } = setup();
    expect(s.learn(state, '2', 'mutation')).toBe(true);
    expect(s.learn(state, '2', 'mutation')).toBe(false);
    expect(s.learn(state, '1', 'endpoint')).toBe(false);
    expect(s.learn(state, '3', 'endpoint')).toBe(true);
    expect(changes.map((c) => [c.token, c.origin])).toEqual([
      ['2', 'mutation'],
      ['3', 'endpoint'],
    ]);
  });

  it("restore takes another tab's record as it is, mark included, and measures later tokens against it", () => {
    const { s, state } = knowing('12');
    s.restore({ namespace: 'alice', scope: 'cal', token: '7', mark: 'from-tab-b', local: false }, 'remote');
    expect(state).toMatchObject({ token: '7', mark: 'from-tab-b' });
    expect(s.judge(state, 'from-tab-b', '7')).toBe('current');
    expect(s.judge(state, 'from-tab-b', '8')).toBe('adopted');
  });
});

describe('marks', () => {
  it('every mark a page draws is new, also across scopes and namespaces', () => {
    const s = scopes(() => undefined);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const state = s.get(`ns${i % 3}`, `scope${i % 7}`);
      seen.add(state.mark);
      s.bump(state, 'local');
      seen.add(state.mark);
    }
    // 21 scopes, each with its first mark, plus one per bump.
    expect(seen.size).toBe(21 + 2000);
  });
});
