import type { ChannelLike } from '../../../../src/sync.js';

type Listener = (event: { data: unknown }) => void;

/**
 * An in-memory BroadcastChannel whose messages wait until a command delivers or loses them. Order
 * is kept per sender and receiver, as BroadcastChannel keeps it; between senders anything goes.
 * A message is cloned when posted, as structured clone does.
 */
export class Bus {
  private readonly listeners = new Map<number, Set<Listener>>();
  /** Messages waiting, by `sender>receiver`. */
  readonly queues = new Map<string, unknown[]>();
  private next = 0;
  delivered = 0;
  lost = 0;

  /** A new endpoint (one per page load: a reloaded page does not get the old page's messages). */
  endpoint(): ChannelLike & { id: number } {
    const id = ++this.next;
    const own = new Set<Listener>();
    this.listeners.set(id, own);
    return {
      id,
      postMessage: (message) => {
        const copy = structuredClone(message);
        for (const other of this.listeners.keys()) {
          if (other === id) continue;
          const key = `${id}>${other}`;
          const queue = this.queues.get(key) ?? [];
          queue.push(copy);
          this.queues.set(key, queue);
        }
      },
      addEventListener: (_type, listener) => void own.add(listener),
      removeEventListener: (_type, listener) => void own.delete(listener),
      close: () => this.close(id),
    };
  }

  /** The page is gone: nothing more reaches it. What it sent is still on its way. */
  close(id: number) {
    this.listeners.delete(id);
    for (const key of [...this.queues.keys()]) if (key.endsWith(`>${id}`)) this.queues.delete(key);
  }

  private pick(index: number): [string, unknown[]] | undefined {
    const open = [...this.queues].filter(([, q]) => q.length);
    return open[index % Math.max(open.length, 1)];
  }

  /** Delivers the oldest message of one sender to one receiver; returns the receiver's id. */
  deliver(index: number): { to: number; data: unknown } | undefined {
    const picked = this.pick(index);
    if (!picked) return undefined;
    const [key, queue] = picked;
    const data = queue.shift();
    const to = Number(key.split('>')[1]);
    this.delivered++;
    for (const listener of [...(this.listeners.get(to) ?? [])]) listener({ data });
    return { to, data };
  }

  /** Loses the oldest message of one sender to one receiver. */
  drop(index: number) {
    const picked = this.pick(index);
    if (!picked) return;
    picked[1].shift();
    this.lost++;
  }

  pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }
}
