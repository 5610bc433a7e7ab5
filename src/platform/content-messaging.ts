/**
 * Messaging for content scripts without webextension-polyfill: every vendor page pays for the
 * content script's size, and MV3 `chrome.runtime.sendMessage` already returns a promise, as
 * Firefox's `browser.runtime.sendMessage` does. Extension pages and the worker use ./browser.ts.
 */
import type { Request, ResponseFor } from './messages.ts';
import { makeTranslate, type Messages, type Translate } from '../ui/i18n.ts';

interface MinimalRuntime {
  sendMessage(message: unknown): Promise<unknown>;
}
interface MinimalI18n {
  getMessage(key: string, substitutions?: string[]): string;
}
const g = globalThis as unknown as { browser?: { runtime: MinimalRuntime; i18n?: MinimalI18n }; chrome?: { runtime: MinimalRuntime; i18n?: MinimalI18n } };
const runtime: MinimalRuntime = (g.browser ?? g.chrome)!.runtime;
const i18n = (g.browser ?? g.chrome)!.i18n;

/** Send a typed request to the background from a content script. */
export function sendRequest<R extends Request>(request: R): Promise<ResponseFor<R>> {
  return runtime.sendMessage(request) as Promise<ResponseFor<R>>;
}

/**
 * A content script's translator: the messages the worker sent for the page's language
 * (background/content-strings.ts), else the browser's own translation in its UI language (before
 * the worker has answered), else the key.
 */
export function contentTranslator(messages: Messages): Translate {
  const t = makeTranslate(messages, {});
  return (key, ...subs) => (messages[key] ? t(key, ...subs) : i18n?.getMessage(key, subs.map(String)) || key);
}

/** The page's languages, most preferred first. */
export function pageLanguages(): string[] {
  return navigator.languages?.length ? [...navigator.languages] : ['en'];
}
