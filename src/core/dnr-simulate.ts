/** A model of Chromium's declarativeNetRequest matching, for the tests that check compiled rules against decide(). */
import type { DnrRule, ResourceType } from './dnr.ts';

/**
 * What Chromium does with one request under `rules`: the highest-priority matching rule wins; at
 * equal priority allow beats block beats redirect. `null` means the request goes through.
 */
export function simulateDnr(rules: DnrRule[], url: string, type: ResourceType): string | null {
  const u = new URL(url);
  const host = u.hostname.replace(/\.+$/, '');
  const rank = { allow: 3, block: 2, redirect: 1, modifyHeaders: 0 } as const;
  let best: DnrRule | null = null;
  for (const r of rules) {
    if (r.action.type === 'modifyHeaders' || !r.condition.resourceTypes.includes(type)) continue;
    if (!r.condition.requestDomains.some((d) => host === d || host.endsWith(`.${d}`))) continue;
    if (r.condition.regexFilter && !new RegExp(r.condition.regexFilter, r.condition.isUrlFilterCaseSensitive === false ? 'i' : '').test(u.href)) continue;
    if (!best || r.priority > best.priority || (r.priority === best.priority && rank[r.action.type] > rank[best.action.type])) best = r;
  }
  if (!best || best.action.type === 'allow') return null;
  if (best.action.type === 'block') return 'block';
  return best.action.redirect!.regexSubstitution.replace('\\0', u.href);
}
