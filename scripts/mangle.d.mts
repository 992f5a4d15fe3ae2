// Types of scripts/mangle.mjs, for vite.config.ts and test/unit/mangle.test.ts.
import type { Plugin } from 'vite';

/** Internal property names shortened in every shipped build. */
export declare const MANGLED: readonly string[];
/** name → its fixed short name. */
export declare const SHORT_NAMES: Readonly<Record<string, string>>;
/** esbuild options applying the renaming. */
export declare function mangleOptions(): { mangleProps: RegExp; mangleCache: Record<string, string> };
/** The library build's renaming step (renderChunk). */
export declare function manglePlugin(): Plugin;
