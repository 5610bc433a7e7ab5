/** A model of Chromium's declarativeNetRequest matching, for the tests that check compiled rules against decide(). */
import type { DnrRule, ResourceType } from './dnr.ts';

/**
 * DNR urlFilter without anchors (the only form the compiler writes): the pattern anywhere in the
 * URL, `^` a separator (not a letter, digit or `_-.%`) or the end, case-insensitive by default.
 */
function urlFilterMatches(filter: string, url: string): boolean {
  const source = filter
    .split('^')
    .map((part) => part.replace(/[.*+?${}()|[\]\\]/g, '\\$&'))
    .join('(?:[^A-Za-z0-9_.%-]|$)');
  return new RegExp(source, 'i').test(url);
}

/**
 * What Chromium does with one request under `rules`: the highest-priority matching rule wins; at
 * equal priority allow beats block beats redirect. `null` means the request goes through.
 */
export function simulateDnr(rules: DnrRule[], url: string, type: ResourceType): string | null {
  const u = new URL(url);
  const rank = { allow: 3, block: 2, redirect: 1, modifyHeaders: 0 } as const;
  let best: DnrRule | null = null;
  for (const r of matchingDnrRules(rules, url, type)) {
    if (
      !best ||
      r.priority > best.priority ||
      (r.priority === best.priority && rank[r.action.type] > rank[best.action.type])
    )
      best = r;
  }
  if (!best || best.action.type === 'allow') return null;
  if (best.action.type === 'block') return 'block';
  return best.action.redirect!.regexSubstitution.replace('\\0', u.href);
}

/** The rules (modifyHeaders aside) that match one request, whatever their priority. */
export function matchingDnrRules(rules: DnrRule[], url: string, type: ResourceType): DnrRule[] {
  const u = new URL(url);
  const host = u.hostname.replace(/\.+$/, '');
  return rules.filter((r) => {
    if (r.action.type === 'modifyHeaders' || !r.condition.resourceTypes.includes(type)) return false;
    if (!r.condition.requestDomains.some((d) => host === d || host.endsWith(`.${d}`))) return false;
    if (
      r.condition.regexFilter &&
      !new RegExp(r.condition.regexFilter, r.condition.isUrlFilterCaseSensitive === false ? 'i' : '').test(u.href)
    )
      return false;
    return !r.condition.urlFilter || urlFilterMatches(r.condition.urlFilter, u.href);
  });
}
