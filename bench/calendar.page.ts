/**
 * Runs in Chromium (bundled by bench/calendar.bench.ts): a FullCalendar month view fed by a
 * range-limited feed (the server holds 10,000 events over 13 months and answers only those of
 * the visible six weeks, about 1,050), read through a nostale `calendarSource` with its default
 * `paintFirst: 'auto'`. Each round times, interleaved in rotating order:
 *
 * - `paintFirst`: one `removeEvent` (hidden by an inline style, FullCalendar's `remove()` after the paint);
 * - `plain`: `getEventById(id).remove()`, what a removal inside the call costs (context);
 * - `five`: five `removeEvent` calls in separate tasks 20 ms apart;
 * - `setProp`, `refetch`: the other supported ways to take an event off FullCalendar, for context:
 *   `event.setProp('display', 'none')`, and removing it through the source (the feed no longer
 *   answers it, the range's cache entry is invalidated, the source refetched).
 *
 * Main-thread blocking is observed with a MessageChannel ping loop running through each window:
 * a gap between two pings is a task (or a frame's rendering) that held the thread. The Long
 * Tasks API only reports tasks of 50 ms and more, so it serves as a cross-check.
 */
import { Calendar } from '@fullcalendar/core';
import { removeEvent } from '../src/fullcalendar';
import { feedClient, feedSource, generate, monthView, nextFrame, sleep } from './lib/calendarFeed';

export interface Sample {
  /** ms of main-thread work from the call to the first task after the next paint: call + that frame's rendering. */
  firstFrame: number;
  /** Whether the event was hidden or gone at that task (for `five`: those removed by then). */
  goneAtFrame: boolean;
  /** Longest main-thread block (ms) within the window after the call. */
  longest: number;
  /** Main-thread ms blocked in the window: the sum of ping gaps over 1 ms (preemption included). */
  busy: number;
  /** ms spent in the removal's own calls plus FullCalendar's deferred `batchRendering` flush in the window. */
  work: number;
  /** Long Tasks API entries (≥ 50 ms) starting in the window. */
  longTasks: number;
  /** FullCalendar renders in the window (`eventsSet` calls) and `batchRendering` calls. */
  renders: number;
  batches: number;
  /** Whether FullCalendar still held the event right after the call (the removal was deferred). */
  deferred: boolean;
}

export interface CalendarBenchResult {
  /** Events the server holds, and those the range-limited feed handed to the calendar. */
  total: number;
  held: number;
  /** Event elements mounted in the month grid. */
  rendered: number;
  windowMs: number;
  /** Windows extended past `windowMs` to take in a deferred render that came later. */
  extended: number;
  samples: Record<'paintFirst' | 'plain' | 'five' | 'setProp' | 'refetch', Sample[]>;
}

/** Pings the event loop until stopped; returns the handler start times. */
function pingLoop(): { stop: () => number[] } {
  const channel = new MessageChannel();
  const times: number[] = [performance.now()];
  let running = true;
  channel.port1.onmessage = () => {
    times.push(performance.now());
    if (running) channel.port2.postMessage(0);
  };
  channel.port2.postMessage(0);
  return {
    stop: () => {
      running = false;
      channel.port1.close();
      return times;
    },
  };
}

