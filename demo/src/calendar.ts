import { Calendar, type EventApi, type EventSourceInput } from '@fullcalendar/core';
import dayGridPlugin from '@fullcalendar/daygrid';
import interactionPlugin from '@fullcalendar/interaction';
import type { DemoEvent } from '../mock/model';

export interface CalendarOptions {
  onEventClick(event: EventApi): void;
  /** Told how every fetch of the visible range ended. */
  onFetched(outcome: { ok: true; count: number } | { ok: false; error: unknown }): void;
  onLoading(loading: boolean): void;
}

export interface DemoCalendar {
  calendar: Calendar;
  /** Shows another event source (another user's calendar) in place of the current one. */
  show(source: EventSourceInput): void;
  /** Refetches the visible range through nostale, at most once per animation frame. */
  refresh(): void;
}

const KIND_COLORS: Record<DemoEvent['kind'], string> = {
  'work-item': '#2f6fdf',
  'coordination-event': '#13875f',
  'staff-task': '#b7641a',
};

export function createCalendar(el: HTMLElement, options: CalendarOptions): DemoCalendar {
  const calendar = new Calendar(el, {
    plugins: [dayGridPlugin, interactionPlugin],
    initialView: 'dayGridMonth',
    headerToolbar: { left: 'prev,next today', center: 'title', right: '' },
    height: '100%',
    dayMaxEvents: true,
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
    },
    eventClick: ({ event, jsEvent }) => {
      jsEvent.preventDefault();
      options.onEventClick(event);
    },
    eventSourceSuccess: (events) => {
      options.onFetched({ ok: true, count: events.length });
      return events;
    },
    eventSourceFailure: (error) => options.onFetched({ ok: false, error }),
    loading: (loading) => options.onLoading(loading),
  });

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
  };
}
