/**
 * WITHOUT NOSTALE. Not part of the library: the left calendar's data path, written the way the
 * post-mortems' apps were (docs/demo.md, "The two calendars"):
 *
 * - reads a feed the server lets the browser reuse for five minutes (`max-age=300`), through
 *   the browser HTTP cache (simulated: see httpCache.ts);
 * - that feed sits behind a server cache keyed by date range, which a delete invalidates by
 *   month while the calendar asks for six-week grids (demo/mock/rangeCache.ts);
 * - no version check: nothing tells it the data changed;
 * - whatever answer arrives is applied as it lands.
 *
 * A delete goes to the server once, for both calendars; this side then does what such an app
 * does: it removes the event from its view when the server confirms, and touches no cache.
 */
import type { EventSourceInput } from '@fullcalendar/core';
import type { DemoEvent } from '../../mock/model';
import { type DemoUser, naiveFeedUrl } from '../config';
import { cachedGet, type NaiveAnswer } from './httpCache';

/** The left calendar's event source for `user`; `onAnswer` learns who answered each read. */
export function naiveSource(user: DemoUser, onAnswer: (answer: NaiveAnswer) => void): EventSourceInput {
  return {
    id: `naive-${user}`,
    events: ({ start, end }, success, failure) => {
      cachedGet(naiveFeedUrl(user, start, end)).then(
        (answer) => {
          onAnswer(answer);
          success(JSON.parse(answer.body) as DemoEvent[]);
        },
        (error: unknown) => failure(error instanceof Error ? error : new Error(String(error))),
      );
    },
  };
}

/** The line under the calendar: who answered its last read, and how old that answer is. */
export function answeredBy(answer: NaiveAnswer): string {
  const at = new Date(answer.storedAt).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  switch (answer.from) {
    case 'http-cache':
      return `Answered by the browser's HTTP cache: a copy from ${at}, reused without asking the server (max-age=300).`;
    case 'server-cache':
      return `Answered by the server's range cache: a list made at ${at}, whatever changed since.`;
    case 'server':
      return 'Answered by the server, from its data.';
  }
}
