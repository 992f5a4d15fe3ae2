/*
 * The demo's one and only service worker.
 *
 * A page has one service worker per scope, and both the mock backend (MSW) and the app's deploy
 * flow want this page's scope. Two registrations for one scope replace each other, so instead
 * this worker *is* both: it imports MSW's worker script and adds the app's update handling.
 * See docs/demo.md.
 *
 * The build id is part of this script's URL (`sw.js?build=<id>`). A new build is a new URL: the
 * browser installs it next to the running worker, where it waits until the user applies it.
 */

/** The build this worker belongs to, for debugging (`BUILD` in the worker's console). */
self.BUILD = new URL(self.location.href).searchParams.get('build') ?? 'unknown';

// MSW's worker calls skipWaiting() on install, which would activate every new build behind the
// user's back and never show the update banner. Keep the real one for the banner's button.
const skipWaiting = self.skipWaiting.bind(self);
self.skipWaiting = () => Promise.resolve();

// MSW's worker unregisters itself when its last client closes (a dev-only mock should not
// linger). This worker is the app's too: a reload of the only tab would uninstall it, and a
// waiting update with it. MSW still forgets the closed client; only the unregister is dropped.
self.registration.unregister = () => Promise.resolve(false);

// MSW answers a mocked request by asking the page that made it, and waits for the page's reply.
// A page that unloads mid-request (a reload) never replies, so the fetch event never ends; and
// the browser does not activate a waiting worker while the active one still has a fetch event
// open: "Reload to update" would do nothing. Give such a request a network error once its page
// is gone. Requests whose page is still there are left alone, however slow.
const respondWith = FetchEvent.prototype.respondWith;
FetchEvent.prototype.respondWith = function (response) {
  const { clientId } = this;
  let settled = false;
  const answer = Promise.resolve(response).finally(() => (settled = true));
  const orphaned = new Promise((resolve) => {
    const check = async () => {
      if (settled) return;
      if (clientId && !(await self.clients.get(clientId))) resolve(Response.error());
      else setTimeout(check, 500);
    };
    setTimeout(check, 500);
  });
  return respondWith.call(this, Promise.race([answer, orphaned]));
};

// Relative to this script, so the demo also works under a sub-path.
importScripts('./mockServiceWorker.js');

// workbox-window's `messageSkipWaiting()` sends { type: 'SKIP_WAITING' } to the waiting worker.
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') void skipWaiting();
});

// Take over open pages as soon as we are active: they see `controllerchange` and reload.
self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});
