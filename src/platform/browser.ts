/**
 * The one place that knows which browser we run in: `browser.*` (promise-based) everywhere,
 * webextension-polyfill behind it on Chromium.
 */
import browser from 'webextension-polyfill';
import type { Request, ResponseFor } from './messages.ts';

export { browser };

/** Send a typed request to the background and await its typed answer. */
export function sendRequest<R extends Request>(request: R): Promise<ResponseFor<R>> {
  return browser.runtime.sendMessage(request) as Promise<ResponseFor<R>>;
}

/** The employee's languages, most preferred first (for notices in language maps). */
export function uiLanguages(): string[] {
  const langs = [...(globalThis.navigator?.languages ?? [])];
  try {
    langs.push(browser.i18n.getUILanguage());
  } catch {
    // not available in every context
  }
  return langs.length ? langs : ['en'];
}
