// docs/recipes.md, "Auth and credentials", "CSRF (Django)" and "Logout": every fenced block of
// those sections is copied from here, where tsc checks it and test/unit/docs-recipes.test.ts runs it.
import { type Client, createClient } from 'nostale';
import { removeItem, withMutations } from 'nostale/mutate';

// #region cookies
// Session cookies on another origin: every request nostale makes sends them, version checks too.
export const crossOrigin = (userId: string) =>
  createClient({
    baseUrl: 'https://api.example.com/',
    namespace: userId, // whose cache this is: part of every key
    credentials: 'include', // a read's own `credentials` option overrides it
  });
// #endregion cookies

// #region bearer
let accessToken = '';

export const api = createClient({
  fetch: (input, init) => {
    // nostale passes a URL and options for reads, a Request for writes: one Request covers both
    // and keeps the headers already set (a JSON body's Content-Type).
    const request = new Request(input, init);
    request.headers.set('Authorization', `Bearer ${accessToken}`);
    return fetch(request);
  },
});

export function onLogin(user: { id: string }, token: string) {
  accessToken = token;
  api.namespace = user.id; // from now on only this user's entries are read or stored
}
// #endregion bearer

// #region csrf
// Django's token from the csrftoken cookie (CSRF_COOKIE_HTTPONLY off), read at each request, so
// a token rotated at login is picked up.
export const csrfToken = () => document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/)?.[1] ?? '';

export const django = withMutations(
  createClient({
    routes: [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }],
    fetch: (input, init) => {
      const request = new Request(input, init);
      if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method)) request.headers.set('X-CSRFToken', csrfToken());
      return fetch(request);
    },
  }),
);

export const deleteEvent = (user: string, id: number) =>
  django.mutate({
    scope: `calendar:${user}`,
    request: { url: `/api/users/${user}/events/${id}`, method: 'DELETE' },
    optimistic: removeItem(id),
  });
// #endregion csrf

// #region csrf-per-request
export const deleteEventWithToken = (user: string, id: number) =>
  django.mutate({
    scope: `calendar:${user}`,
    request: { url: `/api/users/${user}/events/${id}`, method: 'DELETE', headers: { 'X-CSRFToken': csrfToken() } },
    optimistic: removeItem(id),
  });
// #endregion csrf-per-request

// #region logout
export async function logout(client: Client) {
  // Every tier (memory and IndexedDB) forgets this user's entries; with nostale/sync, other tabs too.
  await client.clear({ namespace: client.namespace });
  client.namespace = ''; // nothing read from now on lands in the old user's namespace
  await fetch('/accounts/logout/', { method: 'POST', headers: { 'X-CSRFToken': csrfToken() } });
}
// #endregion logout
