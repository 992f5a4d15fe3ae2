import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { isNostaleError, NostaleError } from '../../src/index.js';
import { watchDeploys, type DeployWarning } from '../../src/sw.js';

// The lifecycle itself runs in real Chromium (test/browser/sw.test.ts); a fake
// navigator.serviceWorker would only test the fake. This covers the places without one.
describe('watchDeploys without service workers', () => {
  afterEach(() => vi.restoreAllMocks());

  it('warns once, resolves no registration, and every method is safe', async () => {
    expect('serviceWorker' in navigator).toBe(false);
    const warnings: DeployWarning[] = [];
    const onUpdateReady = vi.fn();
    const reload = vi.fn();
    const watcher = watchDeploys({ scriptUrl: '/sw.js', onUpdateReady, reload, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([{ code: 'no-service-worker', message: expect.stringMatching(/not available/), error: undefined }]);
    expect(await watcher.registration).toBeUndefined();
    await expect(watcher.check()).resolves.toBeUndefined();
    await expect(watcher.applyUpdate()).rejects.toThrow(/no update is waiting/);
    // A typed error from the one factory, like every other public API's: apps catch nostale's errors in one place.
    const error: unknown = await watcher.applyUpdate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NostaleError);
    expect(isNostaleError(error) && error.name).toBe('NostaleError');
    watcher.stop();
    expect(onUpdateReady).not.toHaveBeenCalled();
    expect(reload).not.toHaveBeenCalled();
  });

  it('warns through console.warn by default', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    watchDeploys({ scriptUrl: '/sw.js' }).stop();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/^nostale\/sw: Service workers are not available/);
  });

  it('treats a navigator.serviceWorker that throws as missing', async () => {
    Object.defineProperty(navigator, 'serviceWorker', {
      configurable: true,
      get: () => {
        throw new DOMException('denied', 'SecurityError');
      },
    });
    onTestFinished(() => void Reflect.deleteProperty(navigator, 'serviceWorker'));
    const warnings: DeployWarning[] = [];
    const watcher = watchDeploys({ scriptUrl: '/sw.js', onWarning: (w) => warnings.push(w) });
    expect(warnings.map((w) => w.code)).toEqual(['no-service-worker']);
    expect(await watcher.registration).toBeUndefined();
  });
});
