/**
 * `nostale/fullcalendar`: a FullCalendar event source that reads through a nostale client, and
 * optimistic event removal that finds events through an index instead of scanning the calendar.
 *
 * Nothing is imported from `@fullcalendar/*`: the calendar is typed structurally by the few
 * members used, so one build serves FullCalendar 6 and any later version keeping those members.
 */
import type { Client, GetOptions } from './client.js';
import { isNostaleError, NostaleError, parseError } from './core/errors.js';
import { listOf, removeItem, withMutations, type ListOptions } from './mutate.js';

/** The range FullCalendar asks a function source for: the whole visible range (six weeks in month view). */
export interface CalendarRange {
  start: Date;
  /** Exclusive. */
  end: Date;
  /** ISO 8601 with the calendar's time zone offset, e.g. `2024-04-28T00:00:00+02:00`. */
  startStr: string;
  endStr: string;
}

/**
 * An event as handed to FullCalendar (FullCalendar's `EventInput` fits). `id` is typed as a string
 * as FullCalendar types it; numbers work at run time and are indexed as strings.
 */
export interface EventInputLike {
  id?: string;
  [field: string]: unknown;
}

/** The members of FullCalendar's `EventApi` this module uses. */
export interface CalendarEventLike {
  readonly id: string;
  /** The event's source, handed back to `addEvent` on rollback; `null` for events added without one. */
  readonly source: unknown;
  /** The event's own class names (not those of the `eventClassNames` option). */
  readonly classNames?: readonly string[];
  remove(): void;
  toPlainObject(): Record<string, unknown>;
}

/** The members of FullCalendar's `Calendar` this module uses. */
export interface CalendarLike {
  getEventById(id: string): CalendarEventLike | null;
  addEvent(event: Record<string, unknown>, source?: unknown): unknown;
  refetchEvents(): void;
  /**
   * The element the calendar renders into (FullCalendar's `calendar.el`). `paintFirst` hides
   * events only inside it (so not in another calendar, and inside a shadow root as well); without
   * it, removals are never deferred.
   */
  readonly el?: Element;
  /** Runs `work` and renders once after it: deferred removals of one frame share one render. */
  batchRendering?(work: () => void): void;
  /** Read to see whether the `eventClassNames` option is {@link hideClassNames}. */
  getOption?(name: string): unknown;
}

/** A function event source: pass it in `eventSources` (or its `events` as the `events` option). */
export interface CalendarSource {
  id?: string;
  events: (info: CalendarRange, success: (events: EventInputLike[]) => void, failure: (error: Error) => void) => void;
}

