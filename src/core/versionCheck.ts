import type { Core } from './context.js';
import { httpError, parseError } from './errors.js';
import { backoff, sleep } from './retry.js';
import { compareTokens, type ScopeState } from './scopes.js';
import { jsonOrText } from './util.js';

/**
 * Asks the scope's version endpoint; concurrent checks of one scope share one request (sent with
 * the first caller's `credentials`, else the client's). True when unchanged.
 */
export function checkScope(core: Core, scope: ScopeState, versionUrl: string, credentials?: RequestCredentials): Promise<boolean> {
  let check = core.versionChecks.get(scope);
  if (!check) {
    check = ask(core, scope, versionUrl, credentials ?? core.credentials).finally(() => core.versionChecks.delete(scope));
    core.versionChecks.set(scope, check);
  }
  return check;
}

/** One answer of the version endpoint, as a token. */
async function tokenAt(core: Core, versionUrl: string, credentials: RequestCredentials | undefined): Promise<string> {
  const response = await core.fetch(versionUrl, { cache: 'no-store', credentials });
  if (!response.ok) throw httpError(response.status, versionUrl);
  const text = await response.text();
  const version = (jsonOrText(text) as { version?: unknown } | undefined)?.version;
  // JSON.parse has already rounded it: 2^53 + 1 reads as 2^53, a version the server never sent.
  if (typeof version === 'number' && !Number.isSafeInteger(version))
    core.warn('unsafe-version-number', `${versionUrl}: a version beyond 2^53 must be sent as a string`);
  if (typeof version !== 'string' && !Number.isSafeInteger(version)) throw parseError(versionUrl, text);
  return String(version);
}

async function ask(core: Core, scope: ScopeState, versionUrl: string, credentials: RequestCredentials | undefined): Promise<boolean> {
  const markAtSend = scope.mark;
  core.tally('revalidations', () => ({
    type: 'revalidate',
    key: versionUrl,
    url: versionUrl,
    scope: scope.scope,
    via: 'version',
  }));
  let token: string;
  try {
    token = await tokenAt(core, versionUrl, credentials);
    // Lower than a token we hold: a lagging replica, or a server that lost its counter (a flush,
    // an evicted key). Asked again after a backoff; a second answer as low, and not lower than
    // the first, is a reset: otherwise the scope would refuse every read until the counter
    // overtook the old token, which may be never.
    if (core.scopeStates.order(scope, token) < 0) {
      await sleep(backoff(core, 0));
      // Asked again now, the endpoint would answer with another user's session.
      if (core.namespace !== scope.namespace) return false;
      const again = await tokenAt(core, versionUrl, credentials);
      if (scope.mark === markAtSend && core.scopeStates.order(scope, again) < 0 && compareTokens(again, token) >= 0) {
        const previous = scope.token;
        core.tally(undefined, () => ({ type: 'version-reset', scope: scope.scope, version: again, previous }));
        core.scopeStates.reset(scope, again);
        return false;
      }
      token = again;
    }
  } catch (error) {
    core.tally('errors', () => ({ type: 'error', url: versionUrl, error: error as Error }));
    return false;
  }
  // Something changed while we asked: the answer proves nothing about the entries we hold.
  if (scope.mark !== markAtSend) return false;
  if (token === scope.token) {
    scope.verifiedAt = core.now();
    return true;
  }
  core.scopeStates.learn(scope, token, 'endpoint');
  return false;
}
