/**
 * Browser APIs for the extension pages (popup, block, warn).
 *
 * Unlike src/platform/browser.ts this does not bundle webextension-polyfill: each page is its own
 * bundle and the polyfill (10 KB minified) three times would break the 40 KB UI budget. The pages
 * need only promise-returning calls that Chrome MV3 and Firefox both provide natively
 * (`runtime.sendMessage`, `tabs.query`, `tabs.getCurrent`) and synchronous ones.
 */
import type Browser from 'webextension-polyfill';
import type { Request, ResponseFor } from '../platform/messages.ts';

interface ExtApi {
  runtime: Browser.Runtime.Static;
  tabs: Browser.Tabs.Static;
  i18n: Browser.I18n.Static;
  storage: Browser.Storage.Static;
}

const scope = globalThis as unknown as { browser?: ExtApi; chrome?: ExtApi };

/** `browser` on Firefox, `chrome` on Chromium (promise-based in MV3). */
export function ext(): ExtApi {
  const api = scope.browser?.runtime?.id ? scope.browser : scope.chrome;
  if (!api?.runtime) throw new Error('extension APIs are not available (page opened outside the extension?)');
  return api;
}

/** Send a typed request to the background and await its typed answer. */
export async function sendRequest<R extends Request>(request: R): Promise<ResponseFor<R>> {
  const response: unknown = await ext().runtime.sendMessage(request);
  // The background's polyfilled onMessage wraps a rejected handler in this shape; the native
  // sendMessage hands it to us as a value, so turn it back into an error.
  if (response && typeof response === 'object' && '__mozWebExtensionPolyfillReject__' in response) {
    throw new Error(String((response as { message?: unknown }).message ?? 'request failed'));
  }
  if (response === undefined) throw new Error(`no answer to "${request.type}" from the background`);
  return response as ResponseFor<R>;
}

/** The employee's languages, most preferred first (same order as platform uiLanguages). */
export function uiLanguages(): string[] {
  const langs = [...(globalThis.navigator?.languages ?? [])];
  try {
    langs.push(ext().i18n.getUILanguage());
  } catch {
    // not available in every context
  }
  return langs.length ? langs : ['en'];
}

/** Absolute URL of a file in the extension package. */
export function packageUrl(path: string): string {
  return ext().runtime.getURL(path);
}

export function extensionVersion(): string {
  try {
    return ext().runtime.getManifest().version;
  } catch {
    return 'unknown';
  }
}
