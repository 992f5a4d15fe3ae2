import type { DemoUser, EventKind } from './model';

/**
 * Titles that break naive rendering. They sit on "today" so the first screen of the demo shows
 * whether the calendar escapes them: quotes, a script tag, an already-escaped entity that must
 * stay literal, and emoji (surrogate pairs and a ZWJ sequence).
 */
export const PROBE_TITLES: readonly (readonly [EventKind, string])[] = [
  ['work-item', 'Fix the "Save" button'],
  ['coordination-event', "1:1 with D'Angelo"],
  ['work-item', '<script>alert(1)</script>'],
  ['staff-task', 'Tom &amp; Jerry: literal entity'],
  ['coordination-event', 'Launch party 🚀🎉 👩‍💻'],
];

const TITLES: Record<EventKind, readonly string[]> = {
  'work-item': [
    'Review "Q3 roadmap" draft',
    "Refactor O'Brien's parser",
    'Migrate R&amp;D wiki',
    'Fix <b>bold</b> leaking into emails',
    'Ship release 🚢',
    'Triage bugs 🐛',
    'Write "getting started" guide',
    'Profile slow <img src=x onerror=alert(1)> upload',
  ],
  'coordination-event': [
    'Stand-up ☕',
    'Sync with "Platform" team',
    "Retro: what we'd change",
    'Planning &amp; estimation',
    'Design review 🎨',
    'Customer call — Zoë & Åsa',
  ],
  'staff-task': ['Submit timesheet ⏱️', 'Order "ergonomic" chairs', "Book O'Reilly training ✈️", 'Renew badge <access>', 'Expense report 💶'],
};

/** bob's data is visibly his, so a test or a person can tell the two scopes apart at a glance. */
const PREFIX: Record<DemoUser, string> = { alice: '', bob: '[Bob] ' };

export function titleFor(user: DemoUser, base: string, pk: number): string {
  return `${PREFIX[user]}${base} #${pk}`;
}

export function titlesFor(kind: EventKind): readonly string[] {
  return TITLES[kind];
}
