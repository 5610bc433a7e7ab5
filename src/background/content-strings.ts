/**
 * The words of the in-page notices (data-controls notice, model overlay), in the page's language.
 * Every vendor page pays for a content script's size, so the scripts carry no translations: they
 * send `navigator.languages` with the request they make anyway, and the worker answers with the
 * few messages they need, read from the extension's own `_locales` files (cached per locale).
 */
import { browser } from '../platform/browser.ts';
import { resolveLocale, type Locale, type Messages } from '../ui/i18n.ts';

/** The message-key prefixes each content script uses (static/_locales/en/messages.json). */
export const CONTENT_STRING_PREFIXES = { guard: 'dc', models: 'model' } as const;

const cache = new Map<Locale, Promise<Messages>>();

function messagesOf(locale: Locale): Promise<Messages> {
  let m = cache.get(locale);
  if (!m) {
    m = fetch(browser.runtime.getURL(`_locales/${locale}/messages.json`)).then((r) => {
      if (!r.ok) throw new Error(`${locale} messages: HTTP ${r.status}`);
      return r.json() as Promise<Messages>;
    });
    // A failed read is retried next time rather than remembered.
    m.catch(() => cache.delete(locale));
    cache.set(locale, m);
  }
  return m;
}

/** The page's languages as sent by a content script: strings only, at most 8. */
export function pageLanguagesOf(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((l): l is string => typeof l === 'string' && l.length <= 35).slice(0, 8)
    : [];
}

/** Pick the messages whose keys start with `prefix` (pure, for tests). */
export function pickMessages(own: Messages, english: Messages, prefix: string): Messages {
  const out: Messages = {};
  for (const key of Object.keys(english)) if (key.startsWith(prefix)) out[key] = own[key] ?? english[key];
  return out;
}

/** The messages a content script needs, in the first of `languages` we ship; English otherwise. */
export async function contentStrings(languages: unknown, prefix: string): Promise<Messages> {
  const locale = resolveLocale(pageLanguagesOf(languages));
  try {
    const english = await messagesOf('en');
    const own = locale === 'en' ? english : await messagesOf(locale).catch(() => english);
    return pickMessages(own, english, prefix);
  } catch {
    // The script falls back to the browser's own translation of each key.
    return {};
  }
}
