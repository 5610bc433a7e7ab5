/**
 * Messaging for content scripts without webextension-polyfill: every vendor page pays for the
 * content script's size, and MV3 `chrome.runtime.sendMessage` already returns a promise, as
 * Firefox's `browser.runtime.sendMessage` does. Extension pages and the worker use ./browser.ts.
 */
import type { Request, ResponseFor } from '../core/messages.ts';

interface MinimalRuntime {
  sendMessage(message: unknown): Promise<unknown>;
}
const g = globalThis as unknown as { browser?: { runtime: MinimalRuntime }; chrome?: { runtime: MinimalRuntime } };
const runtime: MinimalRuntime = (g.browser ?? g.chrome)!.runtime;

/** Send a typed request to the background from a content script. */
export function sendRequest<R extends Request>(request: R): Promise<ResponseFor<R>> {
  return runtime.sendMessage(request) as Promise<ResponseFor<R>>;
}

/** The page's languages, most preferred first. */
export function pageLanguages(): string[] {
  return navigator.languages?.length ? [...navigator.languages] : ['en'];
}
