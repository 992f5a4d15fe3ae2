import type { CacheStats, Store } from '../../src/index';
import { createDescriber, type Line, type Said } from './words';
import { h, setText } from './dom';
import type { DemoClient } from './nostale';

const LOG_SIZE = 30;
/** Reads kept in the hit-ratio chart. */
const CHART_POINTS = 40;

const COUNTERS: readonly [keyof CacheStats, string, string][] = [
  ['hits', 'Served saved', 'Answered from a saved copy confirmed current'],
  ['staleHits', 'Served, then checked', 'Answered from a saved copy while a check ran in the background'],
  ['misses', 'Asked the server', 'Waited on the network'],
  ['revalidations', 'Checks sent', 'Version checks and conditional requests (If-None-Match)'],
  ['notModified', 'Unchanged (304)', 'Checks the server answered "not modified", without a body'],
  ['evictions', 'Dropped', 'Saved copies removed: least recently used, expired, or of an old version or build'],
  ['invalidations', 'Made stale', 'Data version changes and dropped URLs'],
  ['errors', 'Failures', 'Network and server errors the cache saw'],
];

export interface PanelOptions {
  /** Run on every render (the controls follow the mock's settings with it). */
  extra(): void;
  /** An event's title, for the delete lines. */
  titleOf(id: string): string | undefined;
}

export interface Panel {
  el: HTMLElement;
  /** Adds a line of the app's own (user switch, deploy…) to the log. */
  note(text: string, tone?: Line['tone']): void;
  /** Re-renders on the next animation frame. */
  invalidate(): void;
}

/**
 * The live panel, in plain words: the hit ratio and a chart of it, counters from
 * `client.stats()`, data versions from `client.scopes()`, and what the cache did, from
 * `client.subscribe()`. Events only mark the panel dirty; it renders at most once per animation
 * frame, however many events a refetch produces. Collapsible (a `<details>`), for narrow screens.
 */
export function createPanel(client: DemoClient, store: Store, options: PanelOptions): Panel {
  const lines: Line[] = [];
  const push = (said: Said | undefined) => {
    if (!said) return;
    const line: Line = { at: Date.now(), ...said };
    lines.unshift(line);
    lines.length = Math.min(lines.length, LOG_SIZE);
    // Some lines finish later (how many saved months a new version made stale, when an offline
    // copy was saved): they are rewritten in place.
    void said.later?.then((text) => {
      const at = lines.indexOf(line);
      if (text === undefined && at >= 0) lines.splice(at, 1);
      else if (text !== undefined) line.text = text;
      logDirty = true;
      invalidate();
    });
    logDirty = true;
    invalidate();
  };

  const ratioValue = h('span', { class: 'ratio-value', 'data-testid': 'hit-ratio' }, '–');
  const summaryRatio = h('span', { class: 'summary-ratio' });
  const chart = createChart();
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
    h('thead', {}, h('tr', {}, h('th', {}, 'Data'), h('th', {}, 'Version'))),
    scopesBody,
  );
  const logList = h('ol', { class: 'log', 'data-testid': 'event-log' });
  const pendingEl = h('span', { class: 'pending', 'data-testid': 'pending-mutations' }, '');

  const el = h(
    'details',
    { class: 'panel', 'data-testid': 'panel', open: true },
    h('summary', {}, h('span', { class: 'summary-title' }, 'What nostale did'), summaryRatio),
    h(
      'section',
      { class: 'card ratio', 'aria-label': 'Hit ratio' },
      h(
        'h3',
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
              chart.reset();
              invalidate();
            },
          },
          'reset',
        ),
      ),
      h('div', { class: 'ratio-row' }, ratioValue, chart.el),
      counterList,
    ),
    h('section', { class: 'card' }, h('h3', {}, 'Data versions'), scopesTable),
    h('section', { class: 'card card-log' }, h('h3', {}, 'What the cache did ', h('small', {}, `newest first, last ${LOG_SIZE}`)), logList),
  );

  let _frame = 0;
  function invalidate() {
    _frame ||= requestAnimationFrame(render);
  }

  let logDirty = true;
  function render() {
    _frame = 0;
    const stats = client.stats();
    const ratio = `${Math.round(stats.hitRatio * 100)}%`;
    setText(ratioValue, ratio);
    setText(summaryRatio, `hit ratio ${ratio}`);
    chart.sample(stats);
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
          h('td', {}, s.scope.replace(/^calendar:(.*)$/, "$1's calendar")),
          h('td', { class: 'mono', 'data-testid': `scope-version-${s.scope}` }, s.token ?? '—', s.local ? ' (made stale here)' : ''),
        ),
      );
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: 2, class: 'muted' }, 'none learned yet')));
    scopesBody.replaceChildren(...rows);

    if (logDirty) {
      logDirty = false;
      logList.replaceChildren(
        ...lines.map((line) => {
          const time = clock(line.at);
          // Wrapped, never cut; the full line is also the tooltip, on hover and on focus.
          return h(
            'li',
            { class: `tone-${line.tone}`, 'data-type': line.kind, tabindex: 0, title: `${time} ${line.text}` },
            h('time', {}, time),
            h('span', { class: 'text' }, line.text),
          );
        }),
      );
    }
    options.extra();
  }

  const describe = createDescriber(store, options.titleOf);
  client.subscribe((event) => push(describe.cache(event)));
  client.mutate.subscribe((event) => push(describe.mutation(event)));
  invalidate();

  return { el, note: (text, tone = 'info') => push({ kind: 'app', text, tone }), invalidate };
}

/** The hit ratio after each read, as an inline SVG line (no chart library). */
function createChart() {
  const W = 160;
  const H = 40;
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  // Stretched to the space it has; the stroke keeps its width (non-scaling-stroke in the CSS).
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'ratio-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('data-testid', 'hit-ratio-chart');
  const title = document.createElementNS(NS, 'title');
  const base = document.createElementNS(NS, 'line');
  for (const [name, value] of Object.entries({ x1: 0, x2: W, y1: H - 1, y2: H - 1, class: 'axis' })) base.setAttribute(name, String(value));
  const line = document.createElementNS(NS, 'polyline');
  line.setAttribute('class', 'trend');
  svg.append(title, base, line);

  let points: number[] = [];
  let reads = -1;
  const draw = () => {
    const step = W / Math.max(1, CHART_POINTS - 1);
    // A single read is drawn as a short flat line: one point alone draws nothing.
    const drawn = points.length === 1 ? [points[0]!, points[0]!] : points;
    line.setAttribute('points', drawn.map((ratio, i) => `${(i * step).toFixed(1)},${(1 + (H - 2) * (1 - ratio)).toFixed(1)}`).join(' '));
    const label = points.length
      ? `Hit ratio over the last ${points.length} read${points.length === 1 ? '' : 's'}: from ${Math.round(points[0]! * 100)}% to ${Math.round(points[points.length - 1]! * 100)}%`
      : 'Hit ratio over time: no reads yet';
    title.textContent = label;
    svg.setAttribute('aria-label', label);
    svg.dataset.points = String(points.length);
  };
  draw();
  return {
    el: svg,
    /** Adds a point when reads happened since the last one. */
    sample(stats: CacheStats) {
      const now = stats.hits + stats.staleHits + stats.misses;
      if (now === reads) return;
      reads = now;
      if (now === 0) return;
      points = [...points, stats.hitRatio].slice(-CHART_POINTS);
      draw();
    },
    reset() {
      points = [];
      reads = -1;
      draw();
    },
  };
}

const clock = (at: number) => {
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};
