/**
 * Everything the demo takes from nostale, in one place: the client, its store, tab sync,
 * optimistic mutations and deploy awareness. The rest of the demo is plain UI.
 *
 * The demo imports the library's sources (`../../src/…`) so it runs without a build; an app
 * would import `nostale`, `nostale/idb`, `nostale/sync`, `nostale/mutate`, `nostale/fullcalendar`
 * and `nostale/sw`.
 */
import { createClient, type Client, type Store } from '../../src/index';
import { createCalendarAdapter, type CalendarAdapter } from '../../src/fullcalendar';
import { idbStore, tieredStore, type IdbStore } from '../../src/idb';
import { withMutations, type Mutate } from '../../src/mutate';
import { syncTabs } from '../../src/sync';
import { watchDeploys, type DeployUpdate, type DeployWatcher } from '../../src/sw';
import { buildOf, CACHE_DB, eventUrl, feedUrl, scopeOf, versionUrlTemplate, workerUrl, type DemoUser } from './config';

export type DemoClient = Client & { mutate: Mutate };

export interface DemoClientOptions {
  user: DemoUser;
  /** The build this page runs: entries of other builds are never served. */
  build: string;
}

export interface DemoNostale {
  client: DemoClient;
  /** The persistent tier (IndexedDB), for the panel and the test hook. */
  persistent: IdbStore;
  /** The client's store (memory over IndexedDB): the panel reads when a saved copy was made. */
  store: Store;
  /** The FullCalendar source and optimistic delete of a user's calendar. */
  calendarFor(user: DemoUser): CalendarAdapter;
  /** Stops tab sync (before a reload, so nothing echoes to the other tabs). */
  stopSync(): void;
}

/** The app's one client. */
export function createDemoClient({ user, build }: DemoClientOptions): DemoNostale {
  // A memory tier over IndexedDB. The database is the cache's own: the mock backend keeps its
  // data in localStorage. Opened by a new build, it drops the old build's entries at once.
  const persistent = idbStore({ name: CACHE_DB, build });
  const store = tieredStore(persistent, { build, maxEntries: 500 });
  const client = withMutations(
    createClient({
      namespace: user,
      build,
      store,
      // Every feed URL of a user is one scope, whose version one cheap request checks.
      routes: [{ match: '*/api/users/:user/events*', scope: 'calendar:{user}', versionUrl: versionUrlTemplate }],
    }),
  );
  const stopSync = syncTabs(client, { name: 'nostale-demo' });

  const adapters = new Map<DemoUser, CalendarAdapter>();
  const calendarFor = (name: DemoUser) => {
    let adapter = adapters.get(name);
    if (!adapter) {
      adapter = createCalendarAdapter(client, {
        id: `calendar-${name}`,
        scope: scopeOf(name),
        url: ({ start, end }) => feedUrl(name, start, end),
        deleteUrl: (id) => eventUrl(name, id),
      });
      adapters.set(name, adapter);
    }
    return adapter;
  };
  return { client, persistent, store, calendarFor, stopSync };
}

export interface BuildWatcherOptions {
  /** The build this page runs. */
  running: string;
  /** A new build's worker is installed and waiting for the user. */
  onUpdateReady(build: string): void;
  /** The applied build controls this tab: purge what the old build cached, before the reload. */
  onActivated(): Promise<void>;
  onWarning(message: string): void;
}

export interface BuildWatcher {
  /** Follows the worker of `build` (`sw.js?build=<id>`): registered, it installs and waits. */
  watch(build: string): void;
  /** Lets the waiting build take over; the page reloads once it controls it. */
  apply(): Promise<void>;
}

/**
 * Deploy awareness (`nostale/sw`) for builds that live in the worker's URL. `watchDeploys` follows
 * one script URL; a deploy here is a new URL, so each deployed build gets its own watcher, which
 * registers it: the browser installs it next to the running worker, where it waits.
 */
export function watchBuilds(options: BuildWatcherOptions): BuildWatcher {
  let watcher: DeployWatcher | undefined;
  let watched: string | undefined;
  let waiting: DeployUpdate | undefined;
  return {
    watch(build) {
      if (build === watched) return;
      watcher?.stop();
      watched = build;
      watcher = watchDeploys({
        scriptUrl: workerUrl(build),
        // Builds are found through the deployed build id, not by polling the script.
        checkInterval: 0,
        onUpdateReady(update) {
          waiting = update;
          options.onUpdateReady(buildOf(update.worker.scriptURL) ?? build);
        },
        onActivated: options.onActivated,
        onWarning: (warning) => options.onWarning(warning.message),
      });
    },
    apply: () => (waiting ? waiting.apply() : Promise.reject(new Error('No update is waiting'))),
  };
}
