import { DEMO_USERS, type DemoUser } from '../mock/model';
import { defaultStorage } from '../mock/storage';

export { DEMO_USERS, type DemoUser };

/**
 * The app's own keys. The mock backend keeps its data under `nostale-demo:` in localStorage;
 * nostale's cache lives in IndexedDB (`CACHE_DB`), so the two never touch.
 */
const USER_KEY = 'nostale-demo-app:user';
/** The last event deleted, so the try-this strip can tell after a reload or in another tab whether it is back. */
export const DELETED_KEY = 'nostale-demo-app:last-deleted';
const LOG_OUT_KEY = 'nostale-demo-app:clear-on-switch';
/** What the "server" has deployed. A real server would answer it; the mock keeps it here. */
export const DEPLOYED_BUILD_KEY = 'nostale-demo:deployed-build';
const INITIAL_BUILD = '1';
/** nostale's IndexedDB database (entries of one build at a time). */
export const CACHE_DB = 'nostale-demo-cache';

const storage = defaultStorage();

export function currentUser(): DemoUser {
  const stored = storage.getItem(USER_KEY);
  return (DEMO_USERS as readonly string[]).includes(stored ?? '') ? (stored as DemoUser) : 'alice';
}

export function saveUser(user: DemoUser): void {
  storage.setItem(USER_KEY, user);
}

export interface Deleted {
  user: DemoUser;
  id: string;
  title: string;
  /** When it was (ISO), to tell "gone" from "in another month". */
  start: string;
  end: string;
}

export function lastDeleted(): Deleted | undefined {
  try {
    const value = JSON.parse(storage.getItem(DELETED_KEY) ?? 'null') as Partial<Deleted> | null;
    return value &&
      typeof value.id === 'string' &&
      typeof value.title === 'string' &&
      typeof value.start === 'string' &&
      typeof value.end === 'string' &&
      (DEMO_USERS as readonly string[]).includes(value.user ?? '')
      ? (value as Deleted)
      : undefined;
  } catch {
    return undefined;
  }
}

export function saveLastDeleted(value: Deleted | undefined): void {
  if (value) storage.setItem(DELETED_KEY, JSON.stringify(value));
  else storage.removeItem(DELETED_KEY);
}

export function clearOnSwitch(): boolean {
  return storage.getItem(LOG_OUT_KEY) === 'true';
}

export function saveClearOnSwitch(value: boolean): void {
  storage.setItem(LOG_OUT_KEY, String(value));
}

export function deployedBuild(): string {
  const stored = storage.getItem(DEPLOYED_BUILD_KEY);
  return stored && /^\d+$/.test(stored) ? stored : INITIAL_BUILD;
}

/** "Deploys" the next build: what a CI pipeline would do. Returns the new id. */
export function deployNextBuild(): string {
  const next = String(Number(deployedBuild()) + 1);
  storage.setItem(DEPLOYED_BUILD_KEY, next);
  return next;
}

/** The service worker script of a build, next to index.html (works under any sub-path). */
export function workerUrl(build: string): string {
  return new URL(`sw.js?build=${encodeURIComponent(build)}`, document.baseURI).href;
}

/** The build in a worker's script URL, if it is one of ours. */
export function buildOf(scriptUrl: string | undefined): string | undefined {
  if (!scriptUrl) return undefined;
  const url = new URL(scriptUrl);
  return url.pathname.endsWith('/sw.js') ? (url.searchParams.get('build') ?? undefined) : undefined;
}

/**
 * The build this page runs. A page is served by the worker that controls it, as a precaching app
 * is: until the user applies an update, it stays on the controlling worker's build. Without a
 * controller (first visit, hard reload) it gets what is deployed.
 */
export function runningBuild(): string {
  return buildOf(navigator.serviceWorker?.controller?.scriptURL) ?? deployedBuild();
}

/**
 * Where the API lives. By default the mock backend (MSW, in this page) answers `api/` next to
 * index.html. Built or served with `VITE_DEMO_API=https://host/api/`, both calendars talk to that
 * server instead and the mock is not started (see docs/demo.md). The base must end in `/api/`:
 * nostale's route matches any origin's `/api/users/:user/events`.
 */
const REAL_API: string | undefined = import.meta.env.VITE_DEMO_API || undefined;
export const backend = { mock: REAL_API === undefined, base: new URL(REAL_API ?? 'api/', document.baseURI).href };

const range = (start: Date, end: Date) => `start=${encodeURIComponent(start.toISOString())}&end=${encodeURIComponent(end.toISOString())}`;

export const feedUrl = (user: DemoUser, start: Date, end: Date): string => `${backend.base}users/${user}/events?${range(start, end)}`;

/** The feed the "without nostale" calendar reads: cacheable for minutes, no version (demo/mock/endpoints.ts). */
export const naiveFeedUrl = (user: DemoUser, start: Date, end: Date): string =>
  `${backend.base}naive/users/${user}/events?${range(start, end)}`;

export const eventUrl = (user: DemoUser, id: string): string => `${backend.base}users/${user}/events/${encodeURIComponent(id)}`;

export const versionUrlTemplate = `${backend.base}users/{user}/version`;

export const scopeOf = (user: DemoUser): string => `calendar:${user}`;
