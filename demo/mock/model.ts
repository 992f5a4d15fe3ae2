/** The kinds of calendar entries the demo backend serves; each kind is part of the event id. */
export const EVENT_KINDS = ['work-item', 'coordination-event', 'staff-task'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** The demo has exactly two accounts so it can show per-user scopes side by side. */
export const DEMO_USERS = ['alice', 'bob'] as const;
export type DemoUser = (typeof DEMO_USERS)[number];

/** An event as the API sends it; the shape FullCalendar accepts from a JSON feed. */
export interface DemoEvent {
  /** `<kind>-<pk>`, e.g. `work-item-42`; the pk is unique per user across kinds. */
  id: string;
  title: string;
  /** ISO date (`2024-05-03`, all-day) or UTC date-time (`2024-05-03T09:30:00Z`). */
  start: string;
  /** Exclusive end, same format as `start`. */
  end?: string;
  allDay?: boolean;
  kind: EventKind;
}

/** One user's slice of the backend, stored as one JSON record. */
export interface UserRecord {
  /** Bumped by every successful mutation and by a reset; never goes down. */
  version: number;
  /** Next primary key to hand out. */
  nextPk: number;
  events: DemoEvent[];
}

export function isDemoUser(value: string): value is DemoUser {
  return (DEMO_USERS as readonly string[]).includes(value);
}

export function isEventKind(value: unknown): value is EventKind {
  return typeof value === 'string' && (EVENT_KINDS as readonly string[]).includes(value);
}

export function formatEventId(kind: EventKind, pk: number): string {
  return `${kind}-${pk}`;
}

const EVENT_ID = /^(work-item|coordination-event|staff-task)-(\d+)$/;

/** The primary key inside an event id, or `undefined` for a malformed id. */
export function primaryKeyOf(id: string): number | undefined {
  const match = EVENT_ID.exec(id);
  return match?.[2] === undefined ? undefined : Number(match[2]);
}
