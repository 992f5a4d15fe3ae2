import './styles.css';
import type { EventApi } from '@fullcalendar/core';
import { resetDemoData } from '../mock/db';
import { CONTROLS_KEY } from '../mock/controls';
import { HttpError, NetworkError } from '../../src/index';
import { MutationError } from '../../src/mutate';
import { createCalendar, type DemoCalendar } from './calendar';
import {
  backend,
  clearOnSwitch,
  currentUser,
  type Deleted,
  DELETED_KEY,
  DEPLOYED_BUILD_KEY,
  deployedBuild,
  deployNextBuild,
  lastDeleted,
  runningBuild,
  saveClearOnSwitch,
  saveLastDeleted,
  saveUser,
  scopeOf,
  type DemoUser,
} from './config';
import { h } from './dom';
import { startMock } from './mock';
import { answeredBy, naiveSource } from './naive/calendar';
import { clearHttpCache } from './naive/httpCache';
import { createDemoClient, watchBuilds } from './nostale';
import { createPanel } from './panel';
import { createStory, type Presence } from './story';
import { createAlert, createControls, createEventDialog, createUpdateBanner } from './ui';

const running = runningBuild();
let user: DemoUser = currentUser();

// 1. The backend: the mock, in this page, behind the app's service worker; or a real server.
const backendReady = backend.mock ? startMock(running) : Promise.resolve();

// 2. nostale: one client per page, namespaced by user, stamped with the running build.
const { client, persistent, store, calendarFor, stopSync } = createDemoClient({ user, build: running });

// 3. The UI.
const alert = createAlert();
const banner = createUpdateBanner(() =>
  deploys.apply().catch((error: unknown) => alert.show(`The update did not apply: ${reason(error)}`, 'deploy')),
);
/** The calendar whose event the dialog shows: the focus goes back there. */
let dialogFrom: DemoCalendar | undefined;
const dialog = createEventDialog(
  (event) => void remove(event),
  (event) => dialogFrom?.focusEvent(event.id, event.start, event.end),
);
const controls = createControls(
  { user, clearOnSwitch: clearOnSwitch() },
  {
    switchUser,
    setClearOnSwitch: saveClearOnSwitch,
    simulateDeploy,
    resetData,
    invalidate: () => void client.invalidate({ scope: scopeOf(user) }),
  },
);
const story = createStory({
  backAndForth,
  reload: () => location.reload(),
  openTab: () => window.open(location.href, '_blank'),
});
// The panel re-renders once per frame at most; the controls follow the mock's settings with it
// ("fail next" clears itself once a request consumed it).
const panel = createPanel(client, store, {
  extra: () => controls.sync(),
  titleOf: (id) => view.calendar.getEventById(id)?.title ?? naiveView.calendar.getEventById(id)?.title,
});

const status = h('p', { class: 'status', 'data-testid': 'status', 'aria-live': 'polite' }, 'Starting the mock backend…');
const calendarEl = h('div', { class: 'calendar', 'data-testid': 'calendar' });
const naiveStatus = h('p', { class: 'status', 'data-testid': 'naive-status', 'aria-live': 'polite' }, 'Starting the mock backend…');
const naiveAnswer = h('p', { class: 'answered-by', 'data-testid': 'naive-answered-by' });
const naiveEl = h('div', { class: 'calendar', 'data-testid': 'naive-calendar' });

const side = (kind: 'naive' | 'nostale', title: string, about: string | HTMLElement, ...children: HTMLElement[]) =>
  h(
    'section',
    { class: `side side-${kind}`, 'aria-labelledby': `side-${kind}`, 'data-testid': `side-${kind}` },
    h('h2', { id: `side-${kind}` }, title),
    typeof about === 'string' ? h('p', { class: 'about' }, about) : about,
    ...children,
  );

const naiveAbout = h(
  'details',
  { class: 'about', 'data-testid': 'naive-about' },
  h('summary', {}, "Written as the post-mortems' apps were. Plain code in demo/src/naive/, not part of nostale. What it does:"),
  h(
    'ul',
    {},
    h(
      'li',
      {},
      "Leaves the browser's HTTP cache on: the feed says max-age=300. Simulated: the mock answers from a service worker, whose responses never enter Chromium's HTTP cache, so the page keeps them by URL for max-age, across reloads and tabs.",
    ),
    h(
      'li',
      {},
      'Reads through a server cache keyed by date range. A delete drops its month (Dec 1 – Jan 1); the calendar asks for the 6-week grid (Nov 29 – Jan 3), which stays.',
    ),
    h('li', {}, 'Never checks a version, and applies every answer as it lands.'),
  ),
);

