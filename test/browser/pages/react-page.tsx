/**
 * A React 19 page over `nostale/react`, bundled by test/browser/react.test.ts. The query string
 * picks the case: `?strict` renders under StrictMode, `?wait` starts with `url = null` until the
 * "load" button is clicked. A delete goes through `useMutation`.
 */
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from '../../../src/index.js';
import { removeItem, withMutations } from '../../../src/mutate.js';
import { NostaleProvider, useFetch, useMutation } from '../../../src/react.js';

const EVENTS = '/api/users/alice/events';
const params = new URLSearchParams(location.search);

interface Item {
  id: number;
}

function Events() {
  const [url, setUrl] = useState<string | null>(params.has('wait') ? null : EVENTS);
  const { data, isLoading, error } = useFetch<Item[]>(url);
  const { mutate, isPending } = useMutation();
  const remove = (id: number) =>
    void mutate({
      scope: 'calendar:alice',
      request: { url: `${EVENTS}/${id}`, method: 'DELETE' },
      optimistic: removeItem(id),
    }).catch(() => undefined);
  return (
    <main>
      <p id="items">{isLoading ? 'loading' : error ? 'error' : data ? `items: ${data.map((item) => item.id).join(',')}` : 'items: none'}</p>
      <p id="mutation">{isPending ? 'pending' : 'idle'}</p>
      <button type="button" id="load" onClick={() => setUrl(EVENTS)}>
        load
      </button>
      {data?.map((item) => (
        <button type="button" key={item.id} id={`delete-${item.id}`} onClick={() => remove(item.id)}>
          delete {item.id}
        </button>
      ))}
    </main>
  );
}

const client = withMutations(createClient({ routes: [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }] }));
const tree = (
  <NostaleProvider client={client}>
    <Events />
  </NostaleProvider>
);
const container = document.getElementById('root');
if (!container) throw new Error('react-page: no #root element');
createRoot(container).render(params.has('strict') ? <StrictMode>{tree}</StrictMode> : tree);
