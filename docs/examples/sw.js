// The service worker side of nostale/sw's watchDeploys(): the least an app's worker must do.
// Any byte that changes in this file makes the browser install it as a new version, so let the
// build stamp BUILD (or a precache manifest) per deploy.
const BUILD = 'dev';
const CACHE = `assets-${BUILD}`;

self.addEventListener('install', (_event) => {
  // Precache this build's assets here, e.g.:
  // event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(['/', '/app.js'])));
  //
  // No self.skipWaiting() here: the new build waits until a page asks for it (below), so no tab
  // finds itself running old code against a new worker without being told.
});

// workbox-window's messageSkipWaiting(), which applyUpdate() calls, sends exactly this.
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // Other builds' caches go once this build is in charge.
      for (const name of await caches.keys()) {
        if (name.startsWith('assets-') && name !== CACHE) await caches.delete(name);
      }
      // Take control of open tabs now, including any opened before a worker existed, so every
      // tab gets its `controllerchange` and reloads into this build.
      await self.clients.claim();
    })(),
  );
});
