import type { CacheEvent, CacheStats } from '../../src/types';
import type { MutationEvent } from '../../src/mutate';
import { h, setText } from './dom';
import type { DemoClient } from './nostale';

const LOG_SIZE = 30;

interface LogLine {
  at: number;
  type: string;
  text: string;
  tone: 'good' | 'warn' | 'bad' | 'info';
}

const COUNTERS: readonly [keyof CacheStats, string, string][] = [
  ['hits', 'Hits', 'Served from the cache, confirmed current'],
  ['staleHits', 'Stale hits', 'Served while a refresh ran in the background'],
  ['misses', 'Misses', 'Waited on the network'],
  ['revalidations', 'Revalidations', 'Conditional requests and version checks sent'],
  ['notModified', '304s', 'Answers that refreshed an entry without a body'],
  ['evictions', 'Evictions', 'Entries dropped: least recently used, expired, or of an old version or build'],
  ['invalidations', 'Invalidations', 'Scope version changes and URL drops'],
  ['errors', 'Errors', 'Network and HTTP failures seen by the cache'],
];

export interface Panel {
  el: HTMLElement;
  /** Adds a line of the app's own (user switch, deploy…) to the log. */
  note(text: string, tone?: LogLine['tone']): void;
  /** Re-renders on the next animation frame. */
  invalidate(): void;
}

/**
 * The live panel: counters from `client.stats()`, scope versions from `client.scopes()` and the
 * last events from `client.subscribe()`. Events only mark the panel dirty; it renders at most
 * once per animation frame, however many events a refetch produces.
 */
export function createPanel(client: DemoClient, extra: () => void): Panel {
  const lines: LogLine[] = [];
  const push = (line: Omit<LogLine, 'at'>) => {
    lines.unshift({ at: Date.now(), ...line });
    lines.length = Math.min(lines.length, LOG_SIZE);
    invalidate();
  };

  const ratioValue = h('span', { class: 'ratio-value', 'data-testid': 'hit-ratio' }, '–');
  const ratioBar = h('span', { class: 'ratio-fill' });
  const counterCells = new Map<keyof CacheStats, HTMLElement>();
  const counterList = h(
    'dl',
    { class: 'counters' },
    ...COUNTERS.map(([key, label, hint]) => {
      const value = h('dd', { 'data-testid': `stat-${key}` }, '0');
      counterCells.set(key, value);
      return h('div', { class: `counter counter-${key}`, title: hint }, h('dt', {}, label), value);
    }),
  );
  const scopesBody = h('tbody', {});
  const scopesTable = h(
    'table',
    { class: 'scopes', 'data-testid': 'scopes' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Scope'), h('th', {}, 'Version'), h('th', {}, 'Mark'))),
    scopesBody,
  );
  const logList = h('ol', { class: 'log', 'data-testid': 'event-log' });
  const pendingEl = h('span', { class: 'pending', 'data-testid': 'pending-mutations' }, '');

  const el = h(
    'aside',
    { class: 'panel', 'data-testid': 'panel', 'aria-label': 'Cache activity' },
    h(
      'section',
      { class: 'card ratio' },
      h(
        'h2',
        { class: 'with-action' },
        h('span', {}, 'Hit ratio ', pendingEl),
        h(
          'button',
          {
            type: 'button',
            class: 'link small',
            'data-testid': 'reset-stats',
            title: 'client.resetStats()',
            onclick: () => {
              client.resetStats();
              invalidate();
            },
          },
          'reset',
        ),
      ),
      h('div', { class: 'ratio-row' }, ratioValue, h('span', { class: 'ratio-bar' }, ratioBar)),
      counterList,
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Scope versions'), scopesTable),
    h('section', { class: 'card card-log' }, h('h2', {}, 'Cache log ', h('small', {}, `last ${LOG_SIZE}, newest first`)), logList),
  );

  let _frame = 0;
  function invalidate() {
    _frame ||= requestAnimationFrame(render);
  }

  let renderedLog: LogLine | undefined;
  function render() {
    _frame = 0;
    const stats = client.stats();
    setText(ratioValue, `${Math.round(stats.hitRatio * 100)}%`);
    ratioBar.style.width = `${(stats.hitRatio * 100).toFixed(1)}%`;
    for (const [key, cell] of counterCells) setText(cell, String(stats[key]));

    const pending = client.mutate.pending().length;
    setText(pendingEl, pending ? `· ${pending} mutation${pending > 1 ? 's' : ''} pending` : '');

    const rows = client
      .scopes()
      .sort((a, b) => a.scope.localeCompare(b.scope))
      .map((s) =>
        h(
          'tr',
          { 'data-scope': s.scope },
          h('td', {}, s.scope),
          h('td', { class: 'mono', 'data-testid': `scope-version-${s.scope}` }, s.token ?? '—'),
          h('td', { class: 'mono muted' }, s.mark.slice(0, 6), s.local ? ' (local)' : ''),
        ),
      );
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'none yet')));
    scopesBody.replaceChildren(...rows);

    if (lines[0] !== renderedLog) {
      renderedLog = lines[0];
      logList.replaceChildren(
        ...lines.map((line) =>
          h(
            'li',
            { class: `tone-${line.tone}`, 'data-type': line.type },
            h('time', {}, clock(line.at)),
            h('span', { class: 'type' }, line.type),
            h('span', { class: 'text' }, line.text),
          ),
        ),
      );
    }
    extra();
  }

  client.subscribe((event) => push(describe(event)));
  client.mutate.subscribe((event) => push(describeMutation(event)));
  invalidate();

  return { el, note: (text, tone = 'info') => push({ type: 'app', text, tone }), invalidate };
}

