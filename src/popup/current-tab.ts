/** Which site the popup is about. */
import type Browser from 'webextension-polyfill';
import { browser } from '../platform/browser.ts';
import { isWebUrl, siteUrlOfTab } from '../ui/url.ts';

export type TabLike = Pick<Browser.Tabs.Tab, 'id' | 'url' | 'lastAccessed'>;

/**
 * When the popup page is opened as a tab (tests, the demo, a pinned diagnostics tab) "the active
 * tab" is the popup itself: use the most recently used other tab that shows a site or our
 * block/warn page for one.
 */
export function pickSiteTab(
  tabs: readonly TabLike[],
  selfId: number | undefined,
  extensionBase: string,
): string | null {
  let best: { url: string; at: number } | null = null;
  for (const tab of tabs) {
    if (selfId !== undefined && tab.id === selfId) continue;
    const url = siteUrlOfTab(tab.url, extensionBase);
    if (!url) continue;
    const at = tab.lastAccessed ?? 0;
    if (!best || at > best.at) best = { url, at };
  }
  return best?.url ?? null;
}

/** The URL of the site the employee is looking at, or null when the tab shows no web page. */
export async function findSiteUrl(search: string = location.search): Promise<string | null> {
  // `popup.html?tabUrl=…` pins the site, for screenshots and scripted checks.
  const pinned = new URLSearchParams(search).get('tabUrl');
  if (pinned !== null) return isWebUrl(pinned) ? pinned : null;
  const base = browser.runtime.getURL('');
  const self = await browser.tabs.getCurrent().catch(() => undefined);
  if (!self) {
    const [active] = await browser.tabs.query({ active: true, currentWindow: true });
    return siteUrlOfTab(active?.url, base);
  }
  return pickSiteTab(await browser.tabs.query({}), self.id, base);
}
