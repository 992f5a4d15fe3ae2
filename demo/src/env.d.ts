/// <reference types="vite/client" />

import type { Calendar } from '@fullcalendar/core';
import type { DemoClient } from './nostale';

declare global {
  interface Window {
    /** Test hook for the browser suite; see docs/demo.md. */
    __nostaleDemo?: {
      client: DemoClient;
      calendar: Calendar;
      /** Resolves once the mock backend runs and the first month's fetch has settled. */
      ready: Promise<void>;
      /** The build this page runs and the build the "server" has deployed. */
      build: { running: string; deployed: () => string };
    };
  }
}
