/**
 * The banner content script (src/content/banner.ts) runs only where it has work: the hosts of tools
 * that are warned or monitored for this employee. Registered with their match patterns — or, past
 * MAX_REGISTERED_PATTERNS, injected on demand when such a page completes (enforcement.ts).
 */
import { browser } from '../platform/browser.ts';
import { actionsByTool, type CompiledPolicy } from '../core/decide/decide.ts';
import { normalizeHost } from '../core/catalogue/hosts.ts';
import { employeeOf, policyValid, type Runtime } from './runtime.ts';
import { saveState } from './storage.ts';

export const CONTENT_SCRIPT_ID = 'ai-geofence-content';
/** Bumped when the registration's options change, so existing profiles re-register. */
const CONTENT_SCRIPT_VERSION = 2;
/** Above this many match patterns the content script is injected on demand instead of registered. */
export const MAX_REGISTERED_PATTERNS = 2_000;

/** Match patterns for a domain and its subdomains. */
function patternsFor(domains: readonly string[]): string[] {
  return domains.flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]);
}

/**
 * The content script runs only where it has work: hosts of tools that are warned or monitored
 * (banner, visit report) — not on every page the employee opens.
 */
export async function registerContentScripts(r: Runtime, compiled: CompiledPolicy | null, now: number): Promise<void> {
  const employee = employeeOf(r);
  const domains = new Set<string>();
  if (compiled && employee && policyValid(r, now)) {
    for (const [toolId, { action }] of actionsByTool(compiled, employee, now)) {
      if (action === 'warn' || action === 'monitor') for (const d of compiled.tools.get(toolId)!.domains) domains.add(normalizeHost(d));
    }
  }
  domains.delete('');
  let matches = patternsFor([...domains].sort());
  // Chromium matches every registered pattern on every navigation: at 60,000 patterns page loads
  // slowed by 1.29x (docs/benchmarks.md). Past the cap, inject on demand when a page completes.
  const onDemand = matches.length > MAX_REGISTERED_PATTERNS;
  if (onDemand) matches = [];
  r.state.contentOnDemand = onDemand;
  const key = `v${CONTENT_SCRIPT_VERSION}${onDemand ? ' on-demand' : ''} ${matches.join(' ')}`;
  if (key === r.state.contentScriptKey) return;
  const existing = await browser.scripting.getRegisteredContentScripts({ ids: [CONTENT_SCRIPT_ID] }).catch(() => []);
  if (existing.length) await browser.scripting.unregisterContentScripts({ ids: [CONTENT_SCRIPT_ID] });
  if (matches.length) {
    // allFrames: a monitored or acknowledged tool embedded in another site gets its banner and its
    // visit report too (blocked and unacknowledged frames never load: DNR swaps them for a notice).
    await browser.scripting.registerContentScripts([{ id: CONTENT_SCRIPT_ID, js: ['content.js'], matches, runAt: 'document_idle', allFrames: true, persistAcrossSessions: true }]);
  }
  r.state.contentScriptKey = key;
  await saveState({ contentScriptKey: key, contentOnDemand: onDemand });
}
