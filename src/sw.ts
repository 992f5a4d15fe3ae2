import * as workboxWindow from 'workbox-window';
import { explainedTimeoutError, usageError } from './core/errors.js';

// Bundlers take workbox-window's ES module, where `Workbox` is a named export. Node's ESM loader
// takes its UMD `main`, whose exports it cannot list, so there the class sits on `default`: reading
// both keeps `import('nostale/sw')` working in SSR frameworks and Vitest.
const { Workbox } = (workboxWindow.Workbox ? workboxWindow : Reflect.get(workboxWindow, 'default')) as typeof workboxWindow;

/** A new build whose service worker is installed and waiting to take over. */
export interface DeployUpdate {
  /** The waiting service worker. */
  readonly worker: ServiceWorker;
  /** Same as the watcher's `applyUpdate()`: activates the newest waiting build, then reloads. */
  apply(): Promise<void>;
}

/** Something `watchDeploys` could not do; the page goes on without it. */
export interface DeployWarning {
  /**
   * `no-service-worker`: the browser or context has none (not a secure context, private mode);
   * `register-failed`: `register()` rejected (script missing, syntax error, scope not allowed);
   * `purge-failed`: `onActivated` threw or rejected (the page reloads anyway).
   */
  code: 'no-service-worker' | 'register-failed' | 'purge-failed';
  /** What happened, for a log. */
  message: string;
  /** The error behind it, if any. */
  error?: unknown;
}

export interface WatchDeploysOptions {
  /** URL of the app's service worker script, as given to `navigator.serviceWorker.register`. */
  scriptUrl: string;
  /** Registration scope. Default: the script's folder (a wider one needs `Service-Worker-Allowed`). */
  scope?: string;
  /**
   * How often to ask the server for a new service worker script, in ms. Default 60 minutes;
   * 0 turns periodic checks off. Browsers also check on navigations, but a tab left open for
   * days navigates rarely, and an app that never reloads would never see a deploy.
   */
  checkInterval?: number;
  /**
   * Called once per new build, when its worker is installed and waiting: show "a new version is
   * available" and call `update.apply()` when the user accepts. Called whether workbox-window
   * judged the worker "external" or not.
   */
  onUpdateReady?: (update: DeployUpdate) => void;
  /**
   * Called in the tab that applied the update, once the new worker controls it and before the
   * reload: purge what the old build cached (`() => client.clear()`, or the store's build purge).
   * Awaited. Other tabs only reload: they must not purge what the reloaded tab already writes.
   */
  onActivated?: () => void | Promise<void>;
  /**
   * Called when a new build took control of this tab: in the tab that applied it (after
   * `onActivated`) and in every other controlled tab. Default `location.reload()`. Replace it to
   * ask the user first, or to save unsent input.
   */
  reload?: () => void;
  /** Told when deploy awareness is unavailable or a step failed. Default: `console.warn`. */
  onWarning?: (warning: DeployWarning) => void;
}

export interface DeployWatcher {
  /** The registration, or undefined when service workers are unavailable or registering failed. */
  readonly registration: Promise<ServiceWorkerRegistration | undefined>;
  /**
   * Asks the server for a new service worker script now (`registration.update()`). Resolves once
   * the check is done: a new build found is then installing, and `onUpdateReady` follows when it
   * is installed. Rejects when the check fails (offline, script missing). Concurrent calls share one check.
   */
  check(): Promise<void>;
  /**
   * Tells the waiting worker to take over (`{ type: 'SKIP_WAITING' }`); once it controls the
   * page, runs `onActivated` and reloads. Rejects with a `NostaleError` when no update is waiting,
   * or with a `TimeoutError` when the worker has not taken control after 10 s: it most likely
   * lacks the `SKIP_WAITING` handler (see docs/deploys.md). If it takes control later, the purge
   * and reload still happen.
   */
  applyUpdate(): Promise<void>;
  /** Stops checking, reporting and reloading. The service worker stays registered. */
  stop(): void;
}

const noUpdateWaiting = () => usageError('nostale/sw: no update is waiting');

/** How long a freshly installed worker may take to move on by itself (it skips waiting); as workbox-window. */
const SETTLE_MS = 200;
const APPLY_TIMEOUT_MS = 10_000;

/**
 * Registers the app's service worker with workbox-window and tells the app about new builds:
 * when one is waiting (`onUpdateReady`), and when it took over (`onActivated`, then a reload).
 *
 * workbox-window alone misses deploys: once it has seen an update it judges "external", it stops
 * listening for `updatefound`, so the next builds in the same tab never fire `waiting`
 * (GoogleChrome/workbox#3285). So this also watches the registration itself, and reports each
 * waiting worker once, whichever of the two noticed it first.
 */
