import { ScopeError } from './scopeError.js';

/** Values captured from the URL by the router: Express `req.params`, Fastify `request.params`, … */
export type Params = Readonly<Record<string, string | undefined>>;

/**
 * Which scope(s) a route belongs to: a template filled from the URL's parameters
 * (`'calendar:{user}'`, the calendar's owner, not the logged-in user), several, or a function.
 */
export type ScopeSpec<R> = string | readonly string[] | ((request: R, params: Params) => string | readonly string[]);

/** Fills `{name}` from `params`; a missing or empty parameter is a `ScopeError`, never `"undefined"`. */
export function fillScope(template: string, params: Params): string {
  return template.replace(/\{([^{}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new ScopeError(`Scope "${template}" needs URL parameter "${name}"`, template, name);
    return value;
  });
}

export function resolveScopes<R>(spec: ScopeSpec<R>, request: R, params: Params): string[] {
  const raw = typeof spec === 'function' ? spec(request, params) : spec;
  const list = (typeof raw === 'string' ? [raw] : [...raw]).map((template) => fillScope(template, params));
  if (list.length === 0 || list.some((scope) => typeof scope !== 'string' || scope === '')) {
    throw new ScopeError('A route needs at least one non-empty scope', String(raw));
  }
  return list;
}