async function run(options: { total: number; reps: number; windowMs: number; spacing: number }): Promise<CalendarBenchResult> {
  const SPACING = options.spacing;
  const all = generate(options.total);
  /** Ids the feed no longer answers (the `refetch` contestant's server-side delete). */
  const deletedOnServer = new Set<string>();
  const client = feedClient(all, deletedOnServer);
  const source = feedSource(client);
  const el = document.getElementById('calendar')!;
  let resolveLoaded!: () => void;
  let onLoaded: (() => void) | undefined;
  const loaded = new Promise<void>((resolve) => (resolveLoaded = resolve));
  let renders = 0;
  const calendar = new Calendar(el, {
    ...monthView(source),
    loading: (isLoading) => {
      if (isLoading) return;
      resolveLoaded();
      onLoaded?.();
      onLoaded = undefined;
    },
    eventsSet: () => void renders++,
  });
  calendar.render();
  await loaded;
  await nextFrame();
  let batches = 0;
  /** ms inside removeEvent calls and batchRendering flushes, for the sample's `work`. */
  let workMs = 0;
  const batchRendering = calendar.batchRendering.bind(calendar);
  let flushedAt = 0;
  let extended = 0;
  calendar.batchRendering = (work) => {
    batches++;
    const t0 = performance.now();
    batchRendering(work);
    flushedAt = performance.now();
    workMs += flushedAt - t0;
  };

  const longTasks: PerformanceEntry[] = [];
  new PerformanceObserver((list) => longTasks.push(...list.getEntries())).observe({ type: 'longtask', buffered: false });

  // Targets the user can see (and click): rendered in the grid, not behind "+n more".
  const targets = [...el.querySelectorAll('[data-event-id]')].map((node) => node.getAttribute('data-event-id')!);
  const visible = (id: string) => {
    const node = el.querySelector(`[data-event-id="${CSS.escape(id)}"]`);
    return node !== null && getComputedStyle(node).display !== 'none';
  };
  const restore = new Error('restore');

  /**
   * Starts `act` at the start of a frame's script (as an input handler would run), then
   * observes the frame after it and a `windowMs` window. `act` returns the ids it removed and
   * a function undoing the removal, called after the window.
   */
  async function observe(act: () => { ids: string[]; undo: () => Promise<void> }, deferredRender: boolean): Promise<Sample> {
    await nextFrame();
    await sleep(0);
    const ping = pingLoop();
    const renders0 = renders;
    const batches0 = batches;
    workMs = 0;
    let frameStart = 0;
    let painted = 0;
    let goneAtFrame = false;
    let ids: string[] = [];
    // Registered before the call, so in the next frame this runs first and its timer runs right
    // after the paint, before anything the removal scheduled for after the paint.
    const paint = new Promise<void>((resolve) =>
      requestAnimationFrame(() => {
        frameStart = performance.now();
        setTimeout(() => {
          painted = performance.now();
          // The ids removed by then (of five spread removals, the first ones).
          goneAtFrame = ids.every((id) => !visible(id));
          resolve();
        }, 0);
      }),
    );
    const start = performance.now();
    const acted = act();
    ids = acted.ids;
    const call = performance.now() - start;
    workMs += call;
    const deferred = ids.every((id) => calendar.getEventById(id) !== null);
    await paint;
    await sleep(Math.max(0, options.windowMs - (performance.now() - start)));
    // A loaded machine can push the deferred render past the window: the window then extends to
    // it, so no sample leaves out the cost it is about.
    while (deferredRender && batches === batches0 && performance.now() - start < 5_000) await sleep(10);
    const end = Math.max(start + options.windowMs, batches > batches0 ? flushedAt + 1 : 0);
    extended += end > start + options.windowMs ? 1 : 0;
    // From the call on: the gap it starts holds the call itself. The first ping after the window
    // closes the last gap, so a task still running when the window ends counts in full.
    const pings = ping.stop().filter((t) => t > start);
    const after = pings.findIndex((t) => t > end);
    const times = [start, ...(after === -1 ? pings : pings.slice(0, after + 1))];
    let longest = 0;
    let busy = 0;
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      longest = Math.max(longest, gap);
      if (gap > 1) busy += gap;
    }
    const sample: Sample = {
      firstFrame: call + (painted - frameStart),
      goneAtFrame,
      longest,
      busy,
      work: workMs,
      // Overlapping the window: the task holding the call itself began just before `start`.
      longTasks: longTasks.filter((e) => e.startTime + e.duration > start && e.startTime <= end).length,
      renders: renders - renders0,
      batches: batches - batches0,
      deferred,
    };
    await acted.undo();
    await sleep(50);
    return sample;
  }

  const viaRemoveEvent = (ids: string[], spread: boolean) => {
    let fail!: () => void;
    const pending = new Promise<never>((_, reject) => (fail = () => reject(restore)));
    const done: Promise<unknown>[] = [];
    const called: string[] = [];
    const call = (id: string, timed: boolean) => {
      called.push(id);
      const t0 = performance.now();
      done.push(removeEvent(calendar, id, { source, mutate: () => pending }).catch(() => undefined));
      if (timed) workMs += performance.now() - t0;
    };
    let last: Promise<void> = Promise.resolve();
    if (spread) {
      // Separate tasks `spacing` ms apart, as quick clicks or key repeats would be.
      // The first is timed by observe() with the rest of the act.
      call(ids[0]!, false);
      last = new Promise((resolve) => {
        let next = 1;
        const tick = () => {
          call(ids[next++]!, true);
          if (next < ids.length) setTimeout(tick, SPACING);
          else resolve();
        };
        setTimeout(tick, SPACING);
      });
    } else for (const id of ids) call(id, false);
    return {
      ids: called,
      undo: async () => {
        await last;
        fail();
        await Promise.all(done);
      },
    };
  };
  /** Resolves when the next fetch of the calendar's sources has landed. */
  const nextLoad = () => new Promise<void>((resolve) => (onLoaded = resolve));
  /** The server forgets `id` (or has it again), the range's entry is invalidated, the source refetched. */
  const refetchWithout = async (id: string, deleted: boolean) => {
    if (deleted) deletedOnServer.add(id);
    else deletedOnServer.delete(id);
    await client.invalidate({ scope: 'feed' });
    calendar.refetchEvents();
  };
  const contestants = {
    paintFirst: (i: number) => observe(() => viaRemoveEvent([targets[i % targets.length]!], false), true),
    five: (i: number) =>
      observe(
        () =>
          viaRemoveEvent(
            Array.from({ length: 5 }, (_, k) => targets[(i + k * 3) % targets.length]!),
            true,
          ),
        true,
      ),
    plain: (i: number) =>
      observe(() => {
        const event = calendar.getEventById(targets[i % targets.length]!)!;
        const snapshot = event.toPlainObject();
        const from = event.source;
        event.remove();
        return {
          ids: [snapshot.id as string],
          undo: async () => void calendar.addEvent(snapshot, from ?? undefined),
        };
      }, false),
    setProp: (i: number) =>
      observe(() => {
        const event = calendar.getEventById(targets[i % targets.length]!)!;
        const display = event.display;
        event.setProp('display', 'none');
        return { ids: [event.id], undo: async () => void event.setProp('display', display) };
      }, false),
    refetch: (i: number) =>
      observe(() => {
        const id = targets[i % targets.length]!;
        const landed = nextLoad();
        void refetchWithout(id, true);
        return {
          // Not gone in the next frame (the answer is asynchronous): only its long task is reported.
          ids: [],
          undo: async () => {
            await landed;
            const back = nextLoad();
            await refetchWithout(id, false);
            await back;
          },
        };
      }, false),
  };
  const names = Object.keys(contestants) as (keyof typeof contestants)[];
  const samples: CalendarBenchResult['samples'] = { paintFirst: [], plain: [], five: [], setProp: [], refetch: [] };
  // Warm-up, thrown away.
  for (let i = 0; i < 2; i++) for (const name of names) await contestants[name](i * 7);
  extended = 0;
  for (let rep = 0; rep < options.reps; rep++) {
    // Rotate the order every round, so no side always runs first.
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + rep) % names.length]!;
      samples[name].push(await contestants[name](rep * 7 + 11));
    }
  }
  const result: CalendarBenchResult = {
    total: options.total,
    held: calendar.getEvents().length,
    rendered: targets.length,
    windowMs: options.windowMs,
    extended,
    samples,
  };
  calendar.destroy();
  return result;
}

(window as unknown as { runCalendarBench: typeof run }).runCalendarBench = run;
document.title = 'ready';
