import type { Core } from './context.js';
import { httpError, parseError } from './errors.js';
import type { ScopeState } from './scopes.js';
import { jsonOrText } from './util.js';

/** Asks the scope's version endpoint; concurrent checks of one scope share one request. True when unchanged. */
export function checkScope(core: Core, scope: ScopeState, versionUrl: string): Promise<boolean> {
  let check = core.versionChecks.get(scope);
  if (!check) {
    check = ask(core, scope, versionUrl).finally(() => core.versionChecks.delete(scope));
    core.versionChecks.set(scope, check);
  }
  return check;
}

async function ask(core: Core, scope: ScopeState, versionUrl: string): Promise<boolean> {
  const markAtSend = scope.mark;
  core.record('revalidations', () => ({
    type: 'revalidate',
    key: versionUrl,
    url: versionUrl,
    scope: scope.scope,
    via: 'version',
  }));
  let token: string;
  try {
    const response = await core.fetch(versionUrl, { cache: 'no-store' });
    if (!response.ok) throw httpError(response.status, versionUrl, undefined);
    const text = await response.text();
    const version = (jsonOrText(text) as { version?: unknown } | undefined)?.version;
    if (typeof version !== 'string' && typeof version !== 'number') throw parseError(versionUrl, text);
    token = String(version);
  } catch (error) {
    core.record('errors', () => ({ type: 'error', url: versionUrl, error: error as Error }));
    return false;
  }
  // Something changed while we asked: the answer proves nothing about the entries we hold.
  if (scope.mark !== markAtSend) return false;
  if (token === scope.token) {
    scope.verifiedAt = core.now();
    return true;
  }
  core.scopes.learn(scope, token, 'endpoint');
  return false;
}
