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
// A `Date.now` that is not the engine's own at load is a fake installed first: never cached.
const system = `${Date.now}`.includes('[native code]') ? Date.now : undefined;
// The timer of the page as nostale loaded, not one a test fakes later.
const later = setTimeout;
let reading: number | undefined;

/** `Date.now()`, as read by the first call of the current task. */
export function taskNow(): number {
  if (Date.now !== system) return Date.now();
  if (reading === undefined) {
    reading = Date.now();
    (
      later(() => {
        reading = undefined;
      }, 1) as { unref?: () => void }
    ).unref?.();
  }
  return reading;
}
