/**
 * Where an IndexedDB store is in its life; the one field every part of it consults.
 * - `opening`: the first open has not settled; operations wait for it.
 * - `open`: reads and writes go to IndexedDB. A connection closed under the store (another
 *   tab's upgrade, the browser) is reopened on next use without leaving this phase.
 * - `full`: out of quota even after evicting. Nothing is read or added; deletes, clears and
 *   scope removals still run, so nothing stale or private outlives it.
 * - `memory-only`: no usable database (missing, failed or hung open). Nothing reaches the disk,
 *   except what a hung open that succeeds late must still carry out (see `Writer`).
 * - `closed`: `close()` was called. Writes queued before it still commit; nothing new is taken.
 */
export type Phase = 'opening' | 'open' | 'full' | 'memory-only' | 'closed';

/** The store as its parts see it. */
export interface Host {
  readonly phase: Phase;
}
