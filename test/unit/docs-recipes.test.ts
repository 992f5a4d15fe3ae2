// @vitest-environment-options { "url": "http://app.test/" }
/**
 * docs/recipes.md stays true to the API: every TypeScript block in it is a `#region` of
 * docs/examples/recipes-*.ts, those files type-check against the sources, and the auth recipes
 * do what the page says when run (headers as the server sees them).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HttpResponse, http } from 'msw';
import ts from 'typescript';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Client } from '../../src/index.js';
import { useServer } from './support/harness.js';

const root = resolve(import.meta.dirname, '../..');
const examples = join(root, 'docs/examples');
const files = readdirSync(examples).filter((name) => /^recipes.*\.ts$/.test(name));

function regions(): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of files) {
    const text = readFileSync(join(examples, name), 'utf8');
    for (const [, region, body] of text.matchAll(/\/\/ #region (\S+)\n([\s\S]*?)\n\/\/ #endregion \1/g)) {
      expect(found.has(region!), `region ${region} defined twice`).toBe(false);
      found.set(region!, body!);
    }
  }
  return found;
}

describe('docs/recipes.md', () => {
  it('shows only code from docs/examples, each block tagged with its region and equal to it', () => {
    const page = readFileSync(join(root, 'docs/recipes.md'), 'utf8');
    const code = regions();
    const blocks = [...page.matchAll(/(?:<!-- docs\/examples: (\S+) -->\n)?```ts\n([\s\S]*?)\n```/g)];
    expect(blocks.length).toBeGreaterThan(10);
    for (const [, region, body] of blocks) {
      expect(region, `an untagged ts block in docs/recipes.md:\n${body}`).toBeDefined();
      expect(body, `docs/recipes.md's block ${region} differs from docs/examples`).toBe(code.get(region!));
    }
    // And no example left out of the page.
    expect(new Set(blocks.map(([, region]) => region))).toEqual(new Set(code.keys()));
  });

  // A whole TypeScript program over the sources: seconds alone, more on a loaded runner.
  it('type-checks docs/examples against the sources', { timeout: 120_000 }, () => {
    const configFile = join(examples, 'tsconfig.json');
    const config = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    if (!config) throw new Error(`cannot read ${configFile}`);
    expect(config.fileNames.map((file) => file.slice(examples.length + 1)).sort()).toEqual([...files].sort());
    const program = ts.createProgram(config.fileNames, { ...config.options, noEmit: true });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file
        ? `${diagnostic.file.fileName}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}: `
        : '';
      return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    });
    expect(diagnostics).toEqual([]);
  });
});

/**
 * recipes-auth.ts as an app runs it: its `nostale` imports (the package's name, as in an app)
 * pointed at the sources, which this test imports too, so both share one copy.
 */
// Inside the repository (gitignored), where vite serves files from.
mkdirSync(join(root, '.cache'), { recursive: true });
const scratch = mkdtempSync(join(root, '.cache/recipes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/** What the tests use of recipes-auth.ts (typed here: the root tsconfig does not map `nostale`). */
interface AuthRecipes {
  api: Client;
  onLogin(user: { id: string }, token: string): void;
  csrfToken(): string;
  django: Client;
  deleteEvent(user: string, id: number): Promise<unknown>;
  deleteEventWithToken(user: string, id: number): Promise<unknown>;
  logout(client: Client): Promise<void>;
}
function loadAuthRecipes(): Promise<AuthRecipes> {
  const source = readFileSync(join(examples, 'recipes-auth.ts'), 'utf8').replace(
    /from '(nostale(?:\/\w+)?)'/g,
    (_, specifier: string) =>
      `from '${join(root, 'src', specifier === 'nostale' ? 'index.ts' : `${specifier.slice('nostale/'.length)}.ts`)}'`,
  );
  const file = join(scratch, `recipes-auth-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, source);
  return import(/* @vite-ignore */ file);
}

describe('the auth recipes, run', () => {
  const server = useServer();
  const APP = 'http://app.test';
  afterEach(() => {
    // biome-ignore lint/suspicious/noDocumentCookie: the recipe reads document.cookie, as Django's docs do.
    document.cookie = 'csrftoken=; max-age=0';
  });

  it('bearer: the token on reads and writes, a JSON body keeps its Content-Type; namespace follows the login', async () => {
    const { api, onLogin } = await loadAuthRecipes();
    const { withMutations } = await import('../../src/mutate.js');
    const seen: string[] = [];
    server.use(
      http.get(`${APP}/api/me`, ({ request }) => {
        seen.push(`GET ${request.headers.get('authorization')}`);
        return HttpResponse.json({ ok: true }, { headers: { 'cache-control': 'private, max-age=60' } });
      }),
      http.post(`${APP}/api/notes`, ({ request }) => {
        seen.push(`POST ${request.headers.get('authorization')} ${request.headers.get('content-type')}`);
        return new HttpResponse(null, { status: 201 });
      }),
    );
    onLogin({ id: 'alice' }, 'token-1');
    expect(api.namespace).toBe('alice');
    await api.get('/api/me');
    await withMutations(api).mutate({ scope: 'notes', request: { url: '/api/notes', method: 'POST', body: { text: 'hi' } } });
    expect(seen).toEqual(['GET Bearer token-1', 'POST Bearer token-1 application/json']);
  });

  it('csrf: the cookie token on a mutation through the fetch wrapper and per request, never on reads', async () => {
    const { csrfToken, deleteEvent, deleteEventWithToken, django } = await loadAuthRecipes();
    // biome-ignore lint/suspicious/noDocumentCookie: the recipe reads document.cookie, as Django's docs do.
    document.cookie = 'csrftoken=abc123';
    expect(csrfToken()).toBe('abc123');
    const seen: string[] = [];
    server.use(
      http.get(`${APP}/api/users/alice/events`, ({ request }) => {
        seen.push(`GET ${request.headers.get('x-csrftoken')}`);
        return HttpResponse.json([{ id: 42 }], { headers: { 'x-cache-version': '1', 'cache-control': 'private, no-cache' } });
      }),
      http.delete(`${APP}/api/users/alice/events/:id`, ({ request }) => {
        seen.push(`DELETE ${request.headers.get('x-csrftoken')}`);
        return new HttpResponse(null, { status: 204, headers: { 'x-cache-version': '2' } });
      }),
    );
    await django.get('/api/users/alice/events');
    await deleteEvent('alice', 42);
    await deleteEventWithToken('alice', 43);
    expect(seen).toEqual(['GET null', 'DELETE abc123', 'DELETE abc123']);
  });

  it('logout: the user’s entries are gone from the cache and the namespace is left', async () => {
    const { logout } = await loadAuthRecipes();
    const { createClient } = await import('../../src/index.js');
    const client = createClient({ namespace: 'alice' });
    let loggedOut = 0;
    server.use(
      http.get(`${APP}/api/me`, () => HttpResponse.json({ name: 'alice' }, { headers: { 'cache-control': 'private, max-age=60' } })),
      http.post(`${APP}/accounts/logout/`, () => {
        loggedOut++;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    await client.get('/api/me');
    expect(client.peek('/api/me')?.data).toEqual({ name: 'alice' });
    await logout(client);
    expect(client.namespace).toBe('');
    client.namespace = 'alice';
    expect(client.peek('/api/me')).toBeUndefined();
    expect(loggedOut).toBe(1);
  });
});