export interface CalendarSourceOptions<T = EventInputLike> {
  /**
   * The feed URL for a visible range. Every range is its own cache entry, so navigating back
   * is answered from the cache. Encode the dates: offsets contain `+`.
   *
   * @example
   * ```ts
   * url: ({ start, end }) => `/api/users/alice/events?start=${start.toISOString()}&end=${end.toISOString()}`
   * ```
   */
  url: (range: CalendarRange) => string;
  /**
   * Scope of the feed, when no client route gives it one. All ranges share it, so one version
   * change makes every range stale at once.
   *
   * @default the scope of the client route matching the URL
   * @example
   * ```ts
   * scope: 'calendar:alice'
   * ```
   */
  scope?: string;
  /**
   * Turns a feed item into a FullCalendar event.
   *
   * @default the item as is
   * @example
   * ```ts
   * map: (item: Row) => ({ id: String(item.pk), title: item.name, start: item.starts_at })
   * ```
   */
  map?: (item: T) => EventInputLike;
  /**
   * Where the array lives when the feed answers an object.
   *
   * @default 'items'
   * @example
   * ```ts
   * key: 'results' // Django REST framework pagination
   * ```
   */
  key?: string;
  /**
   * FullCalendar source id (`event.source.id`).
   *
   * @default none
   * @example
   * ```ts
   * id: 'calendar-alice'
   * ```
   */
  id?: string;
  /**
   * Extra options for `client.get` (headers, timeout, …).
   *
   * @default none
   * @example
   * ```ts
   * get: { headers: { Accept: 'application/json' } }
   * ```
   */
  get?: GetOptions;
  /**
   * Whether `removeEvent` hides the event's elements at once (an inline `display: none`) and leaves FullCalendar's own
   * removal, which re-renders the whole view (tens of ms with thousands of events), to the first
   * task after the next paint. The removal is then on screen in the next frame however many
   * events the calendar holds, but `getEventById` still finds the event until that task ran.
   * Removals made before that task (see `paintFirstDelay`) share one render, through
   * `calendar.batchRendering`.
   *
   * - `'auto'`: when the source's latest answer held at least `paintFirstThreshold` events.
   * - `true`: always. `false`: never; `remove()` runs inside the call.
   *
   * The source adds a `nostale-…` class to each of its events so its elements can be found. Events
   * added with `calendar.addEvent` are hidden the same way when they carry the class: pass
   * {@link hideClassNames} as the calendar's `eventClassNames` option (it covers every event);
   * other events are removed at once. Elements FullCalendar creates for a hidden event before its
   * removal (a "+n more" popover) are hidden as they appear. Needs a `document`,
   * `MutationObserver` and the calendar's `el`.
   *
   * @default 'auto'
   * @example
   * ```ts
   * calendarSource(client, { url, scope, paintFirst: true });
   * ```
   */
  paintFirst?: boolean | 'auto';
  /**
   * With `paintFirst: 'auto'`, the number of events in the source's latest answer from which
   * removals are deferred. FullCalendar's re-render costs time with every event the calendar holds
   * (most with those in the visible range); at about this many a plain removal stops fitting a
   * 16 ms frame on a mid-range phone.
   *
   * @default 500
   * @example
   * ```ts
   * calendarSource(client, { url, scope, paintFirstThreshold: 200 });
   * ```
   */
  paintFirstThreshold?: number;
  /**
   * With `paintFirst`, how long FullCalendar's deferred `remove()` waits after the latest removal
   * (and at least until the next paint). Removals within it share one render: a user deleting
   * several events in a row pays the re-render once, after the last one, instead of between
   * each. Until then `getEventById` still finds the events and "+n more" counts include them.
   *
   * @default 100
   * @example
   * ```ts
   * calendarSource(client, { url, scope, paintFirstDelay: 0 }); // right after the next paint
   * ```
   */
  paintFirstDelay?: number;
}

/** The default of {@link CalendarSourceOptions.paintFirstThreshold}. */
export const PAINT_FIRST_THRESHOLD = 500;

/** What the source knows of the events it last handed to FullCalendar. */
interface SourceState {
  ids: Set<string>;
  /** Bare id → prefixed ids (`42` → `work-item-42`), built on the first lookup that needs it. */
  aliases: Map<string, string[]> | undefined;
  /** Number of the latest fetch: FullCalendar keeps only the latest answer, so do we. */
  latest: number;
  /** Whether the latest answer's events carry the hide class, so removals may be deferred. */
  paintFirst: boolean;
  delay: number;
}

const states = new WeakMap<CalendarSource, SourceState>();

/**
 * A FullCalendar function event source reading through `client.get`, keyed on the visible range.
 *
 * @example
 * ```ts
 * const source = calendarSource(client, {
 *   scope: 'calendar:alice',
 *   url: ({ start, end }) => `/api/users/alice/events?start=${start.toISOString()}&end=${end.toISOString()}`,
 * });
 * new Calendar(el, { plugins: [dayGridPlugin], eventSources: [source] }).render();
 * ```
 */
