/**
 * The worker's update path: keep the model (managed configuration, the verified policy, signed
 * exceptions…) in step with storage and the policy server, ask the planner what to enforce
 * (src/core/plan/plan.ts), and apply the plan through the effect modules — apply-rules.ts (network
 * rules), apply-scripts.ts (content scripts), evict-tabs.ts (open tabs and vendor workers),
 * alarms.ts, status.ts (status, heartbeat, mode audit events), snapshot-store.ts (notice snapshot).
 * Every entry point (install, startup, alarm, config change, message) goes through `ensureReady()`
 * and the one update queue (queue.ts), so two updates never interleave. docs/enforcement.md.
 */
import { browser } from '../platform/browser.ts';
import { compilePolicy } from '../core/decide/decide.ts';
import { parseManagedConfig } from '../core/config/managed-config.ts';
import type { Problem } from '../core/status/status.ts';
import { planEnforcement, runningAcknowledgements, type PlanTarget } from '../core/plan/plan.ts';
import { parsePolicy, POLICY_JWS_TYP } from '../core/policy/policy-schema.ts';
import { parseStrictJson } from '../core/policy/strict-json.ts';
import { parseJwsUnverified, verifyPolicy, verifySignatures } from '../core/policy/verify.ts';
import type { AuditContext } from '../core/audit/audit.ts';
import {
  acknowledgementAuditDetail,
  noticeVersion,
  pruneAcknowledgements,
  recordAcknowledgement,
  requiresAcknowledgement,
} from '../core/decide/acknowledgements.ts';
import { managedOrBundledConfig } from '../platform/demo-build.ts';
import { recordAudit, setAuditContext } from './audit.ts';
import { ensureHeartbeatAlarm, scheduleNextChange, scheduleRefresh } from './alarms.ts';
import { installedRuleCount, installRules } from './apply-rules.ts';
import { applyScripts } from './apply-scripts.ts';
import { decideNow, isAcknowledged, pageUrl } from './decisions.ts';
import { enforceTabUrl, evictBlockedVendors, followOpenTabs } from './evict-tabs.ts';
import { loadStoredExceptions, refreshExceptions } from './exceptions.ts';
import { fetchPolicy } from './policy-fetch.ts';
import { serial } from './queue.ts';
import { planInputOf, stateOf, type Runtime } from './runtime.ts';
import { scheduleNoticeSnapshot } from './snapshot-store.ts';
import { recordTransitions, sendHeartbeat, statusOf } from './status.ts';
import { loadState, readKey, saveState, type PolicyRecord } from './storage.ts';

let rt: Runtime | null = null;

const nowIso = () => new Date().toISOString();

const target = (): PlanTarget => ({
  pages: { block: pageUrl('block'), warn: pageUrl('warn'), embedded: pageUrl('embedded-block') },
  browser: __BROWSER__,
});

/** Load configuration and the stored policy once per worker life. */
export function ensureReady(): Promise<Runtime> {
  return rt ? Promise.resolve(rt) : serial(ensureReadyUnqueued);
}

/** The runtime when this worker life has loaded it, else null (for synchronous readers: audit events). */
export function runtimeIfReady(): Runtime | null {
  return rt;
}

async function readConfig(r: Runtime): Promise<void> {
  let raw: unknown = {};
  try {
    raw = await browser.storage.managed.get();
  } catch {
    // Firefox throws when no policies.json configures the extension; that is "no configuration".
  }
  const parsed = parseManagedConfig(managedOrBundledConfig(raw));
  if (parsed.ok) {
    r.config = parsed.config;
    r.configErrors = [];
    r.partialConfig = parsed.config;
  } else {
    r.config = null;
    r.configErrors = parsed.errors;
    r.partialConfig = parsed.partial;
  }
}

/** Who and what audit events are recorded for, and where they go: built here only. */
function auditContextOf(r: Runtime): AuditContext {
  const c = r.config;
  return {
    office: c?.office ?? r.partialConfig?.office ?? null,
    groups: c?.groups ?? [],
    // The stored record's serial while its policy is not loaded (no keys to verify it yet): its rules are the ones installed.
    policySerial: r.policy?.policy.serial ?? r.state.policyRecord?.serial ?? null,
    policyHash: r.state.policyRecord?.payloadHash ?? null,
    auditUrl: c?.auditUrl ?? null,
    format: c?.auditFormat ?? 'json',
    urlDetail: c?.auditUrlDetail ?? 'path',
    headers: c?.auditHeaders ?? {},
    compression: c?.auditCompression ?? 'gzip',
  };
}

