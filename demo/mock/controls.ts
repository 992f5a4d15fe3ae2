import { defaultStorage, readJson, STORAGE_PREFIX, writeJson, type KeyValueStorage } from './storage';

/** Simulated network conditions, shared by every tab and kept across reloads. */
export interface NetworkControls {
  /** Delay before every API response is produced, in ms. */
  latencyMs: number;
  /** The next mutation (POST, PATCH, DELETE) answers 500 without being applied; then clears. */
  failNext: boolean;
  /** Every API request fails as a network error, as if the device were offline. */
  offline: boolean;
}

export const DEFAULT_CONTROLS: Readonly<NetworkControls> = { latencyMs: 150, failNext: false, offline: false };

/** Listen for `storage` events on this key to mirror control changes made in another tab. */
export const CONTROLS_KEY = `${STORAGE_PREFIX}controls`;

export function getControls(storage: KeyValueStorage = defaultStorage()): NetworkControls {
  const stored = readJson(storage, CONTROLS_KEY);
  const value = typeof stored === 'object' && stored !== null ? (stored as Partial<Record<keyof NetworkControls, unknown>>) : {};
  return {
    latencyMs: isLatency(value.latencyMs) ? value.latencyMs : DEFAULT_CONTROLS.latencyMs,
    failNext: typeof value.failNext === 'boolean' ? value.failNext : DEFAULT_CONTROLS.failNext,
    offline: typeof value.offline === 'boolean' ? value.offline : DEFAULT_CONTROLS.offline,
  };
}

export function setControls(patch: Partial<NetworkControls>, storage: KeyValueStorage = defaultStorage()): NetworkControls {
  if (patch.latencyMs !== undefined && !isLatency(patch.latencyMs)) {
    throw new RangeError(`latencyMs must be a finite number >= 0, got ${patch.latencyMs}`);
  }
  const next = { ...getControls(storage), ...patch };
  writeJson(storage, CONTROLS_KEY, next);
  return next;
}

export function resetControls(storage: KeyValueStorage = defaultStorage()): NetworkControls {
  storage.removeItem(CONTROLS_KEY);
  return getControls(storage);
}

/** Consumes the `failNext` flag: true exactly once per time it was set. */
export function takeFailNext(storage: KeyValueStorage = defaultStorage()): boolean {
  if (!getControls(storage).failNext) return false;
  setControls({ failNext: false }, storage);
  return true;
}

function isLatency(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
