/**
 * Stands in for a blocked or warned AI tool embedded in another site: DNR redirects the vendor's
 * `sub_frame` request to `embedded-block.html#<original URL>`, so the vendor receives nothing and
 * the employee sees why the frame is empty. Deliberately tiny (no UI framework, no polyfill): a
 * page may embed many frames. Details open in a tab, never here — a framed page could be used to
 * trick clicks, so the acknowledgement of a warning is only given on the full warn page.
 */
import { pickText } from '../../core/policy/localized-text.ts';
import { pageLanguages, sendRequest } from '../../platform/browser.ts';
import { contentTranslator } from '../../ui/i18n.ts';
import { HTML_LANG, resolveLocale, type MessageKey, type Messages } from '../../ui/i18n.ts';
import { displayHost, explainedUrl } from '../../ui/url.ts';

interface Runtime {
  getURL(path: string): string;
}
const g = globalThis as unknown as { browser?: { runtime: Runtime }; chrome?: { runtime: Runtime } };
const languages = pageLanguages();
const locale = resolveLocale(languages);
/**
 * The page's language, as the full pages choose it (not the browser's UI language, which maps
 * zh-HK to Taiwan's Chinese): one small file from the package, the browser's own translation
 * until it has arrived or if it cannot be read.
 */
const api = g.browser ?? g.chrome;
if (!api) throw new Error('embedded-block runs only as an extension page');
const messages: Promise<Messages> = fetch(api.runtime.getURL(`_locales/${locale}/messages.json`))
  .then((r) => (r.ok ? (r.json() as Promise<Messages>) : {}))
  .catch(() => ({}));
let translate = contentTranslator({});
const t = (key: MessageKey, fallback: string, sub?: string) => {
  const text = sub === undefined ? translate(key) : translate(key, sub);
  return text === key ? fallback : text;
};

/** An element of index.html beside this script; missing means a broken build, so say which. */
const $ = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`embedded-block: #${id} is missing from index.html`);
  return el;
};

async function show(): Promise<void> {
  const url = explainedUrl(location.href);
  const main = document.querySelector('main');
  if (!main) throw new Error('embedded-block: <main> is missing from index.html');
  translate = contentTranslator(await messages);
  document.documentElement.lang = HTML_LANG[locale];
  $('kind').textContent = t('kindBlock', 'Blocked by company policy');
  if (!url) return;
  const host = displayHost(url);
  $('title').textContent = t('defaultBlockTitle', `Do not use: ${host}`, host);
  const more = $('more') as HTMLAnchorElement;
  more.href = `block.html#${url}`;
  more.textContent = t('details', 'Details');
  const e = await sendRequest({ type: 'explain', url }).catch(() => null);
  if (!e) return;
  const name = e.tool?.name ?? host;
  const title = pickText(e.notice?.title, languages);
  main.dataset.action = e.action;
  const acknowledged = !!e.acknowledgedUntil && Date.parse(e.acknowledgedUntil) > Date.now();
  if ((e.action !== 'warn' && e.action !== 'block') || (e.action === 'warn' && acknowledged)) {
    // The policy changed (or the warning was acknowledged) since the frame was redirected: load
    // the tool. Once per 10 s at most, in case the network rules are still being replaced.
    const key = `retry ${url}`;
    if (Date.now() - Number(sessionStorage.getItem(key) ?? 0) > 10_000) {
      sessionStorage.setItem(key, String(Date.now()));
      location.replace(url);
      return;
    }
  }
  if (e.action === 'warn') {
    $('title').textContent = title || t('defaultWarnTitle', `Check before use: ${name}`, name);
    $('kind').textContent = t('kindWarn', 'Check before you continue');
    // A top-level visit goes through the warn page, where the acknowledgement can be given.
    more.href = url;
    more.textContent = t('openAddress', `Open ${host}`, host);
  } else {
    $('title').textContent = title || t('defaultBlockTitle', `Do not use: ${name}`, name);
  }
}

void show();
