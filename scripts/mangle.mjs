// Internal property names shortened in everything we ship, so what `npm run size` measures is
// what users download. One list, applied identically by the library build (vite.config.ts, as a
// renderChunk step), the no-bundler build (scripts/build-browser.mjs) and scripts/size.mjs.
//
// A name belongs here only when it is ours alone: never a public API name (options, methods,
// fields of exported types), a DOM/Fetch/Node field, or a field of a format that outlives one
// page (IndexedDB records, cross-tab messages). test/unit/mangle.test.ts checks each of those
// against the TypeScript program, lib.dom and @types/node, and that no shipped code uses the
// short names or spells a listed name as a string (`'inflight' in x` would miss the rename).
//
// The short names are fixed, not chosen per build: the library build renames chunk by chunk,
// and a field written by one chunk and read by another must get the same name everywhere.

/** Ordered by how often the core bundle spells them, so the most used get the first letters. */
export const MANGLED = [
  // Core state (src/core/context.ts)
  'tally',
  'scopeStates',
  'inflight',
  'overlays',
  'clearing',
  'versionChecks',
  'versionUrls',
  'waiters',
  // Targets and scope states (src/core/routes.ts, src/core/scopes.ts)
  'primary',
  'versionUrlOf',
  'shownOf',
  'shown',
  'heldOf',
  'keepHeld',
  'verifiedAt',
  'learn',
  'judge',
  // Memory store internals (src/memoryStore.ts)
  'byUrl',
  'namespacesSeen',
  'oldest',
  'moved',
  'byKey',
  'heldBytes',
  'recency',
  'reportEvent',
  'entryCap',
  'byteCap',
  'removeSlot',
  // Read-path plumbing (src/core/network.ts, src/core/cacheControl.ts)
  'storable',
  'announce',
  // Subpaths' internals (nostale/idb above all: it ships with the core in most apps)
  'reporter',
  'native',
  'pendingScopes',
  'pendings',
  'aliases',
  'pruner',
  'ids',
  'limbo',
  'reads',
  'evictForQuota',
  'live',
  'pumping',
  'reading',
  'onVersionChange',
  'touchTimer',
  'limboKeys',
  'timer',
  'onTerminated',
  'retrying',
  'dropCorrupt',
  'toLimbo',
  'running',
  'onDropped',
  'onBlocked',
  'sliced',
  'madeAt',
  'lost',
  'unwanted',
  'kick',
  'evictLru',
  'more',
  'schedule',
  'degrade',
  'unindexedSlice',
  'opened',
  'expiredSlice',
  'versionSlice',
  'warned',
  'forgetScopes',
  'checkBuild',
  'takeScopes',
  'pend',
  'settle',
  'passes',
  'pump',
  'caps',
  'busy',
  'ownerHeader',
];

/**
 * One letter each, then `$` and a letter: test/unit/mangle.test.ts checks that no shipped code has
 * a property of any of these names.
 */
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const shortName = (i) => (i < LETTERS.length ? LETTERS[i] : `$${LETTERS[i - LETTERS.length]}`);

if (MANGLED.length > 2 * LETTERS.length) throw new Error('scripts/mangle.mjs: more names than short names');

/** name → short name, fixed for every build. */
export const SHORT_NAMES = Object.freeze(Object.fromEntries(MANGLED.map((name, i) => [name, shortName(i)])));

/** The esbuild options that apply the renaming (spread into `build` or `transform` options). */
export function mangleOptions() {
  return {
    mangleProps: new RegExp(`^(?:${MANGLED.join('|')})$`),
    // A fresh copy: esbuild would otherwise be handed the same object by every build.
    mangleCache: { ...SHORT_NAMES },
  };
}

/**
 * The library build's step (vite / rolldown `renderChunk`): renames the listed properties of each
 * output chunk, keeping the source map chain intact.
 */
export function manglePlugin() {
  return {
    name: 'nostale:mangle-internal-props',
    async renderChunk(code) {
      const { transform } = await import('esbuild');
      const result = await transform(code, { ...mangleOptions(), loader: 'js', format: 'esm', sourcemap: 'external', logLevel: 'warning' });
      return { code: result.code, map: result.map };
    },
  };
}
