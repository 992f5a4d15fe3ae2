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
  remove(): void;
  toPlainObject(): Record<string, unknown>;
}

/** The members of FullCalendar's `Calendar` this module uses. */
export interface CalendarLike {
  getEventById(id: string): CalendarEventLike | null;
  addEvent(event: Record<string, unknown>, source?: unknown): unknown;
  refetchEvents(): void;
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
   */
  scope?: string;
  /** Turns a feed item into a FullCalendar event. Default: the item as is. */
  map?: (item: T) => EventInputLike;
  /** Where the array lives when the feed answers an object. Default `items`. */
  key?: string;
  /** FullCalendar source id. */
  id?: string;
  /** Extra options for `client.get` (headers, timeout, …). */
  get?: GetOptions;
  /**
   * Makes `removeEvent` hide the event with a CSS rule at once and leave FullCalendar's own
   * removal, which re-renders the whole view (tens of ms with thousands of events), to the task
   * after the next paint. The removal is then visible in the next frame however many events the
   * calendar holds, but `getEventById` still finds the event until that task ran. For it, every
   * event gets a `nostale-…` class. Needs a `document`; default false.
   *
   * @example
   * ```ts
   * calendarSource(client, { url, scope, paintFirst: true });
   * ```
   */
  paintFirst?: boolean;
}

/** What the source knows of the events it last handed to FullCalendar. */
interface SourceState {
  ids: Set<string>;
  /** Bare id → prefixed ids (`42` → `work-item-42`), built on the first lookup that needs it. */
  aliases: Map<string, string[]> | undefined;
  /** Number of the latest fetch: FullCalendar keeps only the latest answer, so do we. */
  latest: number;
  paintFirst: boolean;
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
    paintFirst: !!options.paintFirst && typeof document !== 'undefined',
  };
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
          if (state.paintFirst) events = events.map(withHideClass);
          if (fetch === state.latest) {
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
   */
  mutate: (id: string) => Promise<unknown>;
  /** The source whose index finds the event. Without it only an exact `getEventById` is tried. */
  source?: CalendarSource;
  /** Whether `wanted` names the event with id `eventId`. Default: see {@link findEventIds}. */
  matcher?: (wanted: string, eventId: string) => boolean;
  /**
   * When a bare id names several events (`42` → `work-item-42` and `staff-task-42`):
   * `refetch` (default) removes none of them at once, since hiding the wrong one is worse than
   * waiting, and refetches after the server answered; `remove-all` removes every match.
   */
  ambiguous?: 'refetch' | 'remove-all';
  /** Told of a failed delete after the event is back; the promise rejects as well. */
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

const inFlight = new WeakMap<CalendarLike, Map<string, Promise<RemoveEventResult>>>();

/**
 * Removes an event from the view at once, then runs the server delete. On failure the event is
 * put back where it was, in its own source (so the next refetch replaces it rather than showing
 * it twice), `onError` is told and the promise rejects. When no event matches, nothing is removed
 * and the calendar refetches after the delete. A second call for the same id while the first is
 * pending returns the same promise.
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
  if (!ids.length && calendar.getEventById(wanted)) ids = [wanted];
  const removable = ids.length === 1 || options.ambiguous === 'remove-all' ? ids : [];
  const snapshots: Snapshot[] = [];
  const removeNow = (eventId: string) => {
    const event = calendar.getEventById(eventId);
    if (!event) return;
    snapshots.push({ event: event.toPlainObject(), source: event.source });
    event.remove();
  };
  let deferred: (() => void) | undefined;
  let removed: string[];
  if (state?.paintFirst && removable.length) {
    for (const eventId of removable) hide(eventId);
    deferred = afterPaint(() => {
      deferred = undefined;
      for (const eventId of removable) {
        removeNow(eventId);
        unhide(eventId);
      }
    });
    removed = removable;
  } else {
    for (const eventId of removable) removeNow(eventId);
    removed = snapshots.map((s) => String(s.event.id));
  }
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
      if (deferred) {
        // FullCalendar never saw the removal: showing the event again is all there is to undo.
        deferred();
        deferred = undefined;
        for (const eventId of removed) unhide(eventId);
      }
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

// ---------------------------------------------------------------------------------------------
// paintFirst: hiding by class, so elements FullCalendar creates meanwhile are hidden too.

/** A class naming one event id, injective: every character outside [A-Za-z0-9-] is escaped. */
export const hideClass = (id: string): string => `nostale-${id.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;

function withHideClass(event: EventInputLike): EventInputLike {
  if (event.id === undefined || event.id === null) return event;
  const own = event.classNames;
  const classNames = Array.isArray(own) ? own : typeof own === 'string' ? own.split(/\s+/).filter(Boolean) : [];
  return { ...event, classNames: [...classNames, hideClass(String(event.id))] };
}

let sheet: CSSStyleSheet | undefined;
const hidden = new Map<string, number>();

function hide(id: string) {
  const name = hideClass(id);
  const count = hidden.get(name) ?? 0;
  hidden.set(name, count + 1);
  if (count) return;
  // A sheet whose element left the document no longer applies (an app may reset <head>).
  if (!sheet?.ownerNode?.isConnected) {
    const style = document.createElement('style');
    style.setAttribute('data-nostale', '');
    document.head.append(style);
    sheet = style.sheet!;
  }
  sheet.insertRule(`.${name}{display:none!important}`, sheet.cssRules.length);
}

function unhide(id: string) {
  const name = hideClass(id);
  const count = hidden.get(name) ?? 0;
  if (count > 1) return void hidden.set(name, count - 1);
  hidden.delete(name);
  const rules = sheet?.cssRules;
  for (let i = (rules?.length ?? 0) - 1; i >= 0; i--) {
    if ((rules![i] as CSSStyleRule).selectorText === `.${name}`) sheet!.deleteRule(i);
  }
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
  /** The feed's scope: the delete's optimistic layer and version move apply to it. */
  scope: string;
  /** URL of the server delete for an event id. */
  deleteUrl: (id: string) => string;
  /** How cached feed items name their id (for the tombstone), and how ids match. */
  list?: ListOptions;
  matcher?: RemoveEventOptions['matcher'];
  ambiguous?: RemoveEventOptions['ambiguous'];
}

export interface CalendarAdapter {
  source: CalendarSource;
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
        mutate: (target) =>
          mutate({
            scope: options.scope,
            key: `delete:${target}`,
            request: { url: options.deleteUrl(target), method: 'DELETE' },
            optimistic: removeItem(target, options.list),
          }),
        ...extra,
      }),
  };
}