document
  .getElementById('app')!
  .replaceChildren(
    h(
      'header',
      { class: 'top' },
      h(
        'div',
        { class: 'brand' },
        h('h1', {}, 'nostale'),
        h('p', {}, 'keeps browser apps from showing stale data. Same backend, same calendar, two ways of reading it:'),
        controls.build,
      ),
      story.el,
      controls.el,
    ),
    banner.el,
    alert.el,
    h(
      'main',
      { class: 'layout' },
      h(
        'div',
        { class: 'compare' },
        side('naive', 'Without nostale', naiveAbout, naiveStatus, naiveAnswer, naiveEl),
        side(
          'nostale',
          'With nostale',
          'The same app through nostale: a saved copy is shown only once its data version is confirmed; a delete goes at once and the server confirms it.',
          status,
          calendarEl,
        ),
      ),
      panel.el,
    ),
    dialog.el,
  );

/** Fetches each calendar settled since the last "previous month and back" started. */
let returning: { naive: boolean; nostale: boolean } | undefined;
let settleFirstFetch: () => void = () => undefined;
let settleNaiveFirstFetch: () => void = () => undefined;
const firstFetches = Promise.all([
  new Promise<void>((resolve) => (settleFirstFetch = resolve)),
  new Promise<void>((resolve) => (settleNaiveFirstFetch = resolve)),
]).then(() => undefined);

const countText = (count: number) => `${user}'s calendar: ${count} event${count === 1 ? '' : 's'} this view.`;
let loaded = false;
let naiveLoaded = false;

const view = createCalendar(calendarEl, {
  onEventClick: (event) => openDialog(event, view),
  onLoading: (loading) => {
    calendarEl.classList.toggle('is-loading', loading);
    if (loading && !loaded) status.textContent = `Loading ${user}'s calendar…`;
  },
  onCount: (count) => {
    if (loaded) status.textContent = countText(count);
    updateStory();
  },
  onDates: (start) => naiveView.follow(start),
  onFetched: (outcome) => {
    settleFirstFetch();
    loaded = outcome.ok;
    if (outcome.ok) {
      status.textContent = countText(outcome.count);
      alert.hide('load');
    } else {
      status.textContent = `Could not load ${user}'s calendar.`;
      // With a cached copy, nostale would have answered (stale-if-error): there is none.
      alert.show(`Could not load ${user}'s calendar: ${reason(outcome.error)}, and nothing cached covers these dates.`, 'load');
    }
    returned('nostale');
  },
});

const naiveView: DemoCalendar = createCalendar(naiveEl, {
  onEventClick: (event) => openDialog(event, naiveView),
  onLoading: (loading) => {
    naiveEl.classList.toggle('is-loading', loading);
    if (loading && !naiveLoaded) naiveStatus.textContent = `Loading ${user}'s calendar…`;
  },
  onCount: (count) => {
    if (naiveLoaded) naiveStatus.textContent = countText(count);
    updateStory();
  },
  onDates: (start) => view.follow(start),
  // The event you deleted, shown again: marked, so you see where.
  onEventMount: (event, el) => {
    const deleted = lastDeleted();
    if (deleted?.id !== event.id || deleted.user !== user) return;
    el.classList.add('came-back');
    el.title = `${event.title}: deleted, and shown again from this calendar's caches`;
  },
  onFetched: (outcome) => {
    settleNaiveFirstFetch();
    naiveLoaded = outcome.ok;
    if (outcome.ok) naiveStatus.textContent = countText(outcome.count);
    else {
      naiveStatus.textContent = `Could not load ${user}'s calendar: ${reason(outcome.error)}.`;
      naiveAnswer.textContent = '';
    }
    returned('naive');
  },
});
view.calendar.render();
naiveView.calendar.render();

const showNaive = (name: DemoUser) => naiveView.show(naiveSource(name, (answer) => (naiveAnswer.textContent = answeredBy(answer))));

function openDialog(event: EventApi, from: DemoCalendar) {
  dialogFrom = from;
  dialog.open(event);
}

function backAndForth() {
  returning = { naive: false, nostale: false };
  view.calendar.prev();
}

/** Once both calendars have read the previous month, back to this one. */
function returned(which: 'naive' | 'nostale') {
  if (!returning) return;
  returning[which] = true;
  if (returning.naive && returning.nostale) {
    returning = undefined;
    view.calendar.next();
  }
}

function presence(on: DemoCalendar, deleted: Deleted): Presence {
  if (on.calendar.getEventById(deleted.id)) return 'shown';
  const start = Date.parse(deleted.start);
  const end = Date.parse(deleted.end);
  const { activeStart, activeEnd } = on.calendar.view;
  return start < activeEnd.getTime() && end > activeStart.getTime() ? 'gone' : 'elsewhere';
}

