/**
 * What a plan does to pages already open: a newly blocked vendor loses its service workers and
 * caches, and tabs move to the block or warn page (or back to their site) as a navigation would.
 */
import type { BrowsingData } from 'webextension-polyfill';
import { browser } from '../platform/browser.ts';
import type { Plan } from '../core/plan/plan.ts';
import { decideNow, isAcknowledged, pageUrl } from './decisions.ts';
import type { Runtime } from './runtime.ts';
import { saveState } from './storage.ts';

/**
 * A vendor's service worker installed while the tool was allowed can answer a navigation from its
 * own cache, which the network rules never see (found by test/e2e/hardening.spec.ts): when a tool
 * becomes blocked, remove its workers and caches so the next visit goes to the network — and the
 * block page. https://developer.chrome.com/docs/extensions/reference/api/browsingData
 */
export async function evictBlockedVendors(r: Runtime, plan: Plan): Promise<void> {
  const before = new Set(r.state.blockedTools);
  const added = plan.blockedTools.filter((t) => !before.has(t.id));
  if (added.length) {
    const domains = added.flatMap((t) => t.domains).slice(0, 2_000);
    // Chromium filters by origin (no subdomain wildcard); Firefox by host name, and has no cacheStorage type.
    const filter =
      __BROWSER__ === 'firefox'
        ? { hostnames: domains }
        : { origins: domains.flatMap((d) => [`https://${d}`, `https://www.${d}`, `http://${d}`]) };
    const types = __BROWSER__ === 'firefox' ? { serviceWorkers: true } : { serviceWorkers: true, cacheStorage: true };
    if (domains.length)
      await browser.browsingData
        ?.remove(filter as BrowsingData.RemovalOptions, types as BrowsingData.DataTypeSet)
        .catch(() => undefined);
  }
  if (added.length || plan.blockedTools.length !== before.size) {
    r.state.blockedTools = plan.blockedTools.map((t) => t.id);
    await saveState({ blockedTools: r.state.blockedTools });
  }
}

/** Where a tab showing `url` must go under the rules in force, or null to leave it. */
function redirectFor(r: Runtime, url: string): string | null {
  const blockBase = pageUrl('block');
  const warnBase = pageUrl('warn');
  if (/^https?:/.test(url)) {
    const d = decideNow(r, url);
    if (d.action === 'block') return `${blockBase}#${url}`;
    if (d.action === 'warn' && !isAcknowledged(r, d.toolId)) return `${warnBase}#${url}`;
    return null;
  }
  const onBlock = url.startsWith(`${blockBase}#`);
  if (!onBlock && !url.startsWith(`${warnBase}#`)) return null;
  // A notice page whose site is now allowed (or only warned) goes back to the site, or to the warning.
  const original = url.slice(url.indexOf('#') + 1);
  const d = decideNow(r, original);
  if (d.action === 'block') return null;
  if (d.action === 'warn' && !isAcknowledged(r, d.toolId)) return onBlock ? `${warnBase}#${original}` : null;
  // After "proceed" the warn page navigates itself; moving it too raced that navigation (chrome-error).
  if (d.action === 'warn' && !onBlock) return null;
  return original;
}

/** Tabs already open follow a change at once: a newly blocked tool's tab goes to the block page. */
export async function followOpenTabs(r: Runtime): Promise<void> {
  for (const tab of await browser.tabs.query({})) {
    if (tab.id === undefined || !tab.url) continue;
    const target = redirectFor(r, tab.url);
    if (target) await browser.tabs.update(tab.id, { url: target }).catch(() => undefined);
  }
}

/** A tab's URL changed without a request the network rules saw (history.pushState): enforce it. */
export async function enforceTabUrl(r: Runtime, tabId: number, url: string): Promise<void> {
  const target = redirectFor(r, url);
  if (target) await browser.tabs.update(tabId, { url: target }).catch(() => undefined);
}
