import { createClient } from '../../../src/index.js';

export interface CycleReport {
  cycles: number;
  /** A read after a create that did not show the created item. */
  staleReads: number;
  /** A read after a delete that still showed the deleted item. */
  resurrected: number;
  /** Reads through the second client, which never mutates and learns only from the server. */
  observerReads: number;
  /** Requests the proxy sent to each worker. */
  served?: number[];
}

type Item = { id: string | number; title: string };

/**
 * Create-read-delete-read, through the real nostale client (Node's fetch) with the routes from
 * the docs; a second client (another device of the same user) reads after every step without
 * mutating, so it can only be current if the server's ETags and versions are right.
 */
export async function createReadDeleteRead(
  baseUrl: string,
  user: string,
  cycles: number,
  headers: Record<string, string> = {},
): Promise<CycleReport> {
  const routes = [{ match: '/api/users/:user/events*', scope: 'calendar:{user}', versionUrl: '/api/users/{user}/version' }];
  // The client passes a Request for writes and a URL plus init for reads: add to either's headers.
  const withHeaders: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
    return fetch(request);
  };
  const writer = createClient({ baseUrl, routes, namespace: user, fetch: withHeaders });
  const observer = createClient({ baseUrl, routes, namespace: user, fetch: withHeaders });
  const feed = `/api/users/${user}/events`;
  const report: CycleReport = { cycles, staleReads: 0, resurrected: 0, observerReads: 0 };
  const read = async (client: typeof writer) => {
    // Read twice: the second read is the one a cache would answer from, without the network.
    await client.get<Item[]>(feed);
    return client.get<Item[]>(feed);
  };
  await read(writer);
  await read(observer);
  for (let i = 0; i < cycles; i++) {
    const title = `event ${i}`;
    const created = await writer.fetch(feed, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title }),
    });
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`);
    const item = (await created.json()) as Item;
    for (const client of [writer, observer]) {
      if (client === observer) report.observerReads++;
      if (!(await read(client)).some((e) => String(e.id) === String(item.id))) report.staleReads++;
    }
    const deleted = await writer.fetch(`${feed}/${item.id}`, { method: 'DELETE' });
    if (deleted.status !== 204) throw new Error(`delete answered ${deleted.status}: ${await deleted.text()}`);
    for (const client of [writer, observer]) {
      if (client === observer) report.observerReads++;
      if ((await read(client)).some((e) => String(e.id) === String(item.id))) report.resurrected++;
    }
  }
  return report;
}
