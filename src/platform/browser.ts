/**
 * The one browser shim, for every context: the service worker, the extension pages, the popup and
 * the content scripts.
 *
 * It hands out the browser's own namespace, `browser` on Firefox and `chrome` on Chromium, with no
 * polyfill: in Manifest V3 both return promises from the asynchronous APIs we call
 * (https://developer.chrome.com/docs/extensions/develop/migrate#promises,
 * https://developer.mozilla.org/en-US/docs/Mozilla/Add-ons/WebExtensions/Chrome_incompatibilities),
 * and every content script carries this file onto every vendor page, where each kilobyte is paid
 * for on every load. The types come from @types/webextension-polyfill.
 */
import type Browser from 'webextension-polyfill';
import type { Request, ResponseFor } from './messages.ts';

type BrowserApi = Browser.Browser;
export type MessageSender = Browser.Runtime.MessageSender;

interface ExtensionGlobals {
  browser?: BrowserApi;
  chrome?: BrowserApi;
}

const scope = globalThis as unknown as ExtensionGlobals;

/**
 * The browser's extension API: `browser` only when it is that API, since an element with
 * `id="browser"` on a page is otherwise reachable under that name (named access on the window
 * object, https://html.spec.whatwg.org/multipage/nav-history-apis.html#named-access-on-the-window-object).
 * Undefined outside the extension (unit tests mock this module).
 */
export const browser = (scope.browser?.runtime?.id ? scope.browser : scope.chrome) as BrowserApi;

/** The page's languages, most preferred first (what notices on a vendor page follow). */
export function pageLanguages(): string[] {
  return navigator.languages?.length ? [...navigator.languages] : ['en'];
}

/** The employee's languages, most preferred first, then the browser's UI language. */
export function uiLanguages(): string[] {
  const langs = [...(globalThis.navigator?.languages ?? [])];
  try {
    langs.push(browser.i18n.getUILanguage());
  } catch {
    // Not available outside the extension (unit tests).
  }
  return langs.length ? langs : ['en'];
}

/** Absolute URL of a file in the extension package. */
export function packageUrl(path: string): string {
  return browser.runtime.getURL(path);
}

/** The version of the installed extension, from its manifest. */
export function extensionVersion(): string {
  try {
    return browser.runtime.getManifest().version;
  } catch {
    return 'unknown';
  }
}

/**
 * What travels back to a sender: `{ value }` or `{ error }`. Without webextension-polyfill the
 * worker answers the way both browsers document, `return true` and a later `sendResponse` (only
 * Firefox takes a returned promise), and `sendResponse` has no way to say "failed": a failure needs
 * a shape of its own
 * (https://developer.chrome.com/docs/extensions/reference/api/runtime#event-onMessage,
 * https://developer.mozilla.org/en-US/docs/Mozilla/Add-ons/WebExtensions/API/runtime/onMessage).
 */
export type Envelope = { value: unknown; error?: undefined } | { error: string };

/** Send a request to the worker and await its answer; rejects with the worker's error message. */
export async function sendRequest<R extends Request>(request: R): Promise<ResponseFor<R>> {
  const envelope = (await browser.runtime.sendMessage(request)) as Envelope | undefined;
  // The worker is the trusted side: its answer has the type of the request's kind.
  if (envelope && 'value' in envelope) return envelope.value as ResponseFor<R>;
  throw new Error(envelope?.error ?? 'no answer from the background');
}
