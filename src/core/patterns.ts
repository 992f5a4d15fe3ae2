/** Glob over whole strings: `*` matches any run of characters, everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`);
}

export const escapeRegExp = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/**
 * A route pattern over the URL's path (or its whole href when it names an origin):
 * `:name` captures one path segment, `*` any run of characters. Returns the captures or null.
 */
export function compilePattern(pattern: string): (url: URL) => Record<string, string> | null {
  const source = pattern
    .split(/(:[A-Za-z_]\w*|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? `(?<${part.slice(1)}>[^/?#]+)` : escapeRegExp(part)))
    .join('');
  const re = new RegExp(`^${source}$`);
  const whole = pattern.includes('://');
  return (url) => {
    const m = re.exec(whole ? url.origin + url.pathname : url.pathname);
    return m ? { ...m.groups } : null;
  };
}

/** Fills `{name}` placeholders from route captures. */
export const fill = (template: string, params: Record<string, string>): string =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
