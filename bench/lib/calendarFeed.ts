/**
 * The calendar the FullCalendar rows (bench/calendar.page.ts) and their trace
 * (bench/calendar.trace.page.ts) measure: generated events, and a nostale client answering a
 * range-limited feed of them, fresh for an hour.
 */
import type { CalendarOptions, EventSourceInput } from '@fullcalendar/core';
import dayGridPlugin from '@fullcalendar/daygrid';
import type { Client } from '../../src/index';
import { calendarSource } from '../../src/fullcalendar';
import { createClient } from '../../src/index';

const KINDS = ['work-item', 'coordination-event', 'staff-task'];
const DAY = 86_400_000;
const FROM = Date.UTC(2024, 2, 1);

export interface FeedEvent {
  id: string;
  title: string;
  start: string;
  allDay: boolean;
  /** The event's day, in ms: what the feed's range is compared with. */
  at: number;
}

/** N events over 400 days from March 2024: a six-week view shows about a tenth of them. */
export function generate(count: number): FeedEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const day = FROM + (i % 400) * DAY;
    const allDay = i % 50 === 0;
    const start = allDay ? new Date(day).toISOString().slice(0, 10) : new Date(day + (8 + (i % 9)) * 3_600_000).toISOString();
    return { id: `${KINDS[i % 3]}-${i + 1}`, title: `Event ${i + 1}`, start, allDay, at: day };
  });
}

/** A client whose fetch answers the range-limited feed: the events of `all` starting in [start, end), less those in `gone`. */
export function feedClient(all: readonly FeedEvent[], gone: ReadonlySet<string> = new Set()): Client {
  return createClient({
    fetch: async (input) => {
      const url = new URL(String(input instanceof Request ? input.url : input), location.href);
      const start = Date.parse(url.searchParams.get('start')!);
      const end = Date.parse(url.searchParams.get('end')!);
      const body = JSON.stringify(all.filter((e) => e.at >= start && e.at < end && !gone.has(e.id)).map(({ at: _, ...event }) => event));
      return new Response(body, { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=3600' } });
    },
  });
}

/** The calendar's event source over the feed, one scope for all of it. */
export const feedSource = (client: Client) =>
  calendarSource(client, {
    scope: 'feed',
    url: ({ start, end }) => `/feed?start=${encodeURIComponent(start.toISOString())}&end=${encodeURIComponent(end.toISOString())}`,
  });

/**
 * The month view both pages mount over `source`: May 2024 in UTC, "+n more" links, each event's
 * element marked with its id (how the rows find it).
 */
export const monthView = (source: EventSourceInput): CalendarOptions => ({
  plugins: [dayGridPlugin],
  initialView: 'dayGridMonth',
  initialDate: '2024-05-15',
  timeZone: 'UTC',
  dayMaxEvents: true,
  eventSources: [source],
  eventDidMount: ({ el, event }) => el.setAttribute('data-event-id', event.id),
});

export const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(() => resolve(performance.now())));
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
