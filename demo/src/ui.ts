import type { EventApi } from '@fullcalendar/core';
import { getControls, setControls, type NetworkControls } from '../mock/controls';
import { DEMO_USERS, type DemoUser } from './config';
import { h, setText } from './dom';

export interface ControlActions {
  switchUser(user: DemoUser): void;
  setClearOnSwitch(value: boolean): void;
  simulateDeploy(): void;
  resetData(): void;
  invalidate(): void;
}

export interface Controls {
  el: HTMLElement;
  /** The build line (`build 2 · deployed 3`), shown in the header. */
  build: HTMLElement;
  /** Mirrors the mock's network controls (another tab, or a consumed "fail next"). */
  sync(): void;
  setBuild(running: string, deployed: string): void;
}

/** The toolbar. Network controls write the mock's settings, which every tab shares. */
export function createControls(initial: { user: DemoUser; clearOnSwitch: boolean }, actions: ControlActions): Controls {
  const user = h(
    'select',
    { 'data-testid': 'user-select', 'aria-label': 'User', onchange: () => actions.switchUser(user.value as DemoUser) },
    ...DEMO_USERS.map((name) => h('option', { value: name, selected: name === initial.user }, name)),
  );
  const clearOnSwitch = h('input', {
    type: 'checkbox',
    'data-testid': 'clear-on-switch',
    checked: initial.clearOnSwitch,
    onchange: () => actions.setClearOnSwitch(clearOnSwitch.checked),
  });

  const latency = h('input', {
    type: 'range',
    min: 0,
    max: 3000,
    step: 50,
    'data-testid': 'latency',
    'aria-label': 'Network latency in milliseconds',
    oninput: () => {
      setControls({ latencyMs: Number(latency.value) });
      sync();
    },
  });
  const latencyValue = h('output', { 'data-testid': 'latency-value', class: 'mono' });
  const failNext = h('input', {
    type: 'checkbox',
    'data-testid': 'fail-next',
    onchange: () => setControls({ failNext: failNext.checked }),
  });
  const offline = h('input', {
    type: 'checkbox',
    role: 'switch',
    'data-testid': 'offline',
    onchange: () => {
      setControls({ offline: offline.checked });
      sync();
    },
  });
  const build = h('span', { class: 'build mono', 'data-testid': 'build-info' });

  const button = (label: string, testId: string, onclick: () => void, title: string) =>
    h('button', { type: 'button', 'data-testid': testId, title, onclick }, label);

  const el = h(
    'div',
    { class: 'controls', 'data-testid': 'controls' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'User'),
      h('label', { class: 'inline' }, user),
      h(
        'label',
        { class: 'inline check', title: "Log out: drop the previous user's cache on switching" },
        clearOnSwitch,
        'clear on switch',
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Network (mocked)'),
      h('label', { class: 'inline latency' }, 'Latency ', latency, latencyValue),
      h(
        'label',
        { class: 'inline check', title: 'The next POST/PATCH/DELETE answers 500 and changes nothing' },
        failNext,
        'fail next request',
      ),
      h(
        'label',
        { class: 'inline check switch', title: 'Every API request fails as a network error; kept across reloads' },
        offline,
        'offline',
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'More'),
      button('Simulate a deploy', 'simulate-deploy', actions.simulateDeploy, 'Deploys a new build: its service worker installs and waits'),
      button(
        'Invalidate',
        'invalidate',
        actions.invalidate,
        'client.invalidate({ scope }): one O(1) bump; the next read revalidates with If-None-Match and gets a 304',
      ),
      button('Reset demo data', 'reset-data', actions.resetData, "Restores the sample events and clears nostale's cache"),
    ),
  );

  let shown: NetworkControls | undefined;
  function sync() {
    const controls = getControls();
    if (shown && shown.latencyMs === controls.latencyMs && shown.failNext === controls.failNext && shown.offline === controls.offline)
      return;
    shown = controls;
    if (document.activeElement !== latency) latency.value = String(controls.latencyMs);
    setText(latencyValue, `${controls.latencyMs} ms`);
    failNext.checked = controls.failNext;
    offline.checked = controls.offline;
    document.documentElement.classList.toggle('is-offline', controls.offline);
  }
  sync();

  return {
    el,
    build,
    sync,
    setBuild: (running, deployed) => setText(build, running === deployed ? `build ${running}` : `build ${running} · deployed ${deployed}`),
  };
}