export function calendarSource<T = EventInputLike>(client: Client, options: CalendarSourceOptions<T>): CalendarSource {
  const state: SourceState = {
    ids: new Set(),
    aliases: undefined,
    latest: 0,
    paintFirst: false,
    delay: options.paintFirstDelay ?? 100,
  };
  const mode = options.paintFirst ?? 'auto';
  const threshold = options.paintFirstThreshold ?? PAINT_FIRST_THRESHOLD;
  const source: CalendarSource = {
    events(info, success, failure) {
      const fetch = ++state.latest;
      const range = { start: info.start, end: info.end, startStr: info.startStr, endStr: info.endStr };
      const get = options.scope === undefined ? options.get : { ...options.get, scope: options.scope };
      client.get<unknown>(options.url(range), get).then(
        (data) => {
          const items = listOf(data, options.key);
          if (!items) return failure(parseError(options.url(range), JSON.stringify(data) ?? ''));
          let events = options.map ? items.map((item) => options.map!(item as T)) : (items as EventInputLike[]);
          const paintFirst = typeof document !== 'undefined' && (mode === 'auto' ? events.length >= threshold : mode);
          if (paintFirst) events = events.map(withHideClass);
          if (fetch === state.latest) {
            state.paintFirst = paintFirst;
            state.ids = new Set();
            for (const event of events) if (event.id !== undefined && event.id !== null) state.ids.add(String(event.id));
            state.aliases = undefined;
          }
          success(events);
        },
        (error: unknown) =>
          failure(isNostaleError(error) || error instanceof Error ? error : new NostaleError(String(error), { url: options.url(range) })),
      );
    },
  };
  if (options.id !== undefined) source.id = options.id;
  states.set(source, state);
  return source;
}

/**
 * Ids of the events `source` last handed to FullCalendar that `id` names: the id itself when
 * present, else the prefixed ids it is the bare form of (`42` → `work-item-42`), or the bare id
 * a prefixed one ends with. A custom `matcher` is tried against every id instead.
 */
export function findEventIds(
  source: CalendarSource,
  id: string | number,
  matcher?: (wanted: string, eventId: string) => boolean,
): string[] {
  const state = states.get(source);
  if (!state) return [];
  const wanted = String(id);
  if (matcher) return [...state.ids].filter((eventId) => matcher(wanted, eventId));
  if (state.ids.has(wanted)) return [wanted];
  if (!state.aliases) {
    state.aliases = new Map();
    for (const eventId of state.ids) {
      for (let dash = eventId.indexOf('-'); dash !== -1 && dash < eventId.length - 1; dash = eventId.indexOf('-', dash + 1)) {
        const bare = eventId.slice(dash + 1);
        const list = state.aliases.get(bare);
        if (list) list.push(eventId);
        else state.aliases.set(bare, [eventId]);
      }
    }
  }
  const found = [...(state.aliases.get(wanted) ?? [])];
  // The other direction: asked for `work-item-42`, the feed says `42`.
  for (let dash = wanted.indexOf('-'); dash !== -1; dash = wanted.indexOf('-', dash + 1)) {
    const bare = wanted.slice(dash + 1);
    if (bare && state.ids.has(bare)) found.push(bare);
  }
  return found;
}

export interface RemoveEventOptions {
  /**
   * The server delete, e.g. through `client.mutate`. Gets the id to delete: the event's own id
   * when exactly one event was found, else the id asked for.
   *
   * @example
   * ```ts
   * mutate: (id) => client.mutate({ scope, request: { url: `/api/events/${id}`, method: 'DELETE' }, optimistic: removeItem(id) })
   * ```
   */
  mutate: (id: string) => Promise<unknown>;
  /**
   * The source whose index finds the event, and whose `paintFirst` applies. Without it only an
   * exact `getEventById` is tried, and the removal is never deferred.
   *
   * @default none
   * @example
   * ```ts
   * removeEvent(calendar, '42', { source, mutate });
   * ```
   */
  source?: CalendarSource;
  /**
   * Whether `wanted` names the event with id `eventId`.
   *
   * @default the rules of {@link findEventIds}
   * @example
   * ```ts
   * matcher: (wanted, eventId) => eventId === `task:${wanted}`
   * ```
   */
  matcher?: (wanted: string, eventId: string) => boolean;
  /**
   * When a bare id names several events (`42` → `work-item-42` and `staff-task-42`):
   * `refetch` removes none of them at once, since hiding the wrong one is worse than waiting,
   * and refetches after the server answered; `remove-all` removes every match.
   *
   * @default 'refetch'
   * @example
   * ```ts
   * ambiguous: 'remove-all'
   * ```
   */
  ambiguous?: 'refetch' | 'remove-all';
  /**
   * Told of a failed delete after the event is back; the promise rejects as well.
   *
   * @default none
   * @example
   * ```ts
   * onError: (error) => toast(String(error))
   * ```
   */
  onError?: (error: unknown) => void;
}

