/**
 * The `react18` project really runs React 18: the test file, nostale/react (through `useClient`'s
 * context) and Testing Library's renderer share one React 18 copy. With the aliases gone this
 * fails instead of silently testing React 19 twice.
 */
import { render, screen } from '@testing-library/react';
import { version } from 'react';
import { version as domVersion } from 'react-dom';
import { expect, it } from 'vitest';
import { createClient } from '../../src/index.js';
import { NostaleProvider, useClient } from '../../src/react.js';
import { REACT18_PACKAGES } from './project.js';

const client = createClient({ baseUrl: 'http://api.test/' });

function Probe() {
  return <p>{useClient() === client ? 'same client' : 'other client'}</p>;
}

it('runs React 18 and react-dom 18, one copy shared with nostale/react', () => {
  expect(version).toBe(REACT18_PACKAGES.react);
  expect(domVersion).toBe(REACT18_PACKAGES['react-dom']);
  render(
    <NostaleProvider client={client}>
      <Probe />
    </NostaleProvider>,
  );
  expect(screen.getByText('same client')).toBeTruthy();
});
