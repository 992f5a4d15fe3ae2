// The shipped builds shorten the internal property names listed in scripts/mangle.mjs. A rename
// is by name, everywhere in a bundle, so a listed name must be ours alone: these tests check it
// against what users and browsers see, and that the renaming cannot collide with a real field.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { MANGLED, mangleOptions, SHORT_NAMES } from '../../scripts/mangle.mjs';

const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
const entryFiles = Object.keys(pkg.exports).map((subpath) => join(root, 'src', `${subpath === '.' ? 'index' : subpath.slice(2)}.ts`));
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });

const program = ts.createProgram(entryFiles, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  jsx: ts.JsxEmit.ReactJSX,
  skipLibCheck: true,
  noEmit: true,
});
const checker = program.getTypeChecker();
const ours = (node: ts.Node | undefined) => !!node && !node.getSourceFile().fileName.includes('node_modules');

/** Every property name reachable from the types a file exports (or from the named declarations). */
function propertyNames(types: ts.Type[]): Set<string> {
  const names = new Set<string>();
  const seen = new Set<ts.Type>();
  const visit = (type: ts.Type | undefined): void => {
    if (!type || seen.has(type)) return;
    seen.add(type);
    if (type.isUnionOrIntersection()) type.types.forEach(visit);
    (type.aliasTypeArguments ?? []).forEach(visit);
    if (type.flags & ts.TypeFlags.Object) checker.getTypeArguments(type as ts.TypeReference).forEach(visit);
    // DOM, Fetch and Node types are checked name by name below; their members are not ours to walk.
    if (!ours(type.getSymbol()?.declarations?.[0])) return;
    for (const property of type.getProperties()) {
      const declaration = property.declarations?.[0];
      // `private` members are not API (they still appear in .d.ts files, as `private name;`).
      if (declaration && ts.getCombinedModifierFlags(declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
      names.add(property.getName());
      visit(checker.getTypeOfSymbol(property));
    }
    for (const signature of [...type.getCallSignatures(), ...type.getConstructSignatures()]) {
      for (const parameter of signature.getParameters()) visit(checker.getTypeOfSymbol(parameter));
      visit(signature.getReturnType());
    }
    visit(type.getStringIndexType());
    visit(type.getNumberIndexType());
  };
  types.forEach(visit);
  return names;
}

const symbolTypes = (symbol: ts.Symbol): ts.Type[] => {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return [checker.getDeclaredTypeOfSymbol(target), checker.getTypeOfSymbol(target)];
};

/** The types of the declarations named `names` in `file` (exported or not). */
function declaredTypes(file: string, names: string[]): ts.Type[] {
  const source = program.getSourceFile(join(root, file));
  if (!source) throw new Error(`${file} is not in the program`);
  const found = source.statements.filter(
    (s): s is ts.InterfaceDeclaration | ts.TypeAliasDeclaration =>
      (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && names.includes(s.name.text),
  );
  expect(found.map((s) => s.name.text).sort()).toEqual([...names].sort());
  return found.map((s) => checker.getTypeAtLocation(s.name));
}

const listed = (names: Iterable<string>) => [...names].filter((name) => MANGLED.includes(name)).sort();

describe('the internal property names shortened in the shipped builds (scripts/mangle.mjs)', () => {
  it('are no public API name: no field, method or option reachable from an entry point', () => {
    const publicNames = propertyNames(
      entryFiles.flatMap((file) => {
        const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
        return checker.getExportsOfModule(module).flatMap(symbolTypes);
      }),
    );
    expect(publicNames.has('namespace') && publicNames.has('versionHeader')).toBe(true);
    expect(listed(publicNames)).toEqual([]);
  });

  it('are no field of a format that outlives a page: IndexedDB records and cross-tab messages', () => {
    const formats = propertyNames([
      ...declaredTypes('src/idb/schema.ts', ['NostaleSchema']),
      ...declaredTypes('src/sync.ts', ['Envelope']),
    ]);
    expect(formats.has('stamp') && formats.has('clock')).toBe(true);
    // Migrations and the shape check read records by field name: every property those files touch.
    const migrations: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node) || ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node))
        migrations.push(node.name.getText());
      if (ts.isBindingElement(node)) migrations.push((node.propertyName ?? node.name).getText());
      if (ts.isStringLiteralLike(node)) migrations.push(node.text);
      ts.forEachChild(node, visit);
    };
    for (const file of ['src/idb/schema.ts', 'src/idb/record.ts']) visit(program.getSourceFile(join(root, file))!);
    expect(migrations).toContain('accessedAt');
    expect(migrations).toContain('staleIfError');
    expect(listed([...formats, ...migrations])).toEqual([]);
  });

  it('are no member of a DOM, Fetch, ECMAScript or Node interface, nor of a package the code talks to', () => {
    const lib = join(root, 'node_modules/typescript/lib');
    // The packages dist/ leaves as imports (idb, workbox-window, FullCalendar, React, the server's
    // Redis clients and frameworks): their objects keep their names whatever we rename.
    const packages = [
      '@types/node',
      'idb',
      'workbox-window',
      '@fullcalendar/core',
      '@types/react',
      '@types/react-dom',
      'ioredis',
      '@redis',
      '@types/express',
      '@types/express-serve-static-core',
      'fastify',
    ];
    const files = [
      ...readdirSync(lib)
        .filter((name) => /^lib\..*\.d\.ts$/.test(name))
        .map((name) => join(lib, name)),
      ...packages.flatMap((name) => walk(join(root, 'node_modules', name)).filter((file) => /\.d\.(m|c)?ts$/.test(file))),
    ];
    const members = new Set<string>();
    for (const file of files)
      for (const [, name] of readFileSync(file, 'utf8').matchAll(
        /^\s*(?:readonly\s+|static\s+|get\s+|set\s+)*["']?([A-Za-z_$][\w$]*)["']?\??\s*[:(<]/gm,
      ))
        members.add(name!);
    // Export names too: a dynamic import's module object is read by property (`(await import('workbox-window')).Workbox`).
    for (const file of files.filter((name) => !name.includes('typescript/lib'))) {
      const text = readFileSync(file, 'utf8');
      for (const [, name] of text.matchAll(
        /export\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:class|function|const|let|var|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)/g,
      ))
        members.add(name!);
      for (const [, list] of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g))
        for (const part of list!.split(','))
          members.add(
            part
              .trim()
              .split(/\s+as\s+/)
              .pop()!
              .replace(/^type\s+/, ''),
          );
    }
    expect(['loaded', 'signal', 'objectStoreNames', 'getEventById', 'Provider', 'Workbox'].filter((name) => !members.has(name))).toEqual(
      [],
    );
    expect(listed(members)).toEqual([]);
  });

  it('are never spelt as strings in src/ (`name in x`, `x[name]` would miss the rename)', () => {
    const strings: string[] = [];
    for (const file of walk(join(root, 'src')).filter((name) => /\.tsx?$/.test(name))) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isStringLiteralLike(node) && MANGLED.includes(node.text)) strings.push(`${file}: '${node.text}'`);
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(strings).toEqual([]);
  });

  it('get short names that no shipped code uses as a property of its own, and are gone from every bundle', async () => {
    expect(new Set(Object.values(SHORT_NAMES)).size).toBe(MANGLED.length);
    const used = new Set<string>();
    for (const file of entryFiles) {
      const server = file.endsWith('server.ts');
      const bundle = (extra: object) =>
        build({
          entryPoints: [file],
          bundle: true,
          write: false,
          outdir: 'out',
          format: 'esm',
          platform: server ? 'node' : 'browser',
          // What the builds leave to the app; idb and workbox-window are bundled into dist/browser.
          external: ['@fullcalendar/*', 'react', 'react-dom', 'ioredis', 'redis', 'express', 'fastify'],
          logLevel: 'silent',
          ...extra,
        });
      // esbuild reports every property name it sees when asked to rename them all.
      const all = await bundle({ mangleProps: /./, mangleCache: {} });
      for (const name of Object.keys(all.mangleCache ?? {})) used.add(name);
      const shipped = (await bundle({ ...mangleOptions(), minify: true })).outputFiles[0]!.text;
      expect(MANGLED.filter((name) => new RegExp(`[.{,]${name}\\b`).test(shipped))).toEqual([]);
    }
    expect(used.has('inflight')).toBe(true);
    expect([...used].filter((name) => Object.values(SHORT_NAMES).includes(name))).toEqual([]);
  });
});
