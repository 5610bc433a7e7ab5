/**
 * Model-level rules (issue 10): the models content script (src/content/models.ts) runs only on
 * the hosts of tools with `models` rules that target this employee now — never on every site.
 * This module keeps its registration in step with the policy and tells the script its rules.
 */
import { browser } from '../platform/browser.ts';
import { ruleActiveAt, ruleTargets, subjectFor, type CompiledPolicy, type Decision, type Employee } from '../core/decide/decide.ts';
import { normalizeHost } from '../core/catalogue/hosts.ts';
import type { ModelDef, ModelRule } from '../core/decide/model-match.ts';
import { pickText } from '../core/policy/localized-text.ts';

export const MODELS_SCRIPT_ID = 'ai-geofence-models';
const MODELS_FILE = 'models.js';

/** The model-level rules for this tool that target the employee and are in their window, in policy order. */
export function modelRulesFor(compiled: CompiledPolicy, employee: Employee, toolId: string, now: number, languages: readonly string[] = ['en']): ModelRule[] {
  const subject = subjectFor(compiled.policy, employee);
  return compiled.policy.rules
    .filter((r, i) => r.models && compiled.ruleTools[i]!.includes(toolId) && ruleActiveAt(r, now) && ruleTargets(r, subject))
    .map((r) => ({ id: r.id, action: r.action, models: [...r.models!], title: pickText(r.notice?.title, languages) || r.id }));
}

/** Match patterns for the hosts of every tool with model rules for this employee. */
export function modelMatches(compiled: CompiledPolicy, employee: Employee, now: number): string[] {
  const domains = new Set<string>();
  for (const [toolId, tool] of compiled.tools) {
    if (!tool.models || modelRulesFor(compiled, employee, toolId, now).length === 0) continue;
    for (const d of tool.domains) domains.add(normalizeHost(d));
  }
  domains.delete('');
  return [...domains].sort().flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]);
}

/** (Un)register the models script for the policy in force; call after every apply. Never throws. */
export async function registerModelScript(compiled: CompiledPolicy | null, employee: Employee | null, now: number, policyValid: boolean): Promise<void> {
  try {
    const matches = compiled && employee && policyValid ? modelMatches(compiled, employee, now) : [];
    const existing = await browser.scripting.getRegisteredContentScripts({ ids: [MODELS_SCRIPT_ID] }).catch(() => []);
    if ((existing[0]?.matches ?? []).join(' ') === matches.join(' ')) return;
    if (existing.length) await browser.scripting.unregisterContentScripts({ ids: [MODELS_SCRIPT_ID] });
    // Top frame only: the overlay covers the vendor's page, and an embedded vendor frame is
    // handled by the embedded notice. Open tabs pick the script up on their next load.
    if (matches.length) await browser.scripting.registerContentScripts([{ id: MODELS_SCRIPT_ID, js: [MODELS_FILE], matches, runAt: 'document_idle', persistAcrossSessions: true }]);
  } catch (err) {
    console.error('[models] could not register the models script', err);
  }
}

/** What the models script is told for its page: the tool's model definitions and its rules. */
export function modelsFor(
  compiled: CompiledPolicy | null, employee: Employee | null, d: Decision, now: number, languages: readonly string[] = ['en'],
): { tool: string | null; models: Record<string, ModelDef>; rules: ModelRule[] } {
  // A blocked page never shows the vendor; nothing to watch.
  if (!compiled || !employee || !d.toolId || !d.tool?.models || d.action === 'block') return { tool: d.toolId, models: {}, rules: [] };
  return { tool: d.toolId, models: d.tool.models, rules: modelRulesFor(compiled, employee, d.toolId, now, languages) };
}
