import { Calendar, type EventApi, type EventSourceInput } from '@fullcalendar/core';
import dayGridPlugin from '@fullcalendar/daygrid';
import interactionPlugin from '@fullcalendar/interaction';
import type { DemoEvent } from '../mock/model';

export type Fetched = { ok: true; count: number } | { ok: false; error: unknown };

export interface CalendarOptions {
  onEventClick(event: EventApi, el: HTMLElement): void;
  /** Told how every fetch of the visible range ended, with how many events it brought. */
  onFetched(outcome: Fetched): void;
  onLoading(loading: boolean): void;
  /** The events in view, after every change: a fetch, a delete, a rollback. */
  onCount(count: number): void;
  /** The month shown changed (prev, next, today, or `gotoDate`). */
  onDates(start: Date): void;
  /** An event's element was rendered: a chance to mark it. */
  onEventMount?(event: EventApi, el: HTMLElement): void;
}

export interface DemoCalendar {
  calendar: Calendar;
  /** Shows another event source (another user's calendar) in place of the current one. */
  show(source: EventSourceInput): void;
  /** Refetches the visible range, at most once per animation frame. */
  refresh(): void;
  /** Shows the month starting at `start`, unless it is already shown (so linked calendars do not loop). */
  follow(start: Date): void;
  /** Focuses the event, or the first day of it shown when it is gone, or the calendar. */
  focusEvent(id: string, start: Date | null, end: Date | null): void;
}

/** Darker than FullCalendar's defaults: white text on each stays above 4.5:1. */
export const KIND_COLORS: Record<DemoEvent['kind'], string> = {
  'work-item': '#2259c9',
  'coordination-event': '#0f7250',
  'staff-task': '#9a4f10',
};

export function createCalendar(el: HTMLElement, options: CalendarOptions): DemoCalendar {
  let fetches = 0;
  const calendar = new Calendar(el, {
    plugins: [dayGridPlugin, interactionPlugin],
    initialView: 'dayGridMonth',
    headerToolbar: { left: 'prev,next today', center: 'title', right: '' },
    // The page scrolls, not the calendar: a banner above it pushes it down instead of cutting
    // its last week off.
    height: 'auto',
    // Sticky weekday headers would stick to the page's top over the other calendar's weeks.
    stickyHeaderDates: false,
    dayMaxEvents: 3,
    fixedWeekCount: false,
    eventDisplay: 'block',
    displayEventEnd: false,
    eventTimeFormat: { hour: '2-digit', minute: '2-digit', hour12: false },
    // FullCalendar renders titles as text; the demo adds only attributes.
    eventDataTransform: (input) => ({ ...input, color: KIND_COLORS[(input as DemoEvent).kind] }),
    eventDidMount: ({ event, el: eventEl }) => {
      eventEl.dataset.eventId = event.id;
      eventEl.setAttribute('data-testid', 'calendar-event');
      eventEl.title = event.title;
      options.onEventMount?.(event, eventEl);
    },
    eventClick: ({ event, el: eventEl, jsEvent }) => {
      jsEvent.preventDefault();
      options.onEventClick(event, eventEl);
    },
    eventSourceSuccess: (events) => {
      // Called before FullCalendar holds the new events: their number is this answer's.
      settled({ ok: true, count: events.length });
      return events;
    },
    eventSourceFailure: (error) => settled({ ok: false, error }),
    eventsSet: () => options.onCount(inView()),
    datesSet: ({ view }) => options.onDates(view.currentStart),
    loading: (loading) => options.onLoading(loading),
  });

  /** Counted in the DOM too (`data-fetches`), so a test can wait for "the fetch after this click". */
  function settled(outcome: Fetched) {
    el.dataset.fetches = String(++fetches);
    options.onFetched(outcome);
  }

  function inView(): number {
    const { activeStart, activeEnd } = calendar.view;
    return calendar.getEvents().filter((event) => {
      const start = event.start?.getTime() ?? 0;
      const end = event.end?.getTime() ?? start + 1;
      return start < activeEnd.getTime() && end > activeStart.getTime();
    }).length;
  }

  let _frame = 0;
  return {
    calendar,
    show(source) {
      calendar.batchRendering(() => {
        for (const current of calendar.getEventSources()) current.remove();
        calendar.addEventSource(source);
      });
    },
    refresh() {
      _frame ||= requestAnimationFrame(() => {
        _frame = 0;
        calendar.refetchEvents();
      });
    },
    follow(start) {
      if (calendar.view.currentStart.getTime() !== start.getTime()) calendar.gotoDate(start);
    },
    focusEvent(id, start, end) {
      const event = el.querySelector<HTMLElement>(`[data-event-id="${CSS.escape(id)}"]`);
      if (event) return event.focus();
      const target = dayCell(el, start, end) ?? el;
      // Focusable from script only: the day is where the event was, not a new tab stop.
      target.tabIndex = -1;
      target.focus();
    },
  };
}

/** The first day cell shown of [start, end): where an event was, once it is gone. */
function dayCell(el: HTMLElement, start: Date | null, end: Date | null): HTMLElement | undefined {
  if (!start) return undefined;
  const last = end ?? new Date(start.getTime() + 1);
  for (const day = new Date(start); day < last; day.setDate(day.getDate() + 1)) {
    const date = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    const cell = el.querySelector<HTMLElement>(`td[data-date="${date}"]`);
    if (cell) return cell;
  }
  return undefined;
}
