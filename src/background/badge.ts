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
  // A tab on our block or warn page: the network rules sent it there, which says what the badge is
  // (a page whose site a newer policy allows is moved away, and its new address comes back here).
  // Deciding would load the whole policy in a worker just woken for this tab, while the page
  // itself paints its notice: a large policy then slows the notice.
  const onPage = (['block', 'warn'] as const).find((name) => url.startsWith(`${pageUrl(name)}#`));
  const badge = onPage
    ? BADGE[onPage]
    : /^https?:/.test(url)
      ? BADGE[decideNow(await ensureReady(), url).action]
      : null;
  await browser.action.setBadgeText({ tabId, text: badge?.text ?? '' }).catch(() => undefined);
  if (badge) await browser.action.setBadgeBackgroundColor({ tabId, color: badge.color }).catch(() => undefined);
}
