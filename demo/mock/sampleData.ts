import { DAY_MS, formatDateTime, formatDay, startOfUtcDay, startOfUtcMonth } from './dates';
import { formatEventId, type DemoEvent, type DemoUser, type EventKind } from './model';
import { createRandom, hash32, type Random } from './random';
import { PROBE_TITLES, titleFor, titlesFor } from './titles';

export interface SampleDataOptions {
  user: DemoUser;
  /** The events cluster around this date's UTC month. */
  today: Date;
  seed?: number;
  /** Events per user, the probe titles included. */
  count?: number;
}

export const DEFAULT_SEED = 1;
export const DEFAULT_EVENT_COUNT = 300;
/** Two months back and three ahead of the current one: enough to page around the month view. */
const MONTHS_BEFORE = 2;
const MONTHS_AFTER = 3;

/**
 * A user's sample events, deterministic for (user, today's UTC date, seed). Primary keys run
 * from 1, so the record's next pk is `events.length + 1`.
 */
export function generateSampleEvents(options: SampleDataOptions): DemoEvent[] {
  const { user, today } = options;
  const seed = options.seed ?? DEFAULT_SEED;
  const count = options.count ?? DEFAULT_EVENT_COUNT;
  const random = createRandom(hash32(`${seed}|${user}|${formatDay(today.getTime())}`));
  const todayMs = startOfUtcDay(today);
  const from = startOfUtcMonth(today, -MONTHS_BEFORE);
  const days = Math.round((startOfUtcMonth(today, MONTHS_AFTER + 1) - from) / DAY_MS);

  const events: DemoEvent[] = [];
  for (let pk = 1; pk <= count; pk++) {
    const probe = PROBE_TITLES[pk - 1];
    // Probes land on today, which also guarantees the current month is never empty.
    const kind = probe?.[0] ?? pickKind(random);
    const day = probe === undefined ? from + random.int(0, days - 1) * DAY_MS : todayMs;
    const base = probe?.[1] ?? random.pick(titlesFor(kind));
    events.push({ id: formatEventId(kind, pk), title: titleFor(user, base, pk), kind, ...timing(kind, day, random) });
  }
  return events;
}

function pickKind(random: Random): EventKind {
  const roll = random.next();
  if (roll < 0.5) return 'work-item';
  return roll < 0.8 ? 'coordination-event' : 'staff-task';
}

type Timing = Pick<DemoEvent, 'start' | 'end' | 'allDay'>;

/** Each kind has its own typical shape, and some events omit `end` as real feeds do. */
function timing(kind: EventKind, day: number, random: Random): Timing {
  switch (kind) {
    case 'work-item':
      return random.chance(0.3) ? allDay(day, random.int(1, 3)) : timed(day, random, [30, 60, 120, 180, 240]);
    case 'coordination-event':
      return random.chance(0.2) ? withoutEnd(timed(day, random, [30])) : timed(day, random, [30, 45, 60, 90]);
    case 'staff-task':
      return random.chance(0.5) ? withoutEnd(allDay(day, 1)) : allDay(day, 1);
  }
}

function allDay(day: number, lengthDays: number): Timing {
  return { start: formatDay(day), end: formatDay(day + lengthDays * DAY_MS), allDay: true };
}

function timed(day: number, random: Random, durationsMin: readonly number[]): Timing {
  const start = day + random.int(8 * 4, 16 * 4) * 15 * 60_000;
  const end = start + random.pick(durationsMin) * 60_000;
  return { start: formatDateTime(start), end: formatDateTime(end), allDay: false };
}

function withoutEnd({ start, allDay }: Timing): Timing {
  return { start, allDay };
}
