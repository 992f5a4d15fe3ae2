/**
 * The `react18` vitest project: test/unit/react.test.tsx again, with `react`, `react-dom` and
 * `@testing-library/react` taken from a React 18 install under `.cache/react18/` instead of the
 * repository's React 19. npm aliases cannot hold both (react-dom 18 wants react 18 as its peer),
 * so React 18 lives in its own prefix, installed by ./install.ts when missing.
 */
import { resolve } from 'node:path';
import type { TestProjectInlineConfiguration } from 'vitest/config';

const root = resolve(import.meta.dirname, '../..');

/** Where React 18 is installed (gitignored). */
export const REACT18_PREFIX = resolve(root, '.cache/react18');

/** Exact versions: what the project tests against, and what ./install.ts checks for. */
export const REACT18_PACKAGES: Record<string, string> = {
  react: '18.3.1',
  'react-dom': '18.3.1',
  '@testing-library/react': '16.3.3',
  '@testing-library/dom': '10.4.2',
};

const fromPrefix = (name: string) => resolve(REACT18_PREFIX, 'node_modules', name);

export const react18Project: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'react18',
    include: ['test/unit/react.test.tsx', 'test/react18/**/*.test.{ts,tsx}'],
    environment: 'happy-dom',
    setupFiles: ['test/unit/setup.ts'],
    globalSetup: ['test/react18/install.ts'],
    // `react` also covers `react/jsx-runtime`; React 18's own files, outside vite, find their
    // `react` next to them in the prefix, so one copy of React runs.
    alias: {
      react: fromPrefix('react'),
      'react-dom': fromPrefix('react-dom'),
      '@testing-library/react': fromPrefix('@testing-library/react'),
    },
    testTimeout: 20_000,
  },
};
