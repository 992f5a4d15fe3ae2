/// <reference types="vite/client" />

import type { Calendar } from '@fullcalendar/core';
import type { DemoClient } from './nostale';

declare global {
  interface ImportMetaEnv {
    /** A real API origin (ending in `/api/`) instead of the mock; see docs/demo.md. */
    readonly VITE_DEMO_API?: string;
  }

  interface Window {
    /** Test hook for the browser suite; see docs/demo.md. */
    __nostaleDemo?: {
      client: DemoClient;
      /** The nostale calendar. */
      calendar: Calendar;
      /** The "without nostale" calendar. */
      naive: Calendar;
      /** Resolves once the backend runs and both calendars' first fetch has settled. */
      ready: Promise<void>;
      /** The build this page runs and the build the "server" has deployed. */
      build: { running: string; deployed: () => string };
    };
  }
}
