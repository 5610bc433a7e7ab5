/**
 * What the worker tells about itself: the status the popup and pages show, the coverage heartbeat,
 * and the audit events for entering and leaving a mode — each derived from the applied plan.
 */
import { browser } from '../platform/browser.ts';
import { heartbeatDetail } from '../core/audit/audit.ts';
import type { ManagedConfig } from '../core/config/managed-config.ts';
import type { Status } from '../core/status/status.ts';
import type { EnforcementState } from '../core/plan/plan.ts';
import { getAuditStatus, recordAudit, recordHeartbeat } from './audit.ts';
import { exceptionsSummary } from './exceptions.ts';
import { locationStatus } from './location-state.ts';
import { stateOf, type Runtime } from './runtime.ts';
import { saveState } from './storage.ts';

/** What pages and the popup say about staleness: only while stale (not expired: fail mode says that). */
export function staleSummary(state: EnforcementState): { since: string; failMode: 'closed' | 'open' } | null {
  const st = state.staleness;
  return st?.reason === 'stale' && st.since ? { since: st.since, failMode: st.effectiveFailMode } : null;
}

/** The status shown by the popup and the pages. */
export async function statusOf(r: Runtime, now = Date.now()): Promise<Status> {
  const rec = r.state.policyRecord;
  const p = r.policy?.policy;
  const state = stateOf(r, now);
  return {
    mode: state.mode,
    extensionVersion: browser.runtime.getManifest().version,
    config: r.config
      ? {
          ...r.config,
          trustedKeys: r.config.trustedKeys.map((k) => ({
            kid: k.kid,
            kty: k.kty,
            crv: k.crv,
            x: k.x,
          })) as ManagedConfig['trustedKeys'],
        }
      : r.partialConfig,
    configErrors: r.configErrors,
    officeProblem: state.officeProblem,
    policy:
      p && rec
        ? {
            serial: p.serial,
            issuer: p.issuer ?? null,
            contact: p.contact ?? null,
            issued: p.issued,
            expires: p.expires,
            payloadHash: rec.payloadHash,
            signers: rec.signers,
            verifiedAt: rec.verifiedAt,
            expired: !(Date.parse(p.expires) > now),
            stale: staleSummary(state),
          }
        : null,
    lastFetch: r.state.lastFetch,
    lastRefusal: r.state.lastRefusal,
    ruleCount: r.ruleCount,
    // Written only once updateDynamicRules resolved (or refused): what the pages call "in force".
    // Without its time, so the notice snapshot's head is not rewritten by every re-apply.
    applied: r.state.lastApplied
      ? { serial: r.state.lastApplied.serial, error: r.state.lastApplied.error ?? null }
      : null,
    audit: await getAuditStatus(),
    exceptions: exceptionsSummary(r),
    location: locationStatus(r),
  };
}

function failReason(r: Runtime, state: EnforcementState, now: number): string {
  if (state.officeProblem) return state.officeProblem.message;
  const p = r.policy?.policy;
  if (p && !(Date.parse(p.expires) > now)) return `the policy in force expired ${p.expires}`;
  return r.state.lastRefusal?.message ?? r.state.lastFetch?.message ?? 'no valid policy has been received yet';
}

/**
 * Audit events for what changed since the last apply: an unknown office (once per office and
 * policy, whatever the fail mode), entering or leaving fail-closed, entering or leaving
 * stale-closed. The last of each is in storage, so a restart does not repeat them.
 */
export async function recordTransitions(r: Runtime, state: EnforcementState, now: number): Promise<void> {
  const office = state.officeProblem;
  const officeKey = office ? `${office.office}\u0000${r.state.policyRecord?.payloadHash ?? ''}` : null;
  if (officeKey !== r.state.lastOfficeProblem) {
    if (office)
      await recordAudit({
        type: 'config-invalid',
        detail: {
          errors: [office.message],
          office: office.office,
          validOffices: office.valid,
          suggestion: office.suggestion,
        },
      });
    r.state.lastOfficeProblem = officeKey;
    await saveState({ lastOfficeProblem: officeKey });
  }
  const { mode } = state;
  if (mode !== r.state.lastMode) {
    if (mode === 'fail-closed')
      await recordAudit({ type: 'fail-closed-entered', detail: { reason: failReason(r, state, now) } });
    if (r.state.lastMode === 'fail-closed') await recordAudit({ type: 'fail-closed-left', detail: { mode } });
    r.state.lastMode = mode;
    await saveState({ lastMode: mode });
  }
  const closed = state.staleClosed;
  if (closed !== (r.state.lastStaleClosed ?? false)) {
    if (closed)
      await recordAudit({
        type: 'stale-closed-entered',
        detail: {
          since: state.staleness?.since ?? null,
          maxStalenessHours: r.policy?.policy.maxStalenessHours ?? null,
        },
      });
    else await recordAudit({ type: 'stale-closed-left' });
    r.state.lastStaleClosed = closed;
    await saveState({ lastStaleClosed: closed });
  }
}

async function incognitoAllowed(): Promise<boolean | null> {
  // Firefox and older Chromium may not have it (or throw synchronously): unknown, not false.
  try {
    return await browser.extension.isAllowedIncognitoAccess();
  } catch {
    return null;
  }
}

/** Record a coverage heartbeat when one is due (daily, or when policy, office, mode… changed). */
export async function sendHeartbeat(r: Runtime): Promise<void> {
  const state = stateOf(r);
  await recordHeartbeat(
    heartbeatDetail({
      office: state.employee?.office ?? null,
      policySerial: state.valid ? (r.policy?.policy.serial ?? null) : null,
      // Only while the policy counts: an expired one decides nothing, and coverage must not count it.
      policyHash: state.valid ? (r.state.policyRecord?.payloadHash ?? null) : null,
      rulesInstalled: r.ruleCount,
      incognitoAllowed: await incognitoAllowed(),
      extensionVersion: browser.runtime.getManifest().version,
      mode: state.staleClosed ? 'stale-closed' : state.mode,
    }),
  );
}
