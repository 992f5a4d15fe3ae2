/**
 * The default clock (src/core/clock.ts): `Date.now()` read once per task, so a memory hit does
 * not pay for the system clock on every call. What users rely on: reads and peeks of one task
 * judge freshness at one instant; the next task sees the time move; fake timers and a `now`
 * option mean exactly what they say; the timer that forgets a reading never keeps Node alive.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { condition } from '../../src/core/entry.js';
import { entry } from './support/entries.js';

const BASE = 'http://localhost/';
const realNow = Date.now;

/** A system clock the test moves by hand, which passes for the engine's own (as a bound function does). */
const system = { now: 1_700_000_000_000 };
const movableNow = (() => system.now).bind(null);

/** The core as it loads when `Date.now` is the engine's: a fresh module instance, so its clock caches. */
async function loadWithMovableClock() {
  Date.now = movableNow;
  vi.resetModules();
  const clock = await import('../../src/core/clock.js');
  const nostale = await import('../../src/index.js');
  return { ...clock, ...nostale };
}

/** The next task: everything queued now (the clock's forgetting timer included) has run. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 5));

const fresh60s = async () => Response.json({ ok: true }, { headers: { 'cache-control': 'max-age=60' } });

afterEach(() => {
  Date.now = realNow;
  vi.useRealTimers();
});

describe('the default clock', () => {
  it('is read once per task: a later read in the same task sees the same time, the next task a new one', async () => {
    const { taskNow } = await loadWithMovableClock();
    const first = taskNow();
    expect(first).toBe(system.now);
    system.now += 10_000;
    expect(taskNow()).toBe(first);
    await nextTask();
    expect(taskNow()).toBe(system.now);
  });

  it('a peek and a read of one task agree however the clock moves meanwhile; the next task sees the entry expire', async () => {
    const { createClient } = await loadWithMovableClock();
    const client = createClient({ baseUrl: BASE, fetch: fresh60s });
    await client.get('/a');
    await nextTask();
    expect(client.peek('/a')?.stale).toBe(false);
    // The system clock passes the entry's lifetime within this task: this task still judges it fresh.
    system.now += 61_000;
    expect(client.peek('/a')?.stale).toBe(false);
    expect((await client.read('/a')).source).toBe('memory');
    await nextTask();
    expect(client.peek('/a')).toBeUndefined();
  });

  it('does not keep Node alive: the timer that forgets a reading is unref’d', async () => {
    const { taskNow } = await loadWithMovableClock();
    await nextTask();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    taskNow();
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });

  it('follows fake timers installed after the client was made, call by call (setSystemTime, advanceTimersByTime)', async () => {
    const { createClient } = await import('../../src/index.js');
    const client = createClient({ baseUrl: BASE, fetch: fresh60s });
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    await client.get('/a');
    expect(client.peek('/a')?.stale).toBe(false);
    vi.setSystemTime(Date.now() + 61_000);
    expect(client.peek('/a')).toBeUndefined();
    await client.get('/b');
    vi.advanceTimersByTime(59_000);
    expect(client.peek('/b')?.stale).toBe(false);
    vi.advanceTimersByTime(2_000);
    expect(client.peek('/b')).toBeUndefined();
  });

  it('a `now` option is called every time: a clock moved within the task is seen at once', async () => {
    const { createClient } = await loadWithMovableClock();
    const clock = { now: 5_000_000 };
    const client = createClient({ baseUrl: BASE, fetch: fresh60s, now: () => clock.now });
    await client.get('/a');
    expect(client.peek('/a')?.stale).toBe(false);
    clock.now += 61_000;
    expect(client.peek('/a')).toBeUndefined();
  });

  it('an entry stamped a little after this task’s reading (another tab, another clock) is of age 0, not younger', () => {
    // max-age=0: revalidate before every reuse, whichever clock stamped it.
    expect(condition(entry('k', { storedAt: 1_000_005, lifetime: 0 }), undefined, 1_000_000)).toBe('expired');
    expect(condition(entry('k', { storedAt: 1_000_005, lifetime: 1000 }), undefined, 1_000_000)).toBe('fresh');
  });
});
