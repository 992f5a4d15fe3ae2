/**
 * Runs in Chromium (bundled by bench/calendar.bench.ts): a FullCalendar month view holding N
 * events from a nostale `calendarSource`, and optimistic removal of one event timed two ways:
 * `removeEvent` (index lookup, `getEventById`, `remove()`) and the usual
 * `calendar.getEvents().find(...)` followed by `remove()`. Same calendar, same run, alternating.
 */
import { Calendar } from '@fullcalendar/core';
import dayGridPlugin from '@fullcalendar/daygrid';
import { calendarSource, findEventIds, removeEvent } from '../src/fullcalendar';
import { createClient } from '../src/index';

export interface SizeResult {
  events: number;
  paintFirst: boolean;
  /** Event elements mounted in the month grid (dayMaxEvents keeps the overflow hidden). */
  rendered: number;
  /** ms per removal (the synchronous part of the call), one sample per repetition. */
  ours: number[];
  baseline: number[];
  /** ms per lookup alone (no remove), averaged over a batch. */
  lookupOurs: number;
  lookupBaseline: number;
  /** ms the call itself takes (the event is gone from the DOM, or hidden, when it returns). */
  untilDom: number[];
  /**
   * Main-thread ms the removal costs before its frame is on screen: the call plus the style,
   * layout and paint work of the first frame after it (rAF callback → first task after the paint).
   */
  frameWork: number[];
  /** ms from the call until the first task after the next paint. */
  untilPainted: number[];
  /** Whether the event was gone or hidden in the first frame painted after the call, every time. */
  goneByNextFrame: boolean;
}

const KINDS = ['work-item', 'coordination-event', 'staff-task'];
const DAY = 86_400_000;
const FROM = Date.UTC(2024, 2, 1);

/** N events over ~13 months around May 2024: a six-week view shows about a tenth of them. */
function generate(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const day = FROM + (i % 400) * DAY;
    const allDay = i % 50 === 0;
    const start = allDay ? new Date(day).toISOString().slice(0, 10) : new Date(day + (8 + (i % 9)) * 3_600_000).toISOString();
    return { id: `${KINDS[i % 3]}-${i + 1}`, title: `Event ${i + 1}`, start, allDay };
  });
}

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(() => resolve(performance.now())));

async function measure(count: number, reps: number, paintFirst: boolean): Promise<SizeResult> {
  const body = JSON.stringify(generate(count));
  const client = createClient({
    fetch: async () => new Response(body, { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=3600' } }),
  });
  const source = calendarSource(client, {
    paintFirst,
    url: ({ start, end }) => `/feed?start=${start.toISOString()}&end=${end.toISOString()}`,
  });
  const el = document.getElementById('calendar')!;
  let resolveLoaded!: () => void;
  const loaded = new Promise<void>((resolve) => (resolveLoaded = resolve));
  const calendar = new Calendar(el, {
    plugins: [dayGridPlugin],
    initialView: 'dayGridMonth',
    initialDate: '2024-05-15',
    timeZone: 'UTC',
    dayMaxEvents: true,
    eventSources: [source],
    loading: (isLoading) => isLoading || resolveLoaded(),
    eventDidMount: ({ el: node, event }) => node.setAttribute('data-event-id', event.id),
  });
  calendar.render();
  await loaded;
  await nextFrame();

  // Targets the user can see (and click): rendered in the grid, not behind "+n more".
  const targets = [...el.querySelectorAll('[data-event-id]')].map((node) => node.getAttribute('data-event-id')!);
  const visible = (id: string) => {
    const node = el.querySelector(`[data-event-id="${id}"]`);
    return node !== null && getComputedStyle(node).display !== 'none';
  };
  const restore = new Error('restore');
  // paintFirst removals take less than the timer's 0.1 ms resolution: time them in batches.
  const batch = paintFirst ? 10 : 1;
  const ours = async (first: number) => {
    const ids = Array.from({ length: batch }, (_, i) => targets[(first + i) % targets.length]!);
    const t0 = performance.now();
    // Failing on purpose: the rollback puts the events back (outside the timing) for the next round.
    const done = ids.map((id) => removeEvent(calendar, id, { source, mutate: () => Promise.reject(restore) }));
    const elapsed = (performance.now() - t0) / batch;
    await Promise.all(done.map((d) => d.catch(() => undefined)));
    return elapsed;
  };
  const baseline = async (id: string) => {
    const t0 = performance.now();
    const event = calendar.getEvents().find((e) => e.id === id)!;
    event.remove();
    const elapsed = performance.now() - t0;
    calendar.addEvent(event.toPlainObject(), event.source ?? undefined);
    return elapsed;
  };

  for (let i = 0; i < 5; i++) {
    await ours(i);
    await baseline(targets[i % targets.length]!);
  }
  const result: SizeResult = {
    events: count,
    paintFirst,
    rendered: targets.length,
    ours: [],
    baseline: [],
    lookupOurs: 0,
    lookupBaseline: 0,
    untilDom: [],
    frameWork: [],
    untilPainted: [],
    goneByNextFrame: true,
  };
  for (let rep = 0; rep < reps; rep++) {
    const index = (rep * 7) % targets.length;
    const id = targets[index]!;
    // Alternate which goes first, so neither always runs on a freshly collected heap.
    if (rep % 2) {
      result.baseline.push(await baseline(id));
      result.ours.push(await ours(index));
    } else {
      result.ours.push(await ours(index));
      result.baseline.push(await baseline(id));
    }
  }

  const lookups = 200;
  let t0 = performance.now();
  for (let i = 0; i < lookups; i++) {
    const id = targets[i % targets.length]!;
    calendar.getEventById(findEventIds(source, id)[0]!);
  }
  result.lookupOurs = (performance.now() - t0) / lookups;
  t0 = performance.now();
  for (let i = 0; i < lookups; i++) {
    const id = targets[i % targets.length]!;
    calendar.getEvents().find((e) => e.id === id);
  }
  result.lookupBaseline = (performance.now() - t0) / lookups;

  for (let rep = 0; rep < Math.min(reps, 20); rep++) {
    const id = targets[(rep * 11) % targets.length]!;
    await nextFrame();
    // The delete stays pending until the frame was checked; failing it then restores the event.
    let fail!: (error: Error) => void;
    const pending = new Promise<never>((_, reject) => (fail = reject));
    // Registered before the call, so in the next frame this callback runs first and its timer
    // runs right after the paint, before anything the removal scheduled for after the paint.
    let frameStart = 0;
    let painted = 0;
    let goneAtPaint = false;
    const paint = new Promise<void>((resolve) =>
      requestAnimationFrame(() => {
        frameStart = performance.now();
        setTimeout(() => {
          painted = performance.now();
          goneAtPaint = !visible(id);
          resolve();
        }, 0);
      }),
    );
    const start = performance.now();
    const done = removeEvent(calendar, id, { source, mutate: () => pending });
    const call = performance.now() - start;
    await paint;
    result.untilDom.push(call);
    result.frameWork.push(call + (painted - frameStart));
    result.untilPainted.push(painted - start);
    if (!goneAtPaint) result.goneByNextFrame = false;
    fail(restore);
    await done.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  calendar.destroy();
  return result;
}

async function run(options: { sizes: number[]; reps: number }): Promise<SizeResult[]> {
  const results: SizeResult[] = [];
  for (const paintFirst of [false, true]) for (const size of options.sizes) results.push(await measure(size, options.reps, paintFirst));
  return results;
}

(window as unknown as { runCalendarBench: typeof run }).runCalendarBench = run;
document.title = 'ready';
