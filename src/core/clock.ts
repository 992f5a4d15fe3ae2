/**
 * The default clock: `Date.now()` read at most once per task. Reading the system clock costs
 * several times what the rest of a memory hit costs, and every hit needs the time to judge
 * freshness; so the first read in a task keeps its reading and a timer forgets it once the task
 * is over (at the next turn of the event loop's timers, 1 ms later at the soonest). Every read
 * and peek of one task therefore judges freshness at the same instant (a render calling `peek`
 * from ten components sees one answer), and a reading is never older than the task that took it
 * (plus what ran before the timer could fire).
 *
 * The timer is unref'd (it never keeps Node alive) and is the `setTimeout` present when nostale
 * loaded. A `Date.now` replaced afterwards (fake timers: `vi.useFakeTimers`, sinon, any patch) is
 * followed call by call, with no caching, so `vi.setSystemTime` and `advanceTimersByTime` take
 * effect at once; so is a `Date.now` that is not the engine's own at load time.
 */
// A non-native `Date.now` at load is a fake installed first: never the one cached.
const systemNow = /\[native code\]/.test(Function.prototype.toString.call(Date.now)) ? Date.now : undefined;
const later = globalThis.setTimeout;
let reading: number | undefined;
const forget = () => {
  reading = undefined;
};

/** `Date.now()`, as read by the first call of the current task. */
export function taskNow(): number {
  if (Date.now !== systemNow) return Date.now();
  if (reading === undefined) {
    reading = Date.now();
    (later(forget, 1) as { unref?: () => void }).unref?.();
  }
  return reading;
}
