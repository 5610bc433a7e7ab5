/**
 * The data-controls guard (src/content/guard.ts) runs only where a rule gives it work: on the hosts
 * of tools whose deciding rule for this employee carries active `dataControls`. This module keeps
 * its registration in step with the policy, and prepares what the guard is told and what it reports.
 */
import { browser } from '../platform/browser.ts';
import { controlsActive, dataControlDetail, screenControls } from '../core/decide/data-controls.ts';
import { actionsByTool, type CompiledPolicy, type Decision, type Employee } from '../core/decide/decide.ts';
import { normalizeHost } from '../core/catalogue/hosts.ts';
import { canBacktrackCatastrophically } from '../core/lint/lint.ts';
import type { Request, ResponseMap } from '../platform/messages.ts';

export const GUARD_SCRIPT_ID = 'ai-geofence-guard';
const GUARD_FILE = 'guard.js';

/** Match patterns for the hosts of every tool whose deciding rule (for this employee, now) has data controls. */
export function guardMatches(compiled: CompiledPolicy, employee: Employee, now: number): string[] {
  const domains = new Set<string>();
  for (const [toolId, { action, rule }] of actionsByTool(compiled, employee, now)) {
    // A blocked tool never loads (lint refuses dataControls on block rules anyway).
    if (action === 'block' || !controlsActive(rule?.dataControls)) continue;
    for (const d of compiled.tools.get(toolId)?.domains ?? []) domains.add(normalizeHost(d));
  }
  domains.delete('');
  return [...domains].sort().flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]);
}

/** storage.local key: what the guard was last registered for (the worker may be stopped at any time). */
const KEY_STORAGE = 'guardScriptKey';
let lastKey: string | null = null;

/**
 * (Un)register the guard for the policy in force; call after every apply. When the hosts or the
 * controls change, tabs already open on the hosts before and after get the guard injected (or, where
 * it runs, told to ask for its controls again), so a change reaches them without a reload.
 */
export async function registerGuardScript(compiled: CompiledPolicy | null, employee: Employee | null, now: number, policyValid: boolean): Promise<void> {
  // Never let the guard's bookkeeping stop the rest of enforcement (alarms, open tabs).
  await updateGuard(compiled, employee, now, policyValid).catch((err: unknown) => console.error('[data-controls] could not register the guard', err));
}

async function updateGuard(compiled: CompiledPolicy | null, employee: Employee | null, now: number, policyValid: boolean): Promise<void> {
  const active = compiled && employee && policyValid ? { compiled, employee } : null;
  const matches = active ? guardMatches(active.compiled, active.employee, now) : [];
  // The controls are part of the key: a changed pattern must reach open tabs too.
  const key = JSON.stringify([matches, active ? controlsKey(active.compiled, active.employee, now) : null]);
  lastKey ??= ((await browser.storage.local.get(KEY_STORAGE)) as Record<string, string | undefined>)[KEY_STORAGE] ?? '';
  if (key === lastKey) return;
  const existing = await browser.scripting.getRegisteredContentScripts({ ids: [GUARD_SCRIPT_ID] }).catch(() => []);
  const before = existing[0]?.matches ?? [];
  if (before.join(' ') !== matches.join(' ')) {
    if (existing.length) await browser.scripting.unregisterContentScripts({ ids: [GUARD_SCRIPT_ID] });
    if (matches.length) {
      await browser.scripting.registerContentScripts([
        // document_start: our capture listeners must be on `window` before the page adds its own.
        { id: GUARD_SCRIPT_ID, js: [GUARD_FILE], matches, runAt: 'document_start', allFrames: true, world: 'ISOLATED', persistAcrossSessions: true },
      ]);
    }
  }
  await refreshOpenTabs([...new Set([...before, ...matches])]);
  lastKey = key;
  await browser.storage.local.set({ [KEY_STORAGE]: key });
}

function controlsKey(compiled: CompiledPolicy, employee: Employee, now: number): unknown[] {
  return [...actionsByTool(compiled, employee, now)].filter(([, { rule }]) => controlsActive(rule?.dataControls)).map(([id, { rule }]) => [id, rule!.id, rule!.dataControls]);
}

async function refreshOpenTabs(matches: string[]): Promise<void> {
  if (matches.length === 0) return;
  const tabs = await browser.tabs.query({ url: matches }).catch(() => []);
  for (const tab of tabs) {
    if (tab.id === undefined) continue;
    // The guard notices a second injection and only re-asks for its controls (see guard.ts).
    await browser.scripting.executeScript({ target: { tabId: tab.id, allFrames: true }, files: [GUARD_FILE] }).catch(() => undefined);
  }
}

/** What the guard is told for a page: the deciding rule's controls, with unsafe patterns removed. */
export function dataControlsFor(d: Decision): ResponseMap['get-data-controls'] {
  const controls = d.action !== 'block' ? d.rule?.dataControls : undefined;
  if (!controls || !controlsActive(controls)) return { ruleId: d.rule?.id ?? null, controls: null };
  // Lint refuses such patterns; a policy signed without linting must still not freeze the page.
  const screened = screenControls(controls, canBacktrackCatastrophically);
  for (const r of screened.rejected) console.warn(`[data-controls] rule ${d.rule!.id}: pattern "${r.name}" ${r.reason}; not checked`);
  return { ruleId: d.rule!.id, controls: controlsActive(screened.controls) ? screened.controls : null };
}

/** The audit event for a guard's report, or null when the report is malformed. Never the text. */
export function dataControlAudit(req: Extract<Request, { type: 'data-control-event' }>, d: Decision) {
  const detail = dataControlDetail(req);
  if (!detail) return null;
  const ruleId = typeof req.ruleId === 'string' ? req.ruleId.slice(0, 200) : null;
  // The rule the guard acted under; the policy may have changed since the page asked.
  return { type: 'data-control' as const, tool: d.toolId, rule: ruleId ?? d.rule?.id ?? null, url: req.url, detail };
}
