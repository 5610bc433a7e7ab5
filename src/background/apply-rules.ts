/**
 * Installs a plan's network rules: one atomic `updateDynamicRules` replacing our ids (never a moment
 * without rules, never half a policy), or no call at all when they are already installed — alarms
 * re-plan often. https://developer.chrome.com/docs/extensions/reference/api/declarativeNetRequest#method-updateDynamicRules
 */
import { browser } from '../platform/browser.ts';
import { RULE_ID_MAX, type DnrRule } from '../core/dnr/dnr.ts';

/**
 * Our dynamic rules as this worker life last installed (or read) them; null: ask the browser.
 * Nothing else in the extension changes our dynamic rules, so what this worker life installed is
 * what the browser has: reading them back (75,000 domains for a large policy, about 0.2 s) is
 * needed once per life, and after a refused update.
 */
let installed: ReadonlyArray<{ id: number }> | null = null;

/** Our dynamic rules as the browser has them (ids above RULE_ID_MAX are not ours). */
async function readInstalledRules(): Promise<ReadonlyArray<{ id: number }>> {
  installed = (await browser.declarativeNetRequest.getDynamicRules()).filter((x) => x.id <= RULE_ID_MAX);
  return installed;
}

/** Install `rules`; resolves to an error message when the browser refused them (the old rules stay). */
export async function installRules(rules: DnrRule[]): Promise<string | null> {
  try {
    const existing = installed ?? (await readInstalledRules());
    installed = null;
    if (sameRules(existing, rules)) {
      installed = rules;
      return null;
    }
    await browser.declarativeNetRequest.updateDynamicRules({
      removeRuleIds: existing.map((x) => x.id),
      addRules: rules as unknown as Parameters<typeof browser.declarativeNetRequest.updateDynamicRules>[0]['addRules'],
    });
    installed = rules;
    return null;
  } catch (e) {
    // The browser refused the update as a whole (a rule limit, a filter RE2 cannot compile): the
    // rules installed before stay, and the rest of the apply (alarms, open tabs) still runs.
    return `the browser refused the network rules: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Installed rules equal compiled ones? The browser may echo extra default fields: compare what we set. */
function sameRules(installed: readonly unknown[], wanted: readonly DnrRule[]): boolean {
  if (installed.length !== wanted.length) return false;
  const pick = (x: Partial<DnrRule>) =>
    JSON.stringify([
      x.id,
      x.priority,
      x.action,
      x.condition?.requestDomains,
      x.condition?.regexFilter ?? null,
      x.condition?.resourceTypes,
    ]);
  const have = new Set((installed as Array<Partial<DnrRule>>).map(pick));
  return wanted.every((w) => have.has(pick(w)));
}

/** How many of our dynamic rules are installed (the status and heartbeats report it), as the browser says. */
export async function installedRuleCount(): Promise<number> {
  return (await readInstalledRules()).length;
}
