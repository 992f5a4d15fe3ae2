/**
 * The revalidator of one client: decides, when the tab becomes visible, comes back online or a
 * poll is due, what to revalidate, and asks the client for it. Scopes are revalidated by their
 * version endpoint (`client.checkVersion`: one small request, however many entries the scope
 * holds); watched URLs by a conditional re-read through their watcher, which lands in the same
 * state the watcher shows. Scope checks start first, in the same turn as the re-reads, so a
 * watched URL of a checked scope joins that check instead of asking again.
 *
 * Nothing runs while the tab is hidden or offline: timers stop, and the first visible, online
 * moment catches up once on what fell due. Under `nostale/sync`, polls and reconnects run in the
 * elected tab only (see `leader.ts`), but for what sync cannot carry to the others: watched URLs
 * without a scope version; focus always runs in the tab that became visible.
 */
import type { Client } from '../client.js';
import { type Election, elect } from './leader.js';
import { type Decided, FOCUS_THROTTLE, forWatcher, NONE, type Policy, type WatchRevalidate } from './options.js';
import { isOnline, isVisible, listen } from './page.js';
import { type SyncedTabs, synced } from './synced.js';

/** A watcher taking part: what it watches, what it chose, and how to re-read it. */
export interface Watched {
  url: string;
  own: WatchRevalidate | undefined;
  /** Re-reads through the cache, conditionally; resolves false when the read failed. */
  revalidate(): Promise<boolean>;
  /**
   * Whether what it shows carries a scope version: then the polling tab's version checks reach
   * this tab through sync. Without one, only this tab can find out, so it polls for itself.
   */
  versioned(): boolean;
}

type Kind = 'focus' | 'reconnect' | 'interval';

interface Task {
  /** Who the task is for: a scope's name, or the watcher itself. */
  key: unknown;
  decided: Decided;
  run(): Promise<boolean>;
  /** True when no other tab's poll can stand in for this tab's (see `Watched.versioned`). */
  ownTab(): boolean;
}

interface Group {
  interval: number;
  dueAt: number;
  timer?: ReturnType<typeof setTimeout> | undefined;
}

interface Failures {
  count: number;
  /** When the last failed run started. */
  at: number;
}

/** Longest wait a failing poll backs off to, in ms (unless its interval is longer). */
export const MAX_BACKOFF = 300_000;

const engines = /* @__PURE__ */ new WeakMap<Client, Revalidator>();

/** The client's revalidator, made on first use; with nothing configured or watched it listens to nothing. */
export function revalidatorOf(client: Client): Revalidator {
  let engine = engines.get(client);
  if (!engine) engines.set(client, (engine = new Revalidator(client)));
  return engine;
}

export class Revalidator {
  #policy: Policy | undefined;
  #watched = new Set<Watched>();
  #groups = new Map<number, Group>();
  #failures = new Map<unknown, Failures>();
  #running = new Set<unknown>();
  /** When each task's last successful revalidation started: what a focus is throttled against. */
  #revalidatedAt = new Map<unknown, number>();
  #unlisten: (() => void) | undefined;
  #election: Election | undefined;
  #electedFor: SyncedTabs | undefined;

  constructor(private readonly client: Client) {}

  /** Sets (or, with `undefined`, removes) the client's own triggers. */
  configure(policy: Policy | undefined): void {
    this.#policy = policy;
    this.#failures.clear();
    this.#refresh();
  }

  get policy(): Policy | undefined {
    return this.#policy;
  }

