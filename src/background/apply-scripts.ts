/**
 * The content-script registrar: one table says which scripts exist and how they run; the plan says
 * where (src/core/plan/content-scripts.ts). Each apply compares the plan's key for a script with the
 * one stored at its last registration and does nothing when they agree; otherwise it diffs the
 * registration the browser holds with the wanted one and re-registers only on a difference.
 * https://developer.chrome.com/docs/extensions/reference/api/scripting#method-registerContentScripts
 */
import { browser } from '../platform/browser.ts';
import type { Plan, ScriptPlan } from '../core/plan/plan.ts';
import type { Runtime } from './runtime.ts';
import { saveState, type LocalKey } from './storage.ts';

interface ScriptEntry {
  id: string;
  file: string;
  runAt: 'document_start' | 'document_idle';
  allFrames: boolean;
  world?: 'ISOLATED';
  /** Where the registration's key is remembered across worker lives. */
  keyStore: Extract<LocalKey, 'contentScriptKey' | 'guardScriptKey' | 'modelsScriptKey'>;
  /** Inject into tabs already open on the hosts before and after a change, so it reaches them without a reload. */
  reachOpenTabs: boolean;
  wanted: (plan: Plan) => ScriptPlan;
}

export const SCRIPTS: readonly ScriptEntry[] = [
  // The banner and visit report, where a tool is warned or monitored. allFrames: a monitored or
  // acknowledged tool embedded in another site gets its banner too (blocked and unacknowledged
  // frames never load: DNR swaps them for a notice).
  {
    id: 'ai-geofence-content',
    file: 'content.js',
    runAt: 'document_idle',
    allFrames: true,
    keyStore: 'contentScriptKey',
    reachOpenTabs: false,
    wanted: (p) => p.scripts.banner,
  },
  // The data-controls guard: document_start, so its capture listeners are on `window` before the
  // page adds its own; a second injection only makes it ask for its controls again (guard.ts).
  {
    id: 'ai-geofence-guard',
    file: 'guard.js',
    runAt: 'document_start',
    allFrames: true,
    world: 'ISOLATED',
    keyStore: 'guardScriptKey',
    reachOpenTabs: true,
    wanted: (p) => p.scripts.guard,
  },
  // The model overlay: top frame only, the overlay covers the vendor's page and an embedded vendor
  // frame is handled by the embedded notice. Open tabs pick it up on their next load.
  {
    id: 'ai-geofence-models',
    file: 'models.js',
    runAt: 'document_idle',
    allFrames: false,
    keyStore: 'modelsScriptKey',
    reachOpenTabs: false,
    wanted: (p) => p.scripts.models,
  },
];

/** Bring every content script's registration in line with the plan. Never throws into enforcement. */
export async function applyScripts(r: Runtime, plan: Plan): Promise<void> {
  if (r.state.contentOnDemand !== plan.scripts.banner.onDemand) {
    r.state.contentOnDemand = plan.scripts.banner.onDemand;
    await saveState({ contentOnDemand: r.state.contentOnDemand });
  }
  for (const entry of SCRIPTS) {
    await applyScript(r, entry, entry.wanted(plan)).catch((err: unknown) =>
      console.error(`[scripts] could not register ${entry.file}`, err),
    );
  }
}

async function applyScript(r: Runtime, entry: ScriptEntry, wanted: ScriptPlan): Promise<void> {
  // The registration's options are part of the key: changing the table re-registers existing profiles.
  const options = JSON.stringify([entry.file, entry.runAt, entry.allFrames, entry.world ?? null]);
  const key = `${options}\n${wanted.key}`;
  const stored = r.state[entry.keyStore];
  if (stored === key) return;
  const existing = await browser.scripting.getRegisteredContentScripts({ ids: [entry.id] }).catch(() => []);
  const before = existing[0]?.matches ?? [];
  // Only what running scripts are told changed (the guard's controls): the registration stays.
  if (before.join(' ') !== wanted.matches.join(' ') || stored?.split('\n')[0] !== options) {
    if (existing.length) await browser.scripting.unregisterContentScripts({ ids: [entry.id] });
    if (wanted.matches.length) {
      await browser.scripting.registerContentScripts([
        {
          id: entry.id,
          js: [entry.file],
          matches: wanted.matches,
          runAt: entry.runAt,
          allFrames: entry.allFrames,
          ...(entry.world ? { world: entry.world } : {}),
          persistAcrossSessions: true,
        },
      ]);
    }
  }
  if (entry.reachOpenTabs) await injectIntoOpenTabs(entry.file, [...new Set([...before, ...wanted.matches])]);
  r.state[entry.keyStore] = key;
  await saveState({ [entry.keyStore]: key });
}

async function injectIntoOpenTabs(file: string, matches: string[]): Promise<void> {
  if (matches.length === 0) return;
  const tabs = await browser.tabs.query({ url: matches }).catch(() => []);
  for (const tab of tabs) {
    if (tab.id === undefined) continue;
    await browser.scripting
      .executeScript({ target: { tabId: tab.id, allFrames: true }, files: [file] })
      .catch(() => undefined);
  }
}
