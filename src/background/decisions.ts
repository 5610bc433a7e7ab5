/** Decisions under what is in force now, for tabs, the badge and pages (the planner decides). */
import { browser } from '../platform/browser.ts';
import { decideUnder } from '../core/plan/plan.ts';
import type { Decision } from '../core/decide/decide.ts';
import { stateOf, type Runtime } from './runtime.ts';

export const pageUrl = (name: 'block' | 'warn' | 'embedded-block') => browser.runtime.getURL(`${name}.html`);

/** The decision for a URL under what is in force right now. */
export function decideNow(r: Runtime, url: string, now = Date.now()): Decision {
  return decideUnder(stateOf(r, now), url, now);
}

/** True while a warn acknowledgement for the tool is still valid. */
export function isAcknowledged(r: Runtime, toolId: string | null): boolean {
  return !!toolId && (r.state.acknowledged[toolId] ?? 0) > Date.now();
}