/**
 * Re-verify the stored policy's signatures with today's trusted keys (a retired key stops counting),
 * once per record and key set: a refresh that changed neither keeps the policy it loaded. With no
 * managed configuration (not delivered yet, or removed) there are no keys to check against: the
 * record was verified when stored, and keeping it is "keep the last good enforcement".
 */
async function loadStoredPolicy(r: Runtime): Promise<void> {
  const rec = r.state.policyRecord;
  const from = rec
    ? JSON.stringify([rec.payloadHash, r.config ? [r.config.trustedKeys, r.config.signatureThreshold] : null])
    : null;
  if (from === r.policyLoadedFrom) return;
  r.policyLoadedFrom = from;
  r.policy = null;
  if (!rec) return;
  let payload: Uint8Array;
  if (r.config) {
    const sig = await verifySignatures(rec.jws, r.config.trustedKeys, r.config.signatureThreshold, POLICY_JWS_TYP);
    if (!sig.ok) return;
    payload = sig.payload;
  } else {
    // The verifier's own parser, signatures not checked (they were when the record was stored).
    const parsed = parseJwsUnverified(rec.jws);
    if (!parsed.ok) return;
    payload = parsed.jws.payload;
  }
  const json = parseStrictJson(new TextDecoder().decode(payload));
  const checked = json.ok ? parsePolicy(json.value) : null;
  if (checked?.ok) r.policy = compilePolicy(checked.policy);
}

/** Fetch, verify and apply the policy; keeps the last good one on any failure. */
export function refreshPolicy(reason: string): Promise<void> {
  return serial(async () => {
    const r = await ensureReadyUnqueued();
    await readConfig(r);
    await loadStoredPolicy(r);
    setAuditContext(auditContextOf(r));
    if (!r.config) {
      // Empty managed storage is "not delivered yet" (Chromium loads extension policy late) or
      // never configured: there is no collector to tell then, and the popup says so. Only a
      // configuration IT pushed and got wrong is an audit event.
      if (r.partialConfig && Object.keys(r.partialConfig).length > 0) {
        await recordAudit({ type: 'config-invalid', detail: { errors: r.configErrors, reason } });
      }
      await applyUnqueued(r);
      return;
    }
    await scheduleRefresh(r.config.refreshMinutes);
    const rec = r.state.policyRecord;
    // Validators only for the document they came from: IT may have moved the policy to another URL.
    const conditional = rec && r.policy && rec.url === r.config.policyUrl ? rec : null;
    const res = await fetchPolicy(r.config.policyUrl, conditional);
    const at = nowIso();
    await loadStoredExceptions(r);
    if (res.kind === 'error') {
      r.state.lastFetch = { at, ok: false, message: res.message };
      await saveState({ lastFetch: r.state.lastFetch });
    } else if (res.kind === 'not-modified') {
      r.state.lastFetch = { at, ok: true, message: 'not modified since the last download' };
      // The server confirmed the policy in force is current: the staleness clock restarts.
      r.state.lastConfirmedAt = at;
      await saveState({ lastFetch: r.state.lastFetch, lastConfirmedAt: at });
    } else {
      await acceptOrRefuse(r, res.text, res.etag, res.lastModified, at);
    }
    await refreshExceptions(r);
    await applyUnqueued(r);
  });
}

async function acceptOrRefuse(
  r: Runtime,
  text: string,
  etag: string | null,
  lastModified: string | null,
  at: string,
): Promise<void> {
  const config = r.config;
  // Only a refresh under a managed configuration fetches a policy to accept or refuse.
  if (!config) throw new Error('a policy was fetched without a managed configuration');
  const current =
    r.policy && r.state.policyRecord
      ? { serial: r.policy.policy.serial, payloadHash: r.state.policyRecord.payloadHash }
      : null;
  const v = await verifyPolicy(text, {
    trustedKeys: config.trustedKeys,
    threshold: config.signatureThreshold,
    now: Date.now(),
    current,
  });
  if (!v.ok) {
    const problem: Problem = { at, code: v.code, message: v.message };
    r.state.lastFetch = { at, ok: false, message: `downloaded, but refused: ${v.message}` };
    r.state.lastRefusal = problem;
    await saveState({ lastFetch: r.state.lastFetch, lastRefusal: problem });
    await recordAudit({ type: 'policy-refused', detail: { code: v.code, reason: v.message } });
    return;
  }
  const changed = !current || current.payloadHash !== v.payloadHash;
  const record: PolicyRecord = {
    jws: text,
    payloadHash: v.payloadHash,
    serial: v.policy.serial,
    signers: v.signers,
    verifiedAt: at,
    etag,
    lastModified,
    url: config.policyUrl,
  };
  r.state.policyRecord = record;
  r.state.lastFetch = {
    at,
    ok: true,
    message: changed
      ? `policy serial ${v.policy.serial} verified (its network rules are installed next)`
      : 'policy unchanged',
  };
  r.state.lastRefusal = null;
  // Verified (new or unchanged): the staleness clock restarts. Errors and refusals never do this.
  r.state.lastConfirmedAt = at;
  if (changed) r.policy = compilePolicy(v.policy);
  // Verified just now with these keys: the next refresh need not verify it again.
  r.policyLoadedFrom = JSON.stringify([v.payloadHash, [config.trustedKeys, config.signatureThreshold]]);
  await saveState({ lastFetch: r.state.lastFetch, lastRefusal: null, lastConfirmedAt: at });
  // Storing a 3 MiB record takes the browser longer than planning and installing its rules: the
  // apply that follows stores it beside the install, and names the serial in force once both are done.
  pendingRecord = record;
  if (changed) {
    // Acknowledgements of rules or notice versions the new policy no longer has are discarded.
    r.state.noticeAcks = pruneAcknowledgements(r.state.noticeAcks, v.policy);
    await saveState({ noticeAcks: r.state.noticeAcks });
    appliedEvent = { serial: v.policy.serial, payloadHash: v.payloadHash, signers: v.signers };
  }
}

