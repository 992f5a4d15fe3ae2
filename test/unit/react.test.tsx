/**
 * `nostale/react` in happy-dom with Testing Library: requests counted as the server sees them.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { StrictMode, Suspense } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { MutationError, withMutations } from '../../src/mutate.js';
import { NostaleProvider, useFetch, useMutation } from '../../src/react.js';
import { API, makeClient, useServer } from './support/harness.js';

const server = useServer();
afterEach(cleanup);
const routes = [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }];
const EVENTS = `${API}/api/users/alice/events`;
const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 30)));

/** Events whose DELETE bumps the version (or fails with `fail`); `gets` counts the feed's GETs. */
function backend() {
  const state = { version: 1, items: [1, 2, 3], gets: 0, fail: false };
  server.use(
    http.get(EVENTS, () => {
      state.gets++;
      return HttpResponse.json(state.items, {
        headers: { 'x-cache-version': String(state.version), 'cache-control': 'private, no-cache' },
      });
    }),
    http.delete(`${EVENTS}/:id`, ({ params }) => {
      if (state.fail) return new HttpResponse('no', { status: 500 });
      state.items = state.items.filter((id) => id !== Number(params.id));
      state.version++;
      return new HttpResponse(null, { status: 204, headers: { 'x-cache-version': String(state.version) } });
    }),
  );
  return state;
}

function Events({ url = EVENTS as string | null, suspense = false }) {
  const { data, isLoading, error, refetch } = useFetch<number[]>(url, { suspense });
  if (isLoading) return <p>loading</p>;
  if (error) return <p>error</p>;
  return (
    <div>
      <p>items: {data ? data.join(',') : 'none'}</p>
      <button type="button" onClick={() => void refetch()}>
        refetch
      </button>
    </div>
  );
}

function setup(ui: React.ReactNode, strict = false) {
  const state = backend();
  const { client } = makeClient({ routes });
  const mutating = withMutations(client);
  const tree = <NostaleProvider client={mutating}>{ui}</NostaleProvider>;
  render(strict ? <StrictMode>{tree}</StrictMode> : tree);
  return { state, client: mutating };
}

describe('useFetch', () => {
  it('renders loading, then the data, with one GET on mount', async () => {
    const { state } = setup(<Events />);
    expect(screen.getByText('loading')).toBeTruthy();
    await screen.findByText('items: 1,2,3');
    await settle();
    expect(state.gets).toBe(1);
  });

  it('one GET on mount under StrictMode too', async () => {
    const { state } = setup(<Events />, true);
    await screen.findByText('items: 1,2,3');
    await settle();
    expect(state.gets).toBe(1);
  });

  it('one more GET after a delete through withMutations(client).mutate', async () => {
    const { state, client } = setup(<Events />);
    await screen.findByText('items: 1,2,3');
    await act(() =>
      client.mutate({
        scope: 'calendar:alice',
        request: { url: `${EVENTS}/2`, method: 'DELETE' },
        optimistic: (data) => (data as number[]).filter((id) => id !== 2),
      }),
    );
    await screen.findByText('items: 1,3');
    await settle();
    expect(state.gets).toBe(2);
  });

  it('url = null waits: nothing is read', async () => {
    const { state } = setup(<Events url={null} />);
    await settle();
    expect(screen.getByText('items: none')).toBeTruthy();
    expect(state.gets).toBe(0);
  });

  it('refetch reads again (a no-cache feed revalidates)', async () => {
    const { state } = setup(<Events />);
    await screen.findByText('items: 1,2,3');
    state.items = [9];
    fireEvent.click(screen.getByText('refetch'));
    await screen.findByText('items: 9');
    expect(state.gets).toBe(2);
  });

  it('suspense mode renders the fallback, then the data', async () => {
    const { state } = setup(
      <Suspense fallback={<p>suspended</p>}>
        <Events suspense />
      </Suspense>,
    );
    expect(screen.getByText('suspended')).toBeTruthy();
    await screen.findByText('items: 1,2,3');
    await settle();
    expect(state.gets).toBe(1);
  });
});

function Remover() {
  const { mutate, isPending, error } = useMutation();
  return (
    <div>
      <p>{isPending ? 'pending' : 'idle'}</p>
      <p>{error instanceof MutationError ? `rolled back: ${error.reason}` : 'no error'}</p>
      <button
        type="button"
        onClick={() =>
          void mutate({
            scope: 'calendar:alice',
            request: { url: `${EVENTS}/1`, method: 'DELETE' },
            optimistic: (data) => (data as number[]).filter((id) => id !== 1),
          }).catch(() => undefined)
        }
      >
        delete
      </button>
    </div>
  );
}

describe('useMutation', () => {
  it('is pending while the request runs, and reports the rollback error; the optimistic change is undone', async () => {
    const { state } = setup(
      <>
        <Events />
        <Remover />
      </>,
    );
    await screen.findByText('items: 1,2,3');
    state.fail = true;
    fireEvent.click(screen.getByText('delete'));
    expect(screen.getByText('pending')).toBeTruthy();
    await screen.findByText('rolled back: http');
    expect(screen.getByText('idle')).toBeTruthy();
    expect(screen.getByText('items: 1,2,3')).toBeTruthy();
  });

  it('without withMutations it throws a NostaleError', () => {
    const { client } = makeClient({ routes });
    expect(() =>
      render(
        <NostaleProvider client={client}>
          <Remover />
        </NostaleProvider>,
      ),
    ).toThrow(/withMutations/);
  });
});

function Revalidated({ revalidate }: { revalidate?: boolean }) {
  const { data } = useFetch<number[]>(EVENTS, revalidate === undefined ? {} : { revalidate });
  return <p>items: {data ? data.join(',') : 'none'}</p>;
}

describe('useFetch revalidation (nostale/revalidate)', () => {
  const focus = () =>
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });

  it('`revalidate: true` re-reads once when the tab becomes visible, and shows the new data', async () => {
    const { state } = setup(<Revalidated revalidate />);
    await screen.findByText('items: 1,2,3');
    state.items = [1, 2, 3, 4];
    await focus();
    await screen.findByText('items: 1,2,3,4');
    await settle();
    expect(state.gets).toBe(2);
  });

  it('without it (and no revalidate(client)), becoming visible reads nothing', async () => {
    const { state } = setup(<Revalidated />);
    await screen.findByText('items: 1,2,3');
    await focus();
    await settle();
    expect(state.gets).toBe(1);
  });
});
