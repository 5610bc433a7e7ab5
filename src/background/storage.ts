/**
 * Everything the service worker remembers lives in storage.local (the worker may be killed at any
 * moment). One typed accessor per key.
 */
import { browser } from '../platform/browser.ts';
import type { Problem } from '../core/messages.ts';

/** The last verified policy, as signed: re-verified on load so a retired key stops counting. */
export interface PolicyRecord {
  jws: string;
  payloadHash: string;
  serial: number;
  signers: string[];
  verifiedAt: string;
  etag: string | null;
  lastModified: string | null;
  /** Where it was fetched: validators are sent back only to the same URL (absent in older records). */
  url?: string;
}

export interface StoredState {
  policyRecord: PolicyRecord | null;
  lastFetch: { at: string; ok: boolean; message: string } | null;
  lastRefusal: Problem | null;
  /** tool id → acknowledgement expiry (ms since epoch) for warn rules. */
  acknowledged: Record<string, number>;
  /** Whether fail-closed was in force at the last apply, for enter/leave audit events. */
  lastMode: string | null;
  /** The employee the rules were last compiled for, kept for when managed config goes missing. */
  lastEmployee: { office: string; groups: string[] } | null;
  /** The match patterns the content script is registered for (to skip needless re-registration). */
  contentScriptKey: string | null;
  /** What the last apply installed: tests and diagnostics wait on it. */
  lastApplied: { serial: number | null; mode: string; ruleCount: number; at: string; error?: string } | null;
}

const DEFAULTS: StoredState = { policyRecord: null, lastFetch: null, lastRefusal: null, acknowledged: {}, lastMode: null, lastEmployee: null, contentScriptKey: null, lastApplied: null };

/** Read the whole state (missing keys get their defaults). */
export async function loadState(): Promise<StoredState> {
  const got = (await browser.storage.local.get(Object.keys(DEFAULTS))) as Partial<StoredState>;
  return { ...DEFAULTS, ...got };
}

/** The warn acknowledgements as stored (tool id → expiry in ms); malformed entries are dropped. */
export async function loadAcknowledged(): Promise<Record<string, number>> {
  const got = (await browser.storage.local.get('acknowledged')) as { acknowledged?: unknown };
  const out: Record<string, number> = {};
  if (got.acknowledged && typeof got.acknowledged === 'object') {
    for (const [tool, until] of Object.entries(got.acknowledged)) if (typeof until === 'number' && Number.isFinite(until)) out[tool] = until;
  }
  return out;
}

/** Persist some keys of the state. */
export async function saveState(patch: Partial<StoredState>): Promise<void> {
  await browser.storage.local.set(patch);
}