/** A verified record the next apply stores (see acceptOrRefuse). */
let pendingRecord: PolicyRecord | null = null;
/** A new policy's `policy-applied` event, recorded once its network rules are installed. */
let appliedEvent: { serial: number; payloadHash: string; signers: string[] } | null = null;

// Callers already inside the queue use this directly (waiting on the queue from inside it would deadlock).
async function ensureReadyUnqueued(): Promise<Runtime> {
  if (rt) return rt;
  const r: Runtime = {
    config: null,
    configErrors: [],
    partialConfig: null,
    state: await loadState(),
    policy: null,
    policyLoadedFrom: null,
    ruleCount: 0,
    exceptions: null,
  };
  await readConfig(r);
  await loadStoredPolicy(r);
  setAuditContext(auditContextOf(r));
  await loadStoredExceptions(r);
  // The count the last apply installed: reading the rules back costs a large policy about 0.2 s of
  // the wake, which the block page's answer waits for. Heartbeats read the browser's own count.
  r.ruleCount = r.state.lastApplied?.ruleCount ?? (await installedRuleCount());
  await ensureHeartbeatAlarm();
  rt = r;
  return r;
}

/** Run `task` in the update queue with the runtime; the plan is applied again when it resolves to true. */
export function updateRuntime(task: (r: Runtime) => Promise<boolean>): Promise<void> {
  return serial(async () => {
    const r = await ensureReadyUnqueued();
    if (await task(r)) await applyUnqueued(r);
  });
}

/** Plan and apply again (rule windows, acknowledgements, expiry, config changes). */
export function applyRules(): Promise<void> {
  return serial(async () => applyUnqueued(await ensureReadyUnqueued()));
}

/**
 * Keys that something other than this worker may write (a test, an older worker life): the cache
 * follows storage, and the plan is applied again when a value really changed.
 */
const WATCHED_KEYS = ['acknowledged', 'lastConfirmedAt'] as const;

/** storage.onChanged for area `local`. */
export function noteLocalChange(keys: readonly string[]): Promise<void> {
  const watched = WATCHED_KEYS.filter((k) => keys.includes(k));
  if (!watched.length || !rt) return Promise.resolve();
  return updateRuntime(async (r) => {
    let changed = false;
    for (const key of watched) {
      // Read inside the queue: every write of ours has completed, so storage holds the latest value.
      const value = await readKey(key);
      if (JSON.stringify(value) === JSON.stringify(r.state[key])) continue;
      (r.state as Record<string, unknown>)[key] = value;
      changed = true;
    }
    return changed;
  });
}

