// docs/recipes.md, "Troubleshooting": every fenced block of that section is copied from here.
import { createClient, StaleVersionError } from 'nostale';

const client = createClient({ routes: [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }] });

// #region warnings
client.subscribe((event) => {
  if (event.type === 'warning' && event.code === 'missing-version-header') console.warn(event.message);
  if (event.type === 'late') console.info(`answer for ${event.url} older than ${event.scope}'s version; retried: ${event.retried}`);
});
// #endregion warnings

// #region stale-version
try {
  await client.get('/api/users/alice/events');
} catch (error) {
  if (error instanceof StaleVersionError) {
    // Nothing was stored or shown. Read again in a moment, once the replica caught up.
    console.info(`still behind: ${error.scope} answered version ${error.version}`);
  } else throw error;
}
// #endregion stale-version

// #region vary
// A response with `Vary: Accept-Language` is stored per language: read with the header it varies on.
const french = await client.get('/api/users/alice/events', { headers: { 'Accept-Language': 'fr' } });
// #endregion vary

export { french };