export function watchDeploys(options: WatchDeploysOptions): DeployWatcher {
  const warn = (code: DeployWarning['code'], message: string, error?: unknown) =>
    (options.onWarning ?? ((w: DeployWarning) => console.warn(`nostale/sw: ${w.message}`, w.error ?? '')))({ code, message, error });

  let container: ServiceWorkerContainer | undefined;
  try {
    container = typeof navigator === 'undefined' ? undefined : navigator.serviceWorker;
  } catch {
    // Some browsers throw instead of answering undefined (cookies blocked, opaque origins).
  }
  if (!container) {
    warn('no-service-worker', 'Service workers are not available here: deploys will not be noticed.');
    return {
      registration: Promise.resolve(undefined),
      check: async () => {},
      applyUpdate: () => Promise.reject(noUpdateWaiting()),
      stop: () => {},
    };
  }
  const sw = container;
  const reload = options.reload ?? (() => location.reload());
  const wb = new Workbox(options.scriptUrl, options.scope === undefined ? {} : { scope: options.scope });

  const reported = new WeakSet<ServiceWorker>();
  const cleanups = new Set<() => void>();
  let registration: ServiceWorkerRegistration | undefined;
  let stopped = false;
  /** This tab asked the waiting worker to take over: it purges before reloading. */
  let applying = false;
  let swapping = false;
  let applied: (() => void)[] = [];
  let controller = sw.controller;

  const report = (worker: ServiceWorker | null | undefined) => {
    // `installed` is the waiting state; a worker that moved on (activating, redundant) is no offer.
    if (!worker || stopped || reported.has(worker) || worker.state !== 'installed') return;
    reported.add(worker);
    try {
      options.onUpdateReady?.({ worker, apply: applyUpdate });
    } catch (error) {
      // The app's bug must surface, but not as a failed registration or a lost listener.
      setTimeout(() => {
        throw error;
      });
    }
  };

  /** Follows a worker the registration found, and reports it once it waits. */
  const track = (found: ServiceWorker | null) => {
    if (!found || stopped) return;
    const worker = found;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(timer);
      worker.removeEventListener('statechange', onState);
      cleanups.delete(done);
    };
    function onState() {
      if (worker.state === 'installed') {
        timer = setTimeout(() => {
          done();
          report(worker);
        }, SETTLE_MS);
      } else if (worker.state !== 'installing') done();
    }
    worker.addEventListener('statechange', onState);
    cleanups.add(done);
    if (worker.state === 'installed') onState();
  };

  const onUpdateFound = () => track(registration?.installing ?? null);
  const onWaiting = (event: { sw?: ServiceWorker }) => report(event.sw ?? registration?.waiting);

  const onControllerChange = () => {
    const previous = controller;
    controller = sw.controller;
    // A first worker claiming a page that had none is an install, not a deploy: the page
    // already runs the build it serves.
    if (stopped || swapping || (!previous && !applying)) return;
    swapping = true;
    void (async () => {
      if (applying) {
        try {
          await options.onActivated?.();
        } catch (error) {
          warn('purge-failed', 'onActivated failed; reloading anyway.', error);
        }
      }
      const waiters = applied;
      applied = [];
      applying = false;
      swapping = false;
      reload();
      for (const resolve of waiters) resolve();
    })();
  };

  wb.addEventListener('waiting', onWaiting);
  sw.addEventListener('controllerchange', onControllerChange);

  const registered = (async () => {
    try {
      const reg = await wb.register();
      if (!reg || stopped) return reg;
      registration = reg;
      reg.addEventListener('updatefound', onUpdateFound);
      track(reg.installing);
      // Left waiting by an earlier visit, or found by another tab.
      report(reg.waiting);
      return reg;
    } catch (error) {
      warn('register-failed', `Could not register ${options.scriptUrl}: deploys will not be noticed.`, error);
      return undefined;
    }
  })();

  let checking: Promise<void> | undefined;
  function check(): Promise<void> {
    checking ??= (async () => {
      if (await registered) await wb.update();
    })().finally(() => (checking = undefined));
    return checking;
  }

  async function applyUpdate(): Promise<void> {
    const reg = await registered;
    if (!reg?.waiting) throw noUpdateWaiting();
    applying = true;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          explainedTimeoutError(
            options.scriptUrl,
            APPLY_TIMEOUT_MS,
            'nostale/sw: the new service worker did not take control. Does it call self.skipWaiting() on { type: "SKIP_WAITING" }?',
          ),
        );
      }, APPLY_TIMEOUT_MS);
      applied.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    wb.messageSkipWaiting();
    return done;
  }

  const interval = options.checkInterval ?? 60 * 60_000;
  // Offline is the usual reason a periodic check fails, and the next tick tries again.
  const ticker = interval > 0 ? setInterval(() => check().catch(() => undefined), interval) : undefined;

  return {
    registration: registered,
    check,
    applyUpdate,
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(ticker);
      wb.removeEventListener('waiting', onWaiting);
      sw.removeEventListener('controllerchange', onControllerChange);
      registration?.removeEventListener('updatefound', onUpdateFound);
      for (const cleanup of cleanups) cleanup();
    },
  };
}
