import type { Deleted } from './config';
import { h, setText } from './dom';

export interface StoryActions {
  /** Previous month, then back: both calendars read the month again. */
  backAndForth(): void;
  reload(): void;
  openTab(): void;
}

/** Where the last deleted event stands on one calendar: shown, gone, or not in the month shown. */
export type Presence = 'shown' | 'gone' | 'elsewhere';

export interface Story {
  el: HTMLElement;
  /** Redraws the verdict for the last delete (none: hidden). */
  show(deleted: Deleted | undefined, naive: Presence, nostale: Presence): void;
}

/** The guided "try this" strip: four steps, and after a delete what each calendar shows. */
export function createStory(actions: StoryActions): Story {
  const step = (text: string, ...controls: HTMLElement[]) => h('li', {}, h('span', {}, text), ...controls);
  const button = (label: string, testId: string, onclick: () => void, title: string) =>
    h('button', { type: 'button', 'data-testid': testId, title, onclick }, label);

  const what = h('span', { 'data-testid': 'verdict-event' });
  const naive = h('span', { 'data-testid': 'verdict-naive' });
  const nostale = h('span', { 'data-testid': 'verdict-nostale' });
  const verdict = h('p', { class: 'verdict', 'data-testid': 'verdict', 'aria-live': 'polite', hidden: true }, what, naive, nostale);

  const el = h(
    'section',
    { class: 'story', 'aria-labelledby': 'story-title', 'data-testid': 'story' },
    h('h2', { id: 'story-title' }, 'Try this'),
    h(
      'ol',
      {},
      step('Click an event in either calendar and delete it.'),
      step(
        'Go to the previous month and back:',
        button('◀ then ▶', 'back-and-forth', actions.backAndForth, 'Shows the previous month, then this one again, in both calendars'),
      ),
      step('Reload the page:', button('Reload', 'reload', actions.reload, 'A plain reload, as a person would')),
      step(
        'Open a second tab:',
        button('Open another tab', 'open-tab', actions.openTab, 'The same app in a new tab; the two follow each other live (nostale/sync)'),
      ),
    ),
    h('p', { class: 'story-result' }, 'The calendar without nostale shows the deleted event again. The one with nostale never does.'),
    verdict,
  );

  const words: Record<Presence, string> = { shown: 'shows it again ✗', gone: 'gone ✓', elsewhere: 'not in the month shown' };
  return {
    el,
    show(deleted, naiveSide, nostaleSide) {
      verdict.hidden = deleted === undefined;
      if (!deleted) return;
      setText(what, `You deleted “${deleted.title}”.`);
      setText(naive, `Without nostale: ${words[naiveSide]}`);
      setText(nostale, `With nostale: ${words[nostaleSide]}`);
      naive.className = `presence-${naiveSide}`;
      nostale.className = `presence-${nostaleSide}`;
    },
  };
}