export interface RemoveEventResult {
  /** Ids of the events removed at once (empty when none was found or the id was ambiguous). */
  removed: string[];
  /** True when nothing could be removed at once and the calendar was refetched instead. */
  refetched: boolean;
}

interface Snapshot {
  event: Record<string, unknown>;
  source: unknown;
}

/** Removals waiting for the task after the paint, with what their rollback needs. */
interface Deferred {
  ids: string[];
  snapshots: Snapshot[];
}

const inFlight = new WeakMap<CalendarLike, Map<string, Promise<RemoveEventResult>>>();

/**
 * Removes an event from the view at once, then runs the server delete. On failure the event is
 * put back where it was, in its own source (so the next refetch replaces it rather than showing
 * it twice), `onError` is told and the promise rejects. When no event matches, nothing is removed
 * and the calendar refetches after the delete. A second call for the same id while the first is
 * pending returns the same promise.
 *
 * With the source's `paintFirst` in effect, the event's elements are hidden instead and
 * FullCalendar's `remove()` runs after the next paint and `paintFirstDelay`, one render for all
 * removals made meanwhile.
 *
 * @example
 * ```ts
 * await removeEvent(calendar, '42', {
 *   source,
 *   mutate: (id) => client.mutate({ scope, request: { url: `/api/users/alice/events/${id}`, method: 'DELETE' }, optimistic: removeItem(id) }),
 *   onError: (error) => toast(String(error)),
 * });
 * ```
 */
export function removeEvent(calendar: CalendarLike, id: string | number, options: RemoveEventOptions): Promise<RemoveEventResult> {
  const wanted = String(id);
  let pending = inFlight.get(calendar);
  if (!pending) inFlight.set(calendar, (pending = new Map()));
  const existing = pending.get(wanted);
  if (existing) return existing;

  const state = options.source && states.get(options.source);
  let ids = options.source ? findEventIds(options.source, wanted, options.matcher) : [];
  // Events added with addEvent are not in the index; an exact id may still find them.
  let added = false;
  if (!ids.length && calendar.getEventById(wanted)) {
    ids = [wanted];
    added = true;
  }
  const removable = ids.length === 1 || options.ambiguous === 'remove-all' ? ids : [];
  const snapshots: Snapshot[] = [];
  let deferred: Deferred | undefined;
  const removed: string[] = [];
  const hider = state?.paintFirst && removable.length ? hiderFor(calendar) : undefined;
  for (const eventId of removable) {
    // The source's events carry the hide class; one added by hand only when something gave it one.
    if (hider && (!added || carriesHideClass(calendar, hider, eventId))) {
      deferred ??= { ids: [], snapshots };
      deferred.ids.push(eventId);
      hider.hide(eventId);
      removed.push(eventId);
    } else if (snapshot(calendar, eventId, snapshots)) removed.push(eventId);
  }
  if (deferred) hider!.defer(deferred, state!.delay);
  if (state) {
    for (const eventId of removed) state.ids.delete(eventId);
    state.aliases = undefined;
  }
  const refetched = removed.length === 0;

  const keys = new Set([wanted, ...removed]);
  const run = async (): Promise<RemoveEventResult> => {
    try {
      await options.mutate(ids.length === 1 ? ids[0]! : wanted);
    } catch (error) {
      // Still queued: FullCalendar never saw the removal, showing the event again is all there is to undo.
      if (deferred) hider!.cancel(deferred);
      for (const { event, source } of snapshots) {
        // A refetch may already have brought it back from the server's data.
        if (calendar.getEventById(String(event.id))) continue;
        calendar.addEvent(event, source ?? undefined);
      }
      if (state) {
        for (const eventId of removed) state.ids.add(eventId);
        state.aliases = undefined;
      }
      options.onError?.(error);
      throw error;
    }
    if (refetched) calendar.refetchEvents();
    return { removed, refetched };
  };
  const promise = run();
  for (const key of keys) pending.set(key, promise);
  const forget = () => {
    for (const key of keys) if (pending.get(key) === promise) pending.delete(key);
  };
  promise.then(forget, forget);
  return promise;
}

