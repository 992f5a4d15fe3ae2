/**
 * The multi-scope list form, `X-Cache-Versions: calendar:alice=12, tasks:alice=7`, for a write
 * that moved several scopes. Scopes are percent-encoded (UTF-8) for every character outside
 * `A-Z a-z 0-9 - . _ ~ : @ / ! $ & ' * + ;`, so `=`, `,` and spaces in a scope cannot break it;
 * tokens are as the store gave them. Decode a scope with `decodeURIComponent`.
 */
export function formatVersionList(tokens: ReadonlyMap<string, string>): string {
  return [...tokens].map(([scope, token]) => `${encodeScope(scope)}=${token}`).join(', ');
}

/** The inverse of `formatVersionList`; malformed members are skipped. */
export function parseVersionList(header: string): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const member of header.split(',')) {
    const at = member.lastIndexOf('=');
    if (at <= 0) continue;
    try {
      tokens.set(decodeURIComponent(member.slice(0, at).trim()), member.slice(at + 1).trim());
    } catch {
      // A malformed escape: skip the member rather than lose the whole list.
    }
  }
  return tokens;
}

const plain = /[A-Za-z0-9\-._~:@/!$&'*+;]/;

/** Percent-encodes (UTF-8) every character outside the set above: a scope in a list, a namespace in `X-Cache-Namespace`. */
export function encodeScope(scope: string): string {
  let out = '';
  for (const char of scope)
    out += plain.test(char) ? char : encodeURIComponent(char).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return out;
}
