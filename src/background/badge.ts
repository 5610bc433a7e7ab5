/** The toolbar badge reflects the tab's status at a glance. */
import { browser } from '../platform/browser.ts';
import type { Action } from '../core/policy/policy-schema.ts';
import { decideNow, pageUrl } from './decisions.ts';
import { ensureReady } from './enforcement.ts';

const BADGE: Record<Action, { text: string; color: string } | null> = {
  block: { text: '✕', color: '#b3261e' },
  warn: { text: '!', color: '#9a6700' },
  monitor: { text: '●', color: '#1f5fbf' },
  allow: null,
};

/** Set the badge of one tab from the decision for the site it shows. */
export async function updateBadge(tabId: number, url: string | undefined): Promise<void> {
  if (!url) return;
  const r = await ensureReady();
  let site = url;
  for (const page of [pageUrl('block'), pageUrl('warn')]) if (url.startsWith(`${page}#`)) site = url.slice(page.length + 1);
  const badge = /^https?:/.test(site) ? BADGE[decideNow(r, site).action] : null;
  await browser.action.setBadgeText({ tabId, text: badge?.text ?? '' }).catch(() => undefined);
  if (badge) await browser.action.setBadgeBackgroundColor({ tabId, color: badge.color }).catch(() => undefined);
}