/** Ask the planner what to enforce now, and apply it. */
async function applyUnqueued(r: Runtime): Promise<void> {
  const now = Date.now();
  // Expired acknowledgements are dropped first, so this apply warns again (and storage says so).
  // Saved before planning: bench/lib/worker-probe.ts reads the plan's time between this write and
  // the next (docs/benchmarks.md).
  r.state.acknowledged = runningAcknowledgements(r.state.acknowledged, now);
  await saveState({ acknowledged: r.state.acknowledged });
  // Started before planning and not awaited until the rules are installed: the browser writes
  // while the worker compiles and the network stack indexes the rules. No storage read may come
  // between (it would queue behind the write).
  const writes: Array<Promise<void>> = [];
  if (pendingRecord) writes.push(saveState({ policyRecord: pendingRecord }));
  pendingRecord = null;
  const plan = planEnforcement(planInputOf(r, now), target());
  if (r.config) {
    r.state.lastEmployee = { office: r.config.office, groups: r.config.groups };
    writes.push(saveState({ lastEmployee: r.state.lastEmployee }));
  }
  let installError: string | null = null;
  if (plan.rules) {
    installError = await installRules(plan.rules);
    if (installError) console.error('[enforcement]', installError);
    else r.ruleCount = plan.rules.length;
  }
  await Promise.all(writes);
  // "Put in force" means its rules are installed: recorded now, not when it was verified. A refused
  // install keeps the event pending for the next apply that succeeds.
  if (appliedEvent && !installError && plan.serial === appliedEvent.serial) {
    const detail = appliedEvent;
    appliedEvent = null;
    setAuditContext(auditContextOf(r));
    await recordAudit({ type: 'policy-applied', detail });
  }
  await recordTransitions(r, plan, now);
  const at = new Date(now).toISOString();
  r.state.lastApplied = installError
    ? { ...(r.state.lastApplied ?? { serial: null, mode: plan.mode, ruleCount: r.ruleCount }), at, error: installError }
    : { serial: plan.serial, mode: plan.mode, ruleCount: r.ruleCount, at };
  await saveState({ lastApplied: r.state.lastApplied });
  await applyScripts(r, plan);
  await scheduleNextChange(plan.nextChangeAt);
  await evictBlockedVendors(r, plan);
  await followOpenTabs(r);
  await sendHeartbeat(r);
  scheduleNoticeSnapshot(plan, statusOf(r, now));
}

/** The HEARTBEAT_ALARM: a heartbeat if one is due. */
export function heartbeatNow(): Promise<void> {
  return serial(async () => {
    const r = await ensureReadyUnqueued();
    r.ruleCount = await installedRuleCount();
    await sendHeartbeat(r);
  });
}

/** With on-demand injection: put the banner script into a completed page of a warned or monitored tool. */
export async function injectOnDemand(tabId: number, url: string): Promise<void> {
  if (!/^https?:/.test(url)) return;
  const r = await ensureReady();
  if (!r.state.contentOnDemand) return;
  const d = decideNow(r, url);
  if (d.action !== 'monitor' && !(d.action === 'warn' && isAcknowledged(r, d.toolId))) return;
  await browser.scripting.executeScript({ target: { tabId }, files: ['content.js'] }).catch(() => undefined);
}

/** A tab's URL changed without a request the network rules saw (history.pushState): enforce it. */
export async function enforceTab(tabId: number, url: string): Promise<void> {
  if (!/^https?:/.test(url)) return;
  await enforceTabUrl(await ensureReady(), tabId, url);
}

/** Record a warn acknowledgement and let the tool through for `minutes`. */
export function acknowledge(toolId: string, minutes: number): Promise<number> {
  return serial(async () => {
    const r = await ensureReadyUnqueued();
    const until = Date.now() + minutes * 60_000;
    r.state.acknowledged = { ...r.state.acknowledged, [toolId]: until };
    await saveState({ acknowledged: r.state.acknowledged });
    await applyUnqueued(r);
    return until;
  });
}

/**
 * The employee confirmed reading a notice: only for a rule in force that asks for it, and only for
 * the notice version in force (a page left open across a new version must not confirm the old one).
 */
export function acknowledgeNotice(
  ruleId: string,
  version: number,
): Promise<{ ok: true; acknowledgedAt: string; evidence: string } | { ok: false; error: string }> {
  return serial(async () => {
    const r = await ensureReadyUnqueued();
    const now = Date.now();
    const policy = r.policy?.policy;
    const rule = policy && stateOf(r, now).valid ? policy.rules.find((x) => x.id === ruleId) : undefined;
    if (!policy || !rule || !requiresAcknowledgement(rule))
      return { ok: false as const, error: `no rule "${ruleId}" in force asks for an acknowledgement` };
    if (noticeVersion(rule) !== version)
      return { ok: false as const, error: `the notice in force is version ${noticeVersion(rule)}, not ${version}` };
    const res = recordAcknowledgement(r.state.noticeAcks, rule, policy.serial, now);
    const isNew = !(res.key in r.state.noticeAcks);
    r.state.noticeAcks = res.records;
    await saveState({ noticeAcks: res.records });
    // The first reading is the evidence; confirming twice records nothing new.
    if (isNew)
      await recordAudit({ type: 'notice-acknowledged', rule: ruleId, detail: acknowledgementAuditDetail(res.record) });
    return { ok: true as const, acknowledgedAt: res.record.at, evidence: res.evidence };
  });
}