export interface EventDialog {
  el: HTMLDialogElement;
  open(event: EventApi): void;
  close(): void;
}

/**
 * The event dialog: the title as text, a few facts, Cancel and Delete. Cancel has the focus, so
 * Enter on an event and Enter again closes it rather than deleting. However it closes, `onClosed`
 * is told, to put the focus back where the event is (or was).
 */
export function createEventDialog(onDelete: (event: EventApi) => void, onClosed: (event: EventApi) => void): EventDialog {
  let current: EventApi | undefined;
  const title = h('h2', { 'data-testid': 'dialog-title' });
  const facts = h('dl', { class: 'facts' });
  const remove = h('button', { type: 'button', class: 'danger', 'data-testid': 'dialog-delete' }, 'Delete event');
  const cancel = h('button', { type: 'button', 'data-testid': 'dialog-close' }, 'Cancel');
  const el = h(
    'dialog',
    { class: 'event-dialog', 'data-testid': 'event-dialog', 'aria-labelledby': 'dialog-title' },
    h('form', { method: 'dialog' }, title, facts, h('div', { class: 'actions' }, cancel, remove)),
  );
  title.id = 'dialog-title';
  // Only the open dialog names its event, so that outside it `[data-event-id]` means "on the
  // calendar". Cleared before the delete starts: the `close` event comes a task later.
  const finish = (deleted: boolean) => {
    const event = current;
    delete el.dataset.eventId;
    current = undefined;
    if (el.open) el.close();
    if (!event) return;
    if (deleted) onDelete(event);
    onClosed(event);
  };
  remove.addEventListener('click', () => finish(true));
  cancel.addEventListener('click', () => finish(false));
  el.addEventListener('close', () => finish(false)); // Escape
  // A click on the backdrop (outside the form) closes it too.
  el.addEventListener('click', (e) => e.target === el && finish(false));

  const fact = (label: string, value: string) => [h('dt', {}, label), h('dd', {}, value)];
  return {
    el,
    open(event) {
      current = event;
      el.dataset.eventId = event.id;
      title.textContent = event.title;
      const when = event.allDay
        ? event.start?.toLocaleDateString(undefined, { dateStyle: 'full' })
        : event.start?.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
      facts.replaceChildren(
        ...fact('When', when ?? '—'),
        ...fact('Kind', String(event.extendedProps.kind ?? '—')),
        ...fact('Id', event.id),
      );
      el.showModal();
      cancel.focus();
    },
    close: () => finish(false),
  };
}

export interface Banner {
  el: HTMLElement;
  show(build: string): void;
}

/** "A new version is ready": shown while a new build's worker waits. */
export function createUpdateBanner(onApply: () => void): Banner {
  const text = h('span', { class: 'message' });
  const apply = h(
    'button',
    {
      type: 'button',
      'data-testid': 'update-apply',
      onclick: () => {
        apply.disabled = true;
        setText(apply, 'Updating…');
        onApply();
      },
    },
    'Reload to update',
  );
  const el = h('div', { class: 'banner', role: 'status', 'data-testid': 'update-banner', hidden: true }, text, apply);
  return {
    el,
    show(build) {
      el.dataset.build = build;
      setText(
        text,
        `A new version of the app (build ${build}) is ready. Updating reloads the page; nothing this version cached is served by the new one.`,
      );
      el.hidden = false;
    },
  };
}

export interface Alert {
  el: HTMLElement;
  show(message: string, kind?: string): void;
  /** Hides the message, or only a message of this kind. */
  hide(kind?: string): void;
}

/** The error line. Messages are text: titles in them stay text. */
export function createAlert(): Alert {
  const text = h('span', { class: 'message', 'data-testid': 'error-text' });
  const dismiss = h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', 'data-testid': 'error-dismiss' }, '✕');
  const el = h('div', { class: 'alert', role: 'alert', 'data-testid': 'error-message', hidden: true }, text, dismiss);
  dismiss.addEventListener('click', () => (el.hidden = true));
  return {
    el,
    show(message, kind = 'error') {
      el.dataset.kind = kind;
      setText(text, message);
      el.hidden = false;
    },
    hide(kind) {
      if (kind === undefined || el.dataset.kind === kind) el.hidden = true;
    },
  };
}
