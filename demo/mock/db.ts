import { effectiveEnd, isDateOnly, parseIso } from './dates';
import { DEMO_USERS, formatEventId, primaryKeyOf, type DemoEvent, type DemoUser, type EventKind, type UserRecord } from './model';
import { RANGE_CACHE_KEY } from './rangeCache';
import { generateSampleEvents } from './sampleData';
import { defaultStorage, readJson, STORAGE_PREFIX, writeJson, type KeyValueStorage } from './storage';

export interface DemoDbOptions {
  /** Where the data lives; `localStorage` by default so tabs and reloads share it. */
  storage?: KeyValueStorage;
  /** The date sample data is generated around when a user has none yet; now by default. */
  today?: Date;
  seed?: number;
  /** Sample events per user. */
  count?: number;
}

/** A half-open interval [start, end) in epoch milliseconds. */
export interface TimeRange {
  start: number;
  end: number;
}

export interface NewEvent {
  title: string;
  start: string;
  end?: string;
  allDay?: boolean;
  kind: EventKind;
}

export interface DemoDb {
  version(user: DemoUser): number;
  /** Events overlapping the range, ordered by start, with the version they were read at. */
  listEvents(user: DemoUser, range: TimeRange): { version: number; events: DemoEvent[] };
  /** Accepts a full id (`work-item-42`) or a bare primary key (`42`). */
  findEvent(user: DemoUser, idOrPk: string): DemoEvent | undefined;
  createEvent(user: DemoUser, input: NewEvent): { version: number; event: DemoEvent };
  /** Replaces the event with the same id; `undefined` when it is gone. */
  replaceEvent(user: DemoUser, event: DemoEvent): { version: number } | undefined;
  /** `undefined` when there was nothing to delete, in which case the version stays put. */
  deleteEvent(user: DemoUser, idOrPk: string): { version: number } | undefined;
  /** Restores every user's sample data and empties the server's range cache. */
  reset(): void;
}

const userKey = (user: DemoUser): string => `${STORAGE_PREFIX}db:${user}`;

/**
 * The backend's data store. Nothing is cached in memory: every call reads storage afresh, because
 * another tab may have written it since.
 */
export function createDemoDb(options: DemoDbOptions = {}): DemoDb {
  const storage = options.storage ?? defaultStorage();

  const seeded = (user: DemoUser, version: number): UserRecord => {
    const events = generateSampleEvents({ user, today: options.today ?? new Date(), seed: options.seed, count: options.count });
    return { version, nextPk: events.length + 1, events };
  };

  const load = (user: DemoUser): UserRecord => {
    const stored = readJson(storage, userKey(user));
    if (isUserRecord(stored)) return stored;
    const record = seeded(user, 1);
    writeJson(storage, userKey(user), record);
    return record;
  };

  const commit = (user: DemoUser, record: UserRecord, events: DemoEvent[], nextPk = record.nextPk): number => {
    const version = record.version + 1;
    writeJson(storage, userKey(user), { version, nextPk, events } satisfies UserRecord);
    return version;
  };

  return {
    version: (user) => load(user).version,

    listEvents(user, range) {
      const record = load(user);
      const events = record.events.filter((event) => overlaps(event, range)).sort(byStart);
      return { version: record.version, events };
    },

    findEvent: (user, idOrPk) => load(user).events.find(matches(idOrPk)),

    createEvent(user, input) {
      const record = load(user);
      const event: DemoEvent = { ...input, id: formatEventId(input.kind, record.nextPk) };
      const version = commit(user, record, [...record.events, event], record.nextPk + 1);
      return { version, event };
    },

    replaceEvent(user, event) {
      const record = load(user);
      if (!record.events.some((existing) => existing.id === event.id)) return undefined;
      const events = record.events.map((existing) => (existing.id === event.id ? event : existing));
      return { version: commit(user, record, events) };
    },

    deleteEvent(user, idOrPk) {
      const record = load(user);
      const events = record.events.filter((event) => !matches(idOrPk)(event));
      if (events.length === record.events.length) return undefined;
      return { version: commit(user, record, events) };
    },

    reset() {
      for (const user of DEMO_USERS) {
        const previous = readJson(storage, userKey(user));
        // Carry the counter on: clients holding version n must see a change, never n again.
        const version = isUserRecord(previous) ? previous.version + 1 : 1;
        writeJson(storage, userKey(user), seeded(user, version));
      }
      storage.removeItem(RANGE_CACHE_KEY);
    },
  };
}

/** Restores the sample data for every user, bumping their versions so clients refetch. */
export function resetDemoData(options: DemoDbOptions = {}): void {
  createDemoDb(options).reset();
}

function matches(idOrPk: string): (event: DemoEvent) => boolean {
  if (/^\d+$/.test(idOrPk)) return (event) => primaryKeyOf(event.id) === Number(idOrPk);
  return (event) => event.id === idOrPk;
}

function overlaps(event: DemoEvent, range: TimeRange): boolean {
  const start = parseIso(event.start);
  if (start === undefined) return false;
  const end = effectiveEnd(start, event.end === undefined ? undefined : parseIso(event.end), event.allDay ?? isDateOnly(event.start));
  return start < range.end && end > range.start;
}

function byStart(a: DemoEvent, b: DemoEvent): number {
  return (parseIso(a.start) ?? 0) - (parseIso(b.start) ?? 0) || a.id.localeCompare(b.id);
}

function isUserRecord(value: unknown): value is UserRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Partial<Record<keyof UserRecord, unknown>>;
  return Number.isSafeInteger(record.version) && Number.isSafeInteger(record.nextPk) && Array.isArray(record.events);
}
