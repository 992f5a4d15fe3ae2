import './styles.css';
import { resetDemoData } from '../mock/db';
import { CONTROLS_KEY } from '../mock/controls';
import { MutationError } from '../../src/mutate';
import { HttpError, NetworkError } from '../../src/errors';
import { createCalendar } from './calendar';
import {
  clearOnSwitch,
  currentUser,
  DEPLOYED_BUILD_KEY,
  deployedBuild,
  deployNextBuild,
  runningBuild,
  saveClearOnSwitch,
  saveUser,
  scopeOf,
  type DemoUser,
} from './config';
import { h } from './dom';
import { startMock } from './mock';
import { createDemoClient, watchBuilds } from './nostale';
import { createPanel } from './panel';
import { createAlert, createControls, createEventDialog, createUpdateBanner } from './ui';

const running = runningBuild();
let user: DemoUser = currentUser();

// 1. The mock backend, in this page, behind the app's service worker.
const backend = startMock(running);

// 2. nostale: one client per page, namespaced by user, stamped with the running build.
const { client, persistent, calendarFor, stopSync } = createDemoClient({ user, build: running });

// 3. The UI.
const alert = createAlert();
const banner = createUpdateBanner(() =>
  deploys.apply().catch((error: unknown) => alert.show(`The update did not apply: ${reason(error)}`, 'deploy')),
);
const dialog = createEventDialog((event) => void remove(event.id, event.title));
const controls = createControls(
  { user, clearOnSwitch: clearOnSwitch() },
  {
    switchUser,
    setClearOnSwitch: saveClearOnSwitch,
    openTab: () => window.open(location.href, '_blank'),
    simulateDeploy,
    resetData,
    invalidate: () => void client.invalidate({ scope: scopeOf(user) }),
  },
);
// The panel re-renders once per frame at most; the controls follow the mock's settings with it
// ("fail next" clears itself once a request consumed it).
const panel = createPanel(client, () => controls.sync());
const status = h('p', { class: 'status', 'data-testid': 'status', 'aria-live': 'polite' }, 'Starting the mock backend…');
const calendarEl = h('div', { class: 'calendar', 'data-testid': 'calendar' });

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
        h(
          'p',
          {},
          'a caching fetch client that never shows stale data. Delete an event, switch user, go offline, open a second tab, deploy: the panel shows what the cache does.',
        ),
        controls.build,
      ),
      controls.el,
    ),
    banner.el,
    alert.el,
    h('main', { class: 'layout' }, h('section', { class: 'calendar-card' }, status, calendarEl), panel.el),
    dialog.el,
  );

let settleFirstFetch: () => void = () => undefined;
const firstFetch = new Promise<void>((resolve) => (settleFirstFetch = resolve));

const view = createCalendar(calendarEl, {
  onEventClick: (event) => dialog.open(event),
  onLoading: (loading) => {
    calendarEl.classList.toggle('is-loading', loading);
    if (loading) status.textContent = `Loading ${user}'s calendar…`;
  },
  onFetched: (outcome) => {
    settleFirstFetch();
    if (outcome.ok) {
      status.textContent = `${user}'s calendar: ${outcome.count} event${outcome.count === 1 ? '' : 's'} this view.`;
      alert.hide('load');
    } else {
      status.textContent = `Could not load ${user}'s calendar.`;
      // With a cached copy, nostale would have answered (stale-if-error): there is none.
      alert.show(`Could not load ${user}'s calendar: ${reason(outcome.error)}, and nothing cached covers these dates.`, 'load');
    }
  },
});
view.calendar.render();

// The calendar follows the cache: a scope version learned from a mutation or another tab, a local
// invalidation, a cleared cache. Versions learned by a read need nothing: that read already
// brings the new data.
client.subscribe((event) => {
  if (event.type === 'version' && (event.origin === 'mutation' || event.origin === 'remote' || event.origin === 'local')) view.refresh();
  else if (event.type === 'clear') view.refresh();
  else if (event.type === 'invalidate' && event.origin === 'remote') view.refresh();
  panel.invalidate();
});

/** Gone from the view at once; the server's answer commits it or puts it back. */
async function remove(id: string, title: string) {
  alert.hide();
  try {
    await calendarFor(user).removeEvent(view.calendar, id);
  } catch (error) {
    alert.show(`Could not delete “${title}”: ${reason(error)}. It is back on the calendar.`, 'delete');
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
  panel.note(`user ${previous} → ${next}${clearOnSwitch() ? ` (cleared ${previous}'s cache)` : ''}`);
  alert.hide();
  view.show(calendarFor(next).source);
}

async function resetData() {
  resetDemoData();
  await client.clear();
  panel.note('demo data reset, cache cleared');
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
  await backend;
  await client.ready;
  await persistent.ready;
  panel.note(
    `build ${running}, user ${user}, cache: memory over ${persistent.status === 'idb' ? 'IndexedDB' : 'nothing (IndexedDB unavailable)'}`,
  );
  view.show(calendarFor(user).source);
  deploys.watch(deployedBuild());
  await firstFetch;
})();
ready.catch((error: unknown) => {
  status.textContent = 'The mock backend did not start.';
  alert.show(`The mock backend did not start: ${reason(error)}`, 'boot');
});

window.__nostaleDemo = { client, calendar: view.calendar, ready, build: { running, deployed: deployedBuild } };
