/**
 * Interface strings for the popup, block and warn pages.
 *
 * We load `_locales/<locale>/messages.json` ourselves instead of calling `i18n.getMessage`:
 * - `getMessage` follows the browser's UI language, while notice texts follow `navigator.languages`
 *   (pickText); a Hong Kong employee with an English Chrome but zh-HK content language would get
 *   English chrome around a Chinese notice. One language list for both keeps a page in one language.
 * - Chrome maps a zh-HK/zh-MO UI to zh-TW, and Firefox's fallback for `zh-HK` is `zh` then the
 *   default locale (English); resolving the locale here gives Hong Kong usage on both (the
 *   `zh_HK` folder is ours: browsers that do not know it as a UI locale ignore it).
 * - Tests can switch the language with the browser context's `locale`, which `getMessage` ignores.
 * The files stay valid Chrome messages.json (with `$1` substitutions), so the manifest can use them.
 */
import type enMessages from '../../static/_locales/en/messages.json';
import { browser } from '../platform/browser.ts';

export type MessageKey = keyof typeof enMessages;
export type Messages = Partial<Record<string, { message: string }>>;
export type Translate = (key: MessageKey, ...subs: (string | number)[]) => string;

/** Chrome locale folder names we ship. */
export const LOCALES = ['en', 'zh_HK', 'zh_TW', 'zh_CN', 'ja', 'fr', 'de'] as const;
export type Locale = (typeof LOCALES)[number];

/** BCP 47 tag for `<html lang>` per locale folder. */
export const HTML_LANG: Record<Locale, string> = {
  en: 'en',
  zh_HK: 'zh-HK',
  zh_TW: 'zh-Hant',
  zh_CN: 'zh-Hans',
  ja: 'ja',
  fr: 'fr',
  de: 'de',
};

const RTL = /^(ar|fa|he|iw|ps|ur|yi|dv|ckb|sd|ug)(-|$)/i;

/** The locale we ship for one language tag, Chinese by script then region; null if none. */
function matchLocale(tag: string): Locale | null {
  const l = tag.toLowerCase().replace(/_/g, '-');
  if (l === 'zh' || l.startsWith('zh-')) {
    // Script subtag first (zh-Hans-HK is Simplified), then region: Hong Kong and Macao read Hong
    // Kong usage (查詢, 簽署, 我明白), Taiwan and plain Traditional read Taiwan's (聯絡窗口, 簽章, 我了解).
    if (/^zh-hans\b/.test(l)) return 'zh_CN';
    if (/^zh-(hant-)?(hk|mo)\b/.test(l)) return 'zh_HK';
    if (/^zh-(hant|tw)\b/.test(l)) return 'zh_TW';
    return 'zh_CN';
  }
  const base = l.split('-')[0];
  return base === 'en' || base === 'ja' || base === 'fr' || base === 'de' ? base : null;
}

/** The first of the employee's languages that we ship; English otherwise. */
export function resolveLocale(languages: readonly string[]): Locale {
  for (const l of languages) {
    const locale = matchLocale(l);
    if (locale) return locale;
  }
  return 'en';
}

/** The tag for Intl formatting: the employee's own tag (en-GB, zh-HK…) when it maps to `locale`. */
export function formattingTag(languages: readonly string[], locale: Locale): string {
  for (const l of languages) {
    if (matchLocale(l) !== locale) continue;
    try {
      return Intl.getCanonicalLocales(l)[0] ?? HTML_LANG[locale];
    } catch {
      // not a valid tag: keep looking
    }
  }
  return HTML_LANG[locale];
}

/** Translate with `messages`, then `fallback` (English), then the key itself so a gap is visible. */
export function makeTranslate(messages: Messages, fallback: Messages): Translate {
  return (key, ...subs) => {
    const template = messages[key]?.message ?? fallback[key]?.message ?? key;
    // Chrome semantics: $1..$9 are substitutions, $$ is a literal dollar.
    return template.replace(/\$(\$|[1-9])/g, (_, d: string) => (d === '$' ? '$' : String(subs[Number(d) - 1] ?? '')));
  };
}

