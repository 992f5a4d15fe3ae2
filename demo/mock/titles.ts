import type { DemoUser, EventKind } from './model';

/**
 * Titles that break naive rendering, all on today and labelled as probes so they read as tests,
 * not as a broken calendar: quotes, a script tag, an already-escaped entity that must stay
 * literal, markup, an `onerror` handler, and emoji (surrogate pairs and a ZWJ sequence).
 */
export const PROBE_PREFIX = 'Probe: ';

export const PROBE_TITLES: readonly (readonly [EventKind, string])[] = [
  ['work-item', `${PROBE_PREFIX}<script>alert(1)</script>`],
  ['coordination-event', `${PROBE_PREFIX}"quotes" & D'Angelo's 🚀 👩‍💻`],
  ['staff-task', `${PROBE_PREFIX}R&amp;D wiki`],
  ['work-item', `${PROBE_PREFIX}<b>bold</b>`],
  ['work-item', `${PROBE_PREFIX}<img src=x onerror=alert(1)>`],
];

/** Ordinary titles: quotes, apostrophes, ampersands and emoji as people type them. */
const TITLES: Record<EventKind, readonly string[]> = {
  'work-item': [
    'Review "Q3 roadmap" draft',
    "Refactor O'Brien's parser",
    'Migrate R&D wiki',
    'Fix bold text leaking into emails',
    'Ship release 🚢',
    'Triage bugs 🐛',
    'Write "getting started" guide',
    'Profile slow image upload',
  ],
  'coordination-event': [
    'Stand-up ☕',
    'Sync with "Platform" team',
    "Retro: what we'd change",
    'Planning & estimation',
    'Design review 🎨',
    'Customer call — Zoë & Åsa',
  ],
  'staff-task': ['Submit timesheet ⏱️', 'Order "ergonomic" chairs', "Book O'Reilly training ✈️", 'Renew access badge', 'Expense report 💶'],
};

/** bob's data is visibly his, so a test or a person can tell the two scopes apart at a glance. */
const PREFIX: Record<DemoUser, string> = { alice: '', bob: '[Bob] ' };

export function titleFor(user: DemoUser, base: string, pk: number): string {
  return `${PREFIX[user]}${base} #${pk}`;
}

export function titlesFor(kind: EventKind): readonly string[] {
  return TITLES[kind];
}
