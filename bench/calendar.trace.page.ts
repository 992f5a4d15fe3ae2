/**
 * Diagnostics only (bench/calendar.trace.ts drives it): the calendar of bench/calendar.page.ts,
 * with one removal at a time callable from a Chromium trace session.
 */
import { Calendar } from '@fullcalendar/core';
import { removeEvent } from '../src/fullcalendar';
import { feedClient, feedSource, generate, monthView, nextFrame, sleep } from './lib/calendarFeed';

const all = generate(10_000);

async function setup(extra: Record<string, unknown> = {}) {
  const client = feedClient(all);
  const source = feedSource(client);
  const el = document.getElementById('calendar')!;
  let resolveLoaded!: () => void;
  const loaded = new Promise<void>((resolve) => (resolveLoaded = resolve));
  const calendar = new Calendar(el, {
    ...monthView(source),
    loading: (isLoading) => void (!isLoading && resolveLoaded()),
    ...extra,
  });
  calendar.render();
  await loaded;
  await nextFrame();
  const batchRendering = calendar.batchRendering.bind(calendar);
  calendar.batchRendering = (work) => {
    performance.mark('flush-start');
    batchRendering(() => {
      performance.mark('work-start');
      work();
      performance.mark('work-end');
    });
    performance.mark('flush-end');
    performance.measure('fc:work (getEventById+toPlainObject+remove)', 'work-start', 'work-end');
    performance.measure('fc:render at batch end', 'work-end', 'flush-end');
  };
  const targets = [...el.querySelectorAll('[data-event-id]')].map((node) => node.getAttribute('data-event-id')!);
  const restore = new Error('restore');
  /** One removal of kind `kind`, then waits `wait` ms and undoes it. */
  async function remove(kind: 'ours' | 'plain' | 'five', i: number, wait = 400) {
    await nextFrame();
    await sleep(0);
    const ids =
      kind === 'five' ? Array.from({ length: 5 }, (_, k) => targets[(i + k * 3) % targets.length]!) : [targets[i % targets.length]!];
    if (kind === 'plain') {
      performance.mark('call-start');
      const event = calendar.getEventById(ids[0]!)!;
      const snapshot = event.toPlainObject();
      const from = event.source;
      event.remove();
      performance.measure('call', 'call-start');
      await sleep(wait);
      calendar.addEvent(snapshot, from ?? undefined);
      await sleep(100);
      return;
    }
    let fail!: () => void;
    const pending = new Promise<never>((_, reject) => (fail = () => reject(restore)));
    const done: Promise<unknown>[] = [];
    for (let k = 0; k < ids.length; k++) {
      if (k) await sleep(20);
      performance.mark('call-start');
      done.push(removeEvent(calendar, ids[k]!, { source, mutate: () => pending }).catch(() => undefined));
      performance.measure('call', 'call-start');
    }
    await sleep(wait);
    fail();
    await Promise.all(done);
    await sleep(100);
  }
  return { calendar, remove, targets };
}

let current: Awaited<ReturnType<typeof setup>> | undefined;
(window as unknown as Record<string, unknown>).bench = {
  setup: async (extra: Record<string, unknown>) => {
    current?.calendar.destroy();
    current = await setup(extra);
    return current.targets.length;
  },
  remove: (kind: 'ours' | 'plain' | 'five', i: number) => current!.remove(kind, i),
};
document.title = 'ready';
