// docs/recipes.md, "Polling with checkVersion": every fenced block of that section is copied from here.
import { createClient } from 'nostale';
import { watch } from 'nostale/watch';

declare function render(events: unknown): void;

// #region poll
const client = createClient({
  routes: [{ match: '/api/users/:user/events*', scope: 'calendar:{user}', versionUrl: '/api/users/{user}/version' }],
});

// Views of the scope re-read by themselves when its version moves (watch, observe, useFetch).
const stop = watch(client, '/api/users/alice/events', (state) => {
  if (state.data !== undefined) render(state.data);
});

// One small request per scope, however many URLs of it are cached; nothing while the tab is hidden.
const timer = setInterval(() => {
  if (document.visibilityState === 'hidden') return;
  void client.checkVersion('calendar:alice').then((unchanged) => {
    if (!unchanged) console.debug('calendar:alice changed; its views are reading again');
  });
}, 30_000);

export function stopPolling() {
  clearInterval(timer);
  stop();
}
// #endregion poll