/** Removes the event from FullCalendar, keeping what puts it back; false when there is none. */
function snapshot(calendar: CalendarLike, eventId: string, snapshots: Snapshot[]): boolean {
  const event = calendar.getEventById(eventId);
  if (!event) return false;
  snapshots.push({ event: event.toPlainObject(), source: event.source });
  event.remove();
  return true;
}

// ---------------------------------------------------------------------------------------------
// paintFirst: the event's elements are found by a class naming its id, hidden inline until FullCalendar removes them.

/** A class naming one event id, injective: every character outside [A-Za-z0-9-] is escaped. */
export const hideClass = (id: string): string => `nostale-${id.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;

/**
 * FullCalendar's `eventClassNames` option giving every event its hide class, so `paintFirst`
 * also defers removing events added with `calendar.addEvent` or from other sources. The source's
 * own events carry the class without it.
 *
 * @example
 * ```ts
 * new Calendar(el, { eventSources: [source], eventClassNames: hideClassNames });
 * // With class names of your own:
 * new Calendar(el, { eventClassNames: (arg) => [...mine(arg), ...hideClassNames(arg)] });
 * ```
 */
export function hideClassNames(arg: { event: { id: string } }): string[] {
  return arg.event.id ? [hideClass(arg.event.id)] : [];
}

function withHideClass(event: EventInputLike): EventInputLike {
  if (event.id === undefined || event.id === null) return event;
  const own = event.classNames;
  const classNames = Array.isArray(own) ? own : typeof own === 'string' ? own.split(/\s+/).filter(Boolean) : [];
  return { ...event, classNames: [...classNames, hideClass(String(event.id))] };
}

/** Whether the element of an event the source did not hand over carries the hide class. */
function carriesHideClass(calendar: CalendarLike, hider: Hider, eventId: string): boolean {
  const name = hideClass(eventId);
  if (calendar.getOption?.('eventClassNames') === hideClassNames) return true;
  if (calendar.getEventById(eventId)?.classNames?.includes(name)) return true;
  // A composed eventClassNames function: what it rendered tells.
  return hider.el.getElementsByClassName(name).length > 0;
}

/** One calendar's hidden events and its queue of removals for the task after the paint. */
interface Hider {
  el: Element;
  hide(id: string): void;
  /** Queues removals for the next flush (one render for all of them), `delay` ms after the latest. */
  defer(removal: Deferred, delay: number): void;
  /** Takes queued removals back and shows their events again. */
  cancel(removal: Deferred): void;
}

const hiders = new WeakMap<CalendarLike, Hider>();
/** Marks the elements this module hid, so showing them again leaves other inline styles alone. */
const HIDDEN = 'data-nostale-hidden';

function hiderFor(calendar: CalendarLike): Hider | undefined {
  const el = calendar.el;
  if (!el || typeof document === 'undefined' || typeof MutationObserver === 'undefined') return undefined;
  const known = hiders.get(calendar);
  if (known && known.el === el) return known;

  // Hidden by an inline style on the event's elements inside this calendar's element: the same
  // id in another calendar stays visible, a shadow root is no obstacle, and the next frame pays
  // for those few elements only. A stylesheet rule would do the same, but every rule inserted or
  // deleted makes Chromium match the whole document against it (7-20 ms with 10,000 elements).
  /** Hide class → how many queued removals hide it. */
  const counts = new Map<string, number>();
  const queue = new Set<Deferred>();
  const hideElements = (name: string) => {
    for (const node of el.getElementsByClassName(name)) {
      if (node.hasAttribute(HIDDEN) || !('style' in node)) continue;
      node.setAttribute(HIDDEN, '');
      (node as HTMLElement).style.setProperty('display', 'none', 'important');
    }
  };
  const showElements = (name: string) => {
    for (const node of el.getElementsByClassName(name)) {
      if (!node.hasAttribute(HIDDEN)) continue;
      node.removeAttribute(HIDDEN);
      (node as HTMLElement).style.removeProperty('display');
    }
  };
  // Elements FullCalendar creates for a hidden event before the flush (a "+n more" popover, a
  // view change) are hidden as they come, before they are painted.
  const observer = new MutationObserver(() => {
    for (const name of counts.keys()) hideElements(name);
  });
  const watch = () => (counts.size ? observer.observe(el, { childList: true, subtree: true }) : observer.disconnect());
  // The flush waits for both: a paint since the latest removal, and `delay` ms of quiet.
  let cancelPaint: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let painted = false;
  let quiet = false;
  const unschedule = () => {
    cancelPaint?.();
    cancelPaint = undefined;
    clearTimeout(timer);
    timer = undefined;
  };

  const unhide = (id: string) => {
    const name = hideClass(id);
    const count = counts.get(name) ?? 0;
    if (count > 1) return void counts.set(name, count - 1);
    counts.delete(name);
    showElements(name);
  };
  const flush = () => {
    unschedule();
    const removals = [...queue];
    queue.clear();
    const work = () => {
      for (const removal of removals) for (const id of removal.ids) snapshot(calendar, id, removal.snapshots);
    };
    // FullCalendar's render is no business of the observer's.
    observer.disconnect();
    if (calendar.batchRendering) calendar.batchRendering(work);
    else work();
    // After FullCalendar rendered, the hidden elements are gone; any left (the same id in
    // another source of this calendar, which getEventById did not return) are shown again.
    for (const removal of removals) for (const id of removal.ids) unhide(id);
    watch();
  };
  const hider: Hider = {
    el,
    hide(id) {
      const name = hideClass(id);
      const count = counts.get(name) ?? 0;
      counts.set(name, count + 1);
      if (count) return;
      hideElements(name);
      watch();
    },
    defer(removal, delay) {
      queue.add(removal);
      unschedule();
      painted = false;
      quiet = false;
      cancelPaint = afterPaint(() => {
        cancelPaint = undefined;
        painted = true;
        if (quiet) flush();
      });
      timer = setTimeout(() => {
        timer = undefined;
        quiet = true;
        if (painted) flush();
      }, delay);
    },
    cancel(removal) {
      if (!queue.delete(removal)) return;
      for (const id of removal.ids) unhide(id);
      watch();
      if (!queue.size) unschedule();
    },
  };
  hiders.set(calendar, hider);
  return hider;
}

/** Runs `work` in the task after the next frame is painted; returns its cancel function. */
function afterPaint(work: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (typeof requestAnimationFrame !== 'function') {
    timer = setTimeout(work, 0);
    return () => clearTimeout(timer);
  }
  // rAF callbacks run just before the paint; a timeout set there runs just after it.
  const frame = requestAnimationFrame(() => (timer = setTimeout(work, 0)));
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}

export interface CalendarAdapterOptions<T = EventInputLike> extends CalendarSourceOptions<T> {
  /**
   * The feed's scope: the delete's optimistic layer and version move apply to it.
   *
   * @example
   * ```ts
   * scope: 'calendar:alice'
   * ```
   */
  scope: string;
  /**
   * URL of the server delete for an event id.
   *
   * @example
   * ```ts
   * deleteUrl: (id) => `/api/users/alice/events/${encodeURIComponent(id)}`
   * ```
   */
  deleteUrl: (id: string) => string;
  /**
   * How cached feed items name their id (for the tombstone), and how ids match.
   *
   * @default `{}`: items under `items` (or the array itself), named by their `id`
   * @example
   * ```ts
   * list: { key: 'results', idOf: (item) => (item as { pk: number }).pk }
   * ```
   */
  list?: ListOptions;
  /**
   * See {@link RemoveEventOptions.matcher}.
   *
   * @default the rules of {@link findEventIds}
   * @example
   * ```ts
   * matcher: (wanted, eventId) => eventId === `task:${wanted}`
   * ```
   */
  matcher?: RemoveEventOptions['matcher'];
  /**
   * See {@link RemoveEventOptions.ambiguous}.
   *
   * @default 'refetch'
   * @example
   * ```ts
   * ambiguous: 'remove-all'
   * ```
   */
  ambiguous?: RemoveEventOptions['ambiguous'];
  /**
   * Request options for the delete (headers such as a CSRF token, `credentials`, …), or a
   * function of the event id answering them, called for every delete (so it can read a token
   * that changes, or fetch one). The method is always `DELETE`. Headers and a body are sent as
   * the mutation's request; any other option, or a promise, sends the request through
   * `client.fetch` from inside the mutation. A function that throws or rejects fails the delete,
   * which rolls the event back.
   *
   * @default undefined (a bare `DELETE`)
   * @example
   * ```ts
   * // Django: the token from the csrftoken cookie, read at each delete.
   * deleteInit: () => ({ headers: { 'X-CSRFToken': document.cookie.match(/csrftoken=([^;]+)/)?.[1] ?? '' } }),
   * ```
   */
  deleteInit?: RequestInit | ((id: string) => RequestInit | Promise<RequestInit>);
}

export interface CalendarAdapter {
  source: CalendarSource;
  /**
   * {@link hideClassNames}, for the calendar's `eventClassNames` option: lets `paintFirst` defer
   * removing events added with `calendar.addEvent` too.
   */
  eventClassNames: typeof hideClassNames;
  /** {@link removeEvent} with the delete sent through `client.mutate` and a tombstone over the cached feed. */
  removeEvent(calendar: CalendarLike, id: string | number, options?: Partial<RemoveEventOptions>): Promise<RemoveEventResult>;
}

/**
 * A source plus a `removeEvent` whose delete goes through `client.mutate`: the event is hidden
 * in every cached range (navigation and refetches keep it gone) until the server has answered
 * and the scope has moved past the delete; a failure rolls both the view and the cache back.
 *
 * @example
 * ```ts
 * const calendarData = createCalendarAdapter(client, {
 *   scope: 'calendar:alice',
 *   url: ({ start, end }) => `/api/users/alice/events?start=${start.toISOString()}&end=${end.toISOString()}`,
 *   deleteUrl: (id) => `/api/users/alice/events/${encodeURIComponent(id)}`,
 * });
 * const calendar = new Calendar(el, { plugins: [dayGridPlugin], eventSources: [calendarData.source] });
 * deleteButton.onclick = () => calendarData.removeEvent(calendar, '42').catch(showError);
 * ```
 */
export function createCalendarAdapter<T = EventInputLike>(client: Client, options: CalendarAdapterOptions<T>): CalendarAdapter {
  const source = calendarSource(client, options);
  const { mutate } = withMutations(client);
  return {
    source,
    removeEvent: (calendar, id, extra = {}) =>
      removeEvent(calendar, id, {
        source,
        matcher: options.matcher,
        ambiguous: options.ambiguous,
        mutate: (target) => {
          const url = options.deleteUrl(target);
          const init = typeof options.deleteInit === 'function' ? options.deleteInit(target) : options.deleteInit;
          return mutate({
            scope: options.scope,
            key: `delete:${target}`,
            request: describable(init)
              ? { url, method: 'DELETE', headers: init?.headers, body: init?.body }
              : async (signal) => {
                  const resolved = await init;
                  const own = resolved.signal;
                  return client.fetch(url, {
                    ...resolved,
                    method: 'DELETE',
                    signal: own && typeof AbortSignal.any === 'function' ? AbortSignal.any([own, signal]) : signal,
                  });
                },
            // A request function is not known to be a DELETE: say it, so a 404 (already gone) is success.
            treatNotFoundAsSuccess: true,
            optimistic: removeItem(target, options.list),
          });
        },
        ...extra,
      }),
    eventClassNames: hideClassNames,
  };
}

/**
 * Whether `init` fits a mutation's request description (headers and a body): then the mutation
 * knows the URL, for its errors and its idempotency, without a request function.
 */
function describable(init: RequestInit | Promise<RequestInit> | undefined): init is RequestInit | undefined {
  if (init === undefined) return true;
  if (typeof (init as Promise<RequestInit>).then === 'function') return false;
  return Object.keys(init).every((key) => key === 'headers' || key === 'body');
}
