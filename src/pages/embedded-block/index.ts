/**
 * Stands in for a blocked or warned AI tool embedded in another site: DNR redirects the vendor's
 * `sub_frame` request to `embedded-block.html#<original URL>`, so the vendor receives nothing and
 * the employee sees why the frame is empty. Deliberately tiny (no UI framework, no polyfill): a
 * page may embed many frames. Details open in a tab, never here — a framed page could be used to
 * trick clicks, so the acknowledgement of a warning is only given on the full warn page.
 */
import { pickText } from '../../core/messages.ts';
import { pageLanguages, sendRequest } from '../../platform/content-messaging.ts';
import { displayHost, explainedUrl } from '../shared/url.ts';

interface I18n {
  getMessage(key: string, subs?: string | string[]): string;
}
const g = globalThis as unknown as { browser?: { i18n: I18n }; chrome?: { i18n: I18n } };
const i18n = (g.browser ?? g.chrome)!.i18n;
/** The extension's own messages (static/_locales), with English if a key is missing. */
const t = (key: string, fallback: string, sub?: string) => i18n.getMessage(key, sub === undefined ? undefined : [sub]) || fallback;

const $ = (id: string) => document.getElementById(id)!;

async function show(): Promise<void> {
  const url = explainedUrl(location.href);
  const main = document.querySelector('main')!;
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
  const title = pickText(e.notice?.title, pageLanguages());
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