/**
 * A content script's translator: the messages the worker sent for the page's language
 * (background/content-strings.ts), else the browser's own translation in its UI language (before
 * the worker has answered), else the key.
 */
export function contentTranslator(messages: Messages): Translate {
  const t = makeTranslate(messages, {});
  return (key, ...subs) => (messages[key] ? t(key, ...subs) : browser.i18n.getMessage(key, subs.map(String)) || key);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Format an ISO date or instant; a bare date ("2026-11-20") is a calendar day, not UTC midnight. */
export function formatWhen(iso: string, tag: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (DATE_ONLY.test(iso)) return new Intl.DateTimeFormat(tag, { dateStyle: 'long', timeZone: 'UTC' }).format(d);
  return new Intl.DateTimeFormat(tag, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(d);
}

/** "8 hours", "2 days", "90 minutes" in the UI language. */
export function formatMinutes(minutes: number, tag: string): string {
  const [value, unit] =
    minutes % 1440 === 0 ? [minutes / 1440, 'day'] : minutes % 60 === 0 ? [minutes / 60, 'hour'] : [minutes, 'minute'];
  return new Intl.NumberFormat(tag, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}

/**
 * A country's name in the employee's language; the code itself when the engine has no name. The
 * short form reads "Hong Kong", not "Hong Kong SAR China", but for some countries it is an
 * abbreviation ("US", "UK"): then the full name.
 */
export function formatRegion(code: string, tag: string): string {
  try {
    const short = new Intl.DisplayNames([tag], { type: 'region', style: 'short' }).of(code) ?? code;
    return /^[A-Z]{2,3}$/.test(short) ? (new Intl.DisplayNames([tag], { type: 'region' }).of(code) ?? code) : short;
  } catch {
    return code;
  }
}

export interface I18n {
  locale: Locale;
  /** `<html lang>` value. */
  lang: string;
  dir: 'ltr' | 'rtl';
  /** The employee's languages, most preferred first, for pickText. */
  languages: readonly string[];
  t: Translate;
  /** English, for texts meant for the help desk. */
  tEn: Translate;
  when: (iso: string) => string;
  minutes: (n: number) => string;
  /** A country's name from its ISO 3166-1 alpha-2 code ("HK" → "Hong Kong"). */
  region: (code: string) => string;
}

/** Build the I18n object from already loaded message files (pure: used by tests and pages). */
export function createI18n(languages: readonly string[], messages: Messages, english: Messages): I18n {
  const locale = resolveLocale(languages);
  const tag = formattingTag(languages, locale);
  return {
    locale,
    lang: HTML_LANG[locale],
    dir: RTL.test(HTML_LANG[locale]) ? 'rtl' : 'ltr',
    languages,
    t: makeTranslate(messages, english),
    tEn: makeTranslate(english, english),
    when: (iso) => formatWhen(iso, tag),
    minutes: (n) => formatMinutes(n, tag),
    region: (code) => formatRegion(code, tag),
  };
}

async function fetchMessages(getUrl: (path: string) => string, locale: Locale): Promise<Messages> {
  const res = await fetch(getUrl(`_locales/${locale}/messages.json`));
  if (!res.ok) throw new Error(`${locale} messages: HTTP ${res.status}`);
  return (await res.json()) as Messages;
}

/** Load the employee's locale (and English as fallback) from the extension package. */
export async function loadI18n(languages: readonly string[], getUrl: (path: string) => string): Promise<I18n> {
  const locale = resolveLocale(languages);
  const english = fetchMessages(getUrl, 'en');
  // A missing translation file must not leave the page without text: fall back to English.
  const own = locale === 'en' ? english : fetchMessages(getUrl, locale).catch(() => english);
  return createI18n(languages, await own, await english);
}

/**
 * Put the page's language and direction on <html>, so screen readers and fonts follow it. Takes the
 * element rather than reading `document`: the worker imports this module and has no DOM.
 */
export function applyDocumentLanguage(i18n: I18n, root: { lang: string; dir: string }): void {
  root.lang = i18n.lang;
  root.dir = i18n.dir;
}