const clock = (at: number) => {
  const d = new Date(at);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
};

/** A URL as the log shows it: `alice/events 11-01…12-06`, `alice/version`. */
function short(url: string | undefined): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    const start = u.searchParams.get('start');
    const end = u.searchParams.get('end');
    const path = decodeURIComponent(u.pathname.replace(/^.*\/api\/users\//, ''));
    return start && end ? `${path} ${start.slice(5, 10)}…${end.slice(5, 10)}` : path;
  } catch {
    return url;
  }
}

/** The URL inside a cache key (`["alice","GET","https://…"]`). */
function urlOfKey(key: string): string | undefined {
  try {
    const parts: unknown = JSON.parse(key);
    return Array.isArray(parts) && typeof parts[2] === 'string' ? parts[2] : undefined;
  } catch {
    return undefined;
  }
}

function describe(event: CacheEvent): Omit<LogLine, 'at'> {
  switch (event.type) {
    case 'hit':
      return { type: 'hit', text: short(event.url), tone: 'good' };
    case 'stale':
      return { type: 'stale', text: short(event.url), tone: 'good' };
    case 'miss':
      return { type: 'miss', text: short(event.url), tone: 'warn' };
    case 'revalidate':
      return {
        type: 'revalidate',
        text: `${event.via === 'version' ? 'version check' : 'If-None-Match'} ${short(event.url)}`,
        tone: 'info',
      };
    case 'not-modified':
      return { type: '304', text: short(event.url), tone: 'good' };
    case 'store':
      return {
        type: 'store',
        text: `${short(event.url)} (${Math.ceil(event.size / 1024)} KB${event.persisted ? ', persisted' : ''})`,
        tone: 'info',
      };
    case 'evict':
      return { type: 'evict', text: `${event.reason}: ${short(urlOfKey(event.key))}`, tone: 'warn' };
    case 'invalidate':
      return { type: 'invalidate', text: `${event.count ?? '?'} entr${event.count === 1 ? 'y' : 'ies'} (${event.origin})`, tone: 'warn' };
    case 'version':
      return {
        type: 'version',
        text: `${event.scope}: ${event.previous ?? '—'} → ${event.version ?? 'local bump'} (${event.origin})`,
        tone: 'warn',
      };
    case 'clear':
      return { type: 'clear', text: `${event.namespace ?? 'every user'} (${event.origin})`, tone: 'warn' };
    case 'overlay':
      return { type: 'overlay', text: event.scope, tone: 'info' };
    case 'error':
      return { type: 'error', text: `${short(event.url)}: ${event.error.message.split(':')[0]}`, tone: 'bad' };
    case 'warning':
      return { type: 'warning', text: `${event.code}: ${event.message}`, tone: 'bad' };
  }
}

function describeMutation(event: MutationEvent): Omit<LogLine, 'at'> {
  switch (event.type) {
    case 'pending':
      return { type: 'mutate', text: (event.mutation.key ?? event.mutation.scope).replace(/^delete:/, 'DELETE '), tone: 'info' };
    case 'committed':
      return { type: 'commit', text: `HTTP ${event.result.status}, version ${event.result.version ?? '?'}`, tone: 'good' };
    case 'rolled-back':
      return { type: 'rollback', text: `${event.error.reason}${event.error.status ? ` ${event.error.status}` : ''}`, tone: 'bad' };
  }
}