function updateStory() {
  const deleted = lastDeleted();
  if (!deleted || deleted.user !== user) return story.show(undefined, 'gone', 'gone');
  story.show(deleted, presence(naiveView, deleted), presence(view, deleted));
}

// The calendar follows the cache: a scope version learned from a mutation or another tab, a local
// invalidation, a cleared cache. Versions learned by a read need nothing: that read already
// brings the new data.
client.subscribe((event) => {
  if (event.type === 'version' && (event.origin === 'mutation' || event.origin === 'remote' || event.origin === 'local')) view.refresh();
  else if (event.type === 'clear') view.refresh();
  else if (event.type === 'invalidate' && event.origin === 'remote') view.refresh();
  panel.invalidate();
});

/** Gone from the nostale calendar at once; the server's answer commits it or puts it back. */
async function remove(event: EventApi) {
  alert.hide();
  const start = event.start ?? new Date(0);
  const end = event.end ?? new Date(start.getTime() + 1);
  const deleted: Deleted = { user, id: event.id, title: event.title, start: start.toISOString(), end: end.toISOString() };
  try {
    await calendarFor(user).removeEvent(view.calendar, event.id);
    // What the app without nostale does once the server confirms: drop it from its own view.
    naiveView.calendar.getEventById(event.id)?.remove();
    saveLastDeleted(deleted);
    updateStory();
  } catch (error) {
    alert.show(`Could not delete “${event.title}”: ${reason(error)}. It is back on the calendar.`, 'delete');
  } finally {
    controls.sync();
  }
}

function switchUser(next: DemoUser) {
  if (next === user) return;
  const previous = user;
  user = next;
  saveUser(next);
  // Keys carry the namespace: bob's reads never see alice's entries, whatever the URLs.
  client.namespace = next;
  if (clearOnSwitch()) void client.clear({ namespace: previous });
  panel.note(`switched from ${previous} to ${next}${clearOnSwitch() ? `, ${previous}'s saved copies deleted` : ''}`);
  alert.hide();
  view.show(calendarFor(next).source);
  showNaive(next);
}

async function resetData() {
  resetDemoData();
  clearHttpCache();
  saveLastDeleted(undefined);
  await client.clear();
  naiveView.refresh();
  panel.note('demo data reset; both calendars start from nothing saved');
  alert.hide();
}

// Deploys: the build is part of the worker's URL. A new build installs and waits; the banner
// applies it; once it controls the page, the tab that applied it drops the old build's cache and
// every tab of the old build reloads.
const deploys = watchBuilds({
  running,
  onUpdateReady: (build) => {
    banner.show(build);
    panel.note(`build ${build} installed, waiting`);
  },
  onActivated: async () => {
    panel.note(`the new build took over: clearing build ${running}'s cache, reloading`);
    // Not told to the other tabs: they reload too, and may already write the new build's entries.
    stopSync();
    await client.clear();
  },
  onWarning: (message) => panel.note(message, 'bad'),
});

function simulateDeploy() {
  const next = deployNextBuild();
  controls.setBuild(running, next);
  panel.note(`deployed build ${next}`);
  deploys.watch(next);
}

window.addEventListener('storage', (event) => {
  if (event.key === CONTROLS_KEY) controls.sync();
  if (event.key === DELETED_KEY) updateStory();
  if (event.key === DEPLOYED_BUILD_KEY && event.newValue) {
    controls.setBuild(running, event.newValue);
    deploys.watch(event.newValue);
  }
});

function reason(error: unknown): string {
  if (error instanceof MutationError) {
    if (error.reason === 'http') return `the server answered ${error.status ?? 'an error'}`;
    if (error.reason === 'timeout') return 'the server did not answer in time';
    return 'the network is unreachable';
  }
  if (error instanceof HttpError) return `the server answered ${error.status}`;
  if (error instanceof NetworkError) return 'the network is unreachable';
  return error instanceof Error ? error.message : String(error);
}

controls.setBuild(running, deployedBuild());

const ready = (async () => {
  await backendReady;
  await client.ready;
  await persistent.ready;
  panel.note(
    `build ${running}, user ${user}; saved copies kept in memory${persistent.status === 'idb' ? ' and IndexedDB' : ' only (IndexedDB unavailable)'}`,
  );
  view.show(calendarFor(user).source);
  showNaive(user);
  deploys.watch(deployedBuild());
  await firstFetches;
})();
ready.catch((error: unknown) => {
  status.textContent = 'The mock backend did not start.';
  alert.show(`The mock backend did not start: ${reason(error)}`, 'boot');
});

window.__nostaleDemo = {
  client,
  calendar: view.calendar,
  naive: naiveView.calendar,
  ready,
  build: { running, deployed: deployedBuild },
};