  /** Adds a watcher; returns the function removing it. */
  watch(watched: Watched): () => void {
    this.#watched.add(watched);
    this.#refresh();
    return () => {
      if (!this.#watched.delete(watched)) return;
      this.#failures.delete(watched);
      this.#revalidatedAt.delete(watched);
      this.#refresh();
    };
  }

  /** What there is to revalidate now: the client's scopes (with a policy), then the watchers. */
  #tasks(): Task[] {
    const tasks: Task[] = [];
    const policy = this.#policy;
    if (policy) {
      for (const { scope } of this.client.scopes())
        tasks.push({ key: scope, decided: policy.forScope(scope), run: () => this.#check(scope), ownTab: () => false });
    }
    for (const watched of this.#watched) {
      tasks.push({
        key: watched,
        decided: forWatcher(watched.own, policy, watched.url),
        run: () => watched.revalidate(),
        // The polling tab checks the scopes it knows (every tab's, through sync) only under a
        // client policy; a watcher that opted in by itself has no one checking its scope.
        ownTab: () => !policy || !watched.versioned(),
      });
    }
    return tasks;
  }

  /** One version check; false when it failed (the endpoint did not answer a usable version). */
  async #check(scope: string): Promise<boolean> {
    const tokenOf = () => this.client.scopes().find((s) => s.scope === scope)?.token;
    const before = tokenOf();
    try {
      if (await this.client.checkVersion(scope)) return true;
    } catch {
      // No version endpoint for this scope: nothing to poll, and nothing failed.
      return true;
    }
    // `false` is "changed" when the token moved, and a failed check (reported as an `error` event) when not.
    return tokenOf() !== before;
  }

  /** Starts or stops listeners, timers and the election to match what is configured and watched. */
  #refresh() {
    const policy = this.#policy;
    const decisions = [...this.#watched].map((w) => forWatcher(w.own, policy, w.url));
    const intervals = new Set(decisions.map((d) => d.interval));
    // Every rule's interval too: a scope or URL it covers may appear later.
    for (const interval of policy?.intervals ?? []) intervals.add(interval);
    intervals.delete(0);
    const needed = !!policy || decisions.some((d) => d !== NONE && (d.focus || d.reconnect || d.interval));

    for (const [interval, group] of this.#groups) {
      if (intervals.has(interval) && needed) continue;
      clearTimeout(group.timer);
      this.#groups.delete(interval);
    }
    if (needed) {
      for (const interval of intervals) {
        if (this.#groups.has(interval)) continue;
        const group: Group = { interval, dueAt: Date.now() + interval };
        this.#groups.set(interval, group);
        this.#schedule(group);
      }
    }

    if (needed && !this.#unlisten) {
      this.#unlisten = listen({
        visible: () => {
          this.#election?.join();
          this.#catchUp('focus');
        },
        hidden: () => {
          this.#election?.leave();
          this.#pause();
        },
        online: () => this.#catchUp('reconnect'),
        offline: () => this.#pause(),
      });
    } else if (!needed && this.#unlisten) {
      this.#unlisten();
      this.#unlisten = undefined;
    }
    // Elect early when there is polling to share, so the first poll already has a leader.
    if (this.#groups.size) this.#mayPoll();
    else this.#leaveElection();
  }

  /** True when this tab is the one that polls: always, unless sync shares it with other tabs and another leads. */
  #mayPoll(): boolean {
    const tabs = this.#policy?.shareAcrossTabs === false ? undefined : synced.get(this.client);
    if (tabs !== this.#electedFor) {
      this.#leaveElection();
      if (tabs) {
        this.#electedFor = tabs;
        this.#election = elect(tabs, () => undefined);
        if (isVisible()) this.#election.join();
      }
    }
    return this.#election ? this.#election.leader : true;
  }

  #leaveElection() {
    this.#election?.leave();
    this.#election = undefined;
    this.#electedFor = undefined;
  }

  #schedule(group: Group) {
    clearTimeout(group.timer);
    group.timer = undefined;
    if (!isVisible() || !isOnline()) return;
    group.timer = setTimeout(() => this.#fire(group), Math.max(0, group.dueAt - Date.now()));
  }

  #fire(group: Group) {
    group.timer = undefined;
    // Hidden or offline without an event telling us (yet): stay due, catch up when back.
    if (!isVisible() || !isOnline()) return;
    group.dueAt = Date.now() + group.interval;
    this.#schedule(group);
    void this.#run('interval', new Set([group.interval]));
  }

  #pause() {
    for (const group of this.#groups.values()) {
      clearTimeout(group.timer);
      group.timer = undefined;
    }
  }

  /** Back visible or online: one run for the trigger and for every poll that fell due meanwhile. */
  #catchUp(kind: Kind) {
    if (!isVisible() || !isOnline()) return;
    const now = Date.now();
    const due = new Set<number>();
    for (const group of this.#groups.values()) {
      if (now >= group.dueAt) {
        due.add(group.interval);
        group.dueAt = now + group.interval;
      }
      this.#schedule(group);
    }
    void this.#run(kind, due);
  }

  /** Runs every task the trigger (or a due poll) selects; never rejects. */
  async #run(kind: Kind, due: ReadonlySet<number>): Promise<void> {
    if (!isVisible() || !isOnline()) return;
    const leader = this.#mayPoll();
    const throttle = this.#policy?.focusThrottle ?? FOCUS_THROTTLE;
    const now = Date.now();
    const runs: Promise<void>[] = [];
    for (const task of this.#tasks()) {
      const { focus, reconnect, interval } = task.decided;
      const byFocus = kind === 'focus' && focus;
      const byReconnect = kind === 'reconnect' && reconnect;
      const byPoll = interval > 0 && due.has(interval);
      // Focus is this tab's own; reconnects and polls are the leader's, for every tab, except
      // for what sync cannot carry: a watched URL without a scope version.
      if (!byFocus && !((byReconnect || byPoll) && (leader || task.ownTab()))) continue;
      // A focus alone, soon after the last revalidation, asks nothing new.
      if (byFocus && !byPoll && now < (this.#revalidatedAt.get(task.key) ?? -Infinity) + throttle) continue;
      // A failing poll waits longer each time; a focus or reconnect is a reason to try at once.
      if (!byFocus && !byReconnect && this.#backedOff(task.key, interval)) continue;
      if (this.#running.has(task.key)) continue;
      runs.push(this.#start(task));
    }
    await Promise.all(runs);
  }

  #backedOff(key: unknown, interval: number): boolean {
    const failed = this.#failures.get(key);
    return !!failed && Date.now() < failed.at + Math.min(interval * 2 ** failed.count, Math.max(MAX_BACKOFF, interval));
  }

  async #start(task: Task): Promise<void> {
    const at = Date.now();
    this.#running.add(task.key);
    let ok: boolean;
    try {
      ok = await task.run();
    } catch {
      ok = false;
    } finally {
      this.#running.delete(task.key);
    }
    if (ok) {
      this.#failures.delete(task.key);
      this.#revalidatedAt.set(task.key, at);
    } else this.#failures.set(task.key, { count: (this.#failures.get(task.key)?.count ?? 0) + 1, at });
  }
}
