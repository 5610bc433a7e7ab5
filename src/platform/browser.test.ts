import { afterAll, describe, expect, it, vi } from 'vitest';

// A page element with id="browser" is reachable as globalThis.browser (named access): the shim
// must take `chrome` then, never the element.
const sendMessage = vi.fn<(message: unknown) => Promise<unknown>>();
vi.stubGlobal('browser', { tagName: 'DIV' });
vi.stubGlobal('chrome', { runtime: { id: 'ext', sendMessage } });
const { browser, sendRequest } = await import('./browser.ts');
afterAll(() => vi.unstubAllGlobals());

describe('the browser shim', () => {
  it('takes `browser` only when it is the extension API', () => {
    expect(browser.runtime.id).toBe('ext');
  });

  it('unwraps the answer from its envelope', async () => {
    sendMessage.mockResolvedValueOnce({ value: { ok: true, until: '2026-12-07T20:00:00.000Z' } });
    await expect(sendRequest({ type: 'proceed', url: 'https://claude.ai/', justification: 'memo' })).resolves.toEqual({
      ok: true,
      until: '2026-12-07T20:00:00.000Z',
    });
    expect(sendMessage).toHaveBeenCalledWith({ type: 'proceed', url: 'https://claude.ai/', justification: 'memo' });
  });

  it("rejects with the worker's reason for a refused request, and when nothing answers", async () => {
    sendMessage.mockResolvedValueOnce({ error: 'malformed "explain" request: url: Invalid type' });
    await expect(sendRequest({ type: 'explain', url: 'https://claude.ai/' })).rejects.toThrow(
      'malformed "explain" request: url: Invalid type',
    );
    sendMessage.mockResolvedValueOnce(undefined);
    await expect(sendRequest({ type: 'get-status' })).rejects.toThrow('no answer from the background');
  });
});
