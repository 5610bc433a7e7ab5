/**
 * Everything the service worker remembers lives in storage.local (the worker may be killed at any
 * moment). One typed accessor per key.
 */
import { browser } from '../platform/browser.ts';
import type { Problem } from '../core/status/status.ts';
import type { AckRecord } from '../core/decide/acknowledgements.ts';
import type { DiscoveredRegister } from '../core/discovery/discovery.ts';
import type { LocationRecord } from '../core/location/location.ts';

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

/** The last verified exceptions document (issue 11), as signed: re-verified on load, like the policy. */
export interface ExceptionsRecord {
  jws: string;
  payloadHash: string;
  serial: number;
  signers: string[];
  verifiedAt: string;
  /** The managed `exceptionsUrl` it came from: a record from another URL (or none configured) is dropped. */
  url: string;
}

export interface StoredState {
  policyRecord: PolicyRecord | null;
  lastFetch: { at: string; ok: boolean; message: string } | null;
  lastRefusal: Problem | null;
  /** tool id → acknowledgement expiry (ms since epoch) for warn rules. */
  acknowledged: Record<string, number>;
  /** Whether fail-closed was in force at the last apply, for enter/leave audit events. */
  lastMode: string | null;
  /** The office problem (office and policy hash) last recorded as an audit event, or null. */
  lastOfficeProblem: string | null;
  /** The employee the rules were last compiled for, kept for when managed config goes missing. */
  lastEmployee: { office: string; groups: string[] } | null;
  /** The match patterns the content script is registered for (to skip needless re-registration). */
  contentScriptKey: string | null;
  /** True when the policy's warned/monitored hosts are too many to register: inject on demand. */
  contentOnDemand: boolean;
  /** Tool ids blocked at the last apply: a newly blocked tool's service workers are evicted once. */
  blockedTools: string[];
  /** What the last apply installed: tests and diagnostics wait on it. */
  lastApplied: { serial: number | null; mode: string; ruleCount: number; at: string; error?: string } | null;
  /** Issue 11: the last time the policy server confirmed the policy in force (verified, or 304), ISO. */
  lastConfirmedAt: string | null;
  /** Whether stale-closed was in force at the last apply, for enter/leave audit events. */
  lastStaleClosed: boolean | null;
  exceptionsRecord: ExceptionsRecord | null;
  /** The last attempt to fetch the exceptions document, successful or not (the popup says it). */
  exceptionsFetch: { at: string; ok: boolean; message: string } | null;
  /** Versioned notice acknowledgements (issue 11), keyed by ackKey; pruned when the policy changes. */
  noticeAcks: Record<string, AckRecord>;
  /** Issue 10: hosts recognised as unlisted AI tools (domain → entry); bounded and expiring. */
  discovered: DiscoveredRegister;
  /** The last verified location of the browser (src/background/location.ts), or null. */
  location: LocationRecord | null;
  /** The last attempt to establish the location, successful or not (the popup says it). */
  locationFetch: { at: string; ok: boolean; message: string; ms?: number; totalMs?: number } | null;
}

const DEFAULTS: StoredState = { policyRecord: null, lastFetch: null, lastRefusal: null, acknowledged: {}, lastMode: null, lastOfficeProblem: null, lastEmployee: null, contentScriptKey: null, contentOnDemand: false, blockedTools: [], lastApplied: null, lastConfirmedAt: null, lastStaleClosed: null, exceptionsRecord: null, exceptionsFetch: null, noticeAcks: {}, discovered: {}, location: null, locationFetch: null };

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

/** When the policy server last confirmed the policy in force (ISO), as stored; anything else is null. */
export async function loadLastConfirmedAt(): Promise<string | null> {
  const got = (await browser.storage.local.get('lastConfirmedAt')) as { lastConfirmedAt?: unknown };
  return typeof got.lastConfirmedAt === 'string' && Number.isFinite(Date.parse(got.lastConfirmedAt)) ? got.lastConfirmedAt : null;
}

/** Persist some keys of the state. */
export async function saveState(patch: Partial<StoredState>): Promise<void> {
  await browser.storage.local.set(patch);
}
