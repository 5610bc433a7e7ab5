/**
 * The worker's model of the world: managed configuration, the policy in force, and the DNR rules
 * that enforce it. Every entry point (install, startup, alarm, config change, message) goes
 * through `ensureReady()` and the single `serial` queue, so two updates never interleave.
 *
 * Beside it, by concern: runtime.ts (the in-memory model and its accessors), exceptions.ts (signed
 * exceptions), discovered-policy.ts (unlisted tools in the enforced policy), banner-, guard- and
 * model-registration.ts (which content scripts run where), discovery.ts (the detector's reports).
 */
import { browser } from '../platform/browser.ts';
import { base64url } from 'jose';
import { actionsByTool, compilePolicy, decide, decideWithoutPolicy, nextRuleChange, type CompiledPolicy, type Decision } from '../core/decide/decide.ts';
import { compileDnrRules, compileFailClosedRules, RULE_ID_MAX, type DnrRule } from '../core/dnr/dnr.ts';
import { compileModelDnrRules } from '../core/dnr/dnr-models.ts';
import type { BrowsingData } from 'webextension-polyfill';
import { CATALOGUE } from '../core/catalogue/catalogue.ts';
import { normalizeHost } from '../core/catalogue/hosts.ts';
import { parseManagedConfig, type ManagedConfig } from '../core/config/managed-config.ts';
import type { EnforcementMode, Problem, Status } from '../core/messages.ts';
import { parsePolicy, POLICY_JWS_TYP, type Policy } from '../core/policy/policy-schema.ts';
import { parseStrictJson } from '../core/policy/strict-json.ts';
import { verifyPolicy, verifySignatures } from '../core/policy/verify.ts';
import { applyStaleness, isStaleClosed, stalenessState, type StalenessState } from '../core/policy/staleness.ts';
import { heartbeatDetail, type AuditContext } from '../core/audit/audit.ts';
import { acknowledgementAuditDetail, noticeVersion, pruneAcknowledgements, recordAcknowledgement, requiresAcknowledgement } from '../core/decide/acknowledgements.ts';
import { exceptionsFor, policyWithExceptions } from '../core/exceptions/exceptions.ts';
import { getAuditStatus, HEARTBEAT_ALARM, recordAudit, recordHeartbeat, setAuditContext } from './audit.ts';
import { fetchPolicy } from './policy-fetch.ts';
import { registerGuardScript } from './guard-registration.ts';
import { registerModelScript } from './model-registration.ts';
import { loadAcknowledged, loadLastConfirmedAt, loadState, saveState, type PolicyRecord } from './storage.ts';
import { employeeOf, officeProblemOf, policyCurrent, policyValid, type Runtime } from './runtime.ts';
import { exceptionsSummary, loadStoredExceptions, refreshExceptions } from './exceptions.ts';
import { discoveredToEnforce, withDiscovered } from './discovered-policy.ts';
import { registerContentScripts } from './banner-registration.ts';
import { NOTICE_SNAPSHOT_KEY, shardKey, type NoticeSnapshotMeta } from '../core/decide/notice-snapshot.ts';
import { buildNoticeSnapshot } from '../core/decide/notice-snapshot-build.ts';
import { locationStatus } from './location-state.ts';
import { managedOrBundledConfig } from '../platform/demo-build.ts';

export const REFRESH_ALARM = 'policy-refresh';
export const RULES_ALARM = 'rules-window';

let rt: Runtime | null = null;
let queue: Promise<unknown> = Promise.resolve();

/** Run `task` after every task queued before it (one update at a time, never interleaved). */
export function serial<T>(task: () => Promise<T>): Promise<T> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
}

export const pageUrl = (name: 'block' | 'warn' | 'embedded-block') => browser.runtime.getURL(`${name}.html`);

const nowIso = () => new Date().toISOString();

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
  const c = r.config;
  setAuditContext({
    office: c?.office ?? r.partialConfig?.office ?? null,
    groups: c?.groups ?? [],
    policySerial: r.policy?.serial ?? r.state.policyRecord?.serial ?? null,
    policyHash: r.state.policyRecord?.payloadHash ?? null,
    ...auditDelivery(c),
  });
}

/**
 * Re-verify the stored policy's signatures with today's trusted keys (a retired key stops counting).
 * With no managed configuration (not delivered yet, or removed) there are no keys to check against:
 * the record was verified when stored, and keeping it is "keep the last good enforcement".
 */
async function loadStoredPolicy(r: Runtime): Promise<void> {
  const rec = r.state.policyRecord;
  // Already verified in this worker life, this very record with these very keys: every refresh
  // starts here, and doing it again cost a 3 MiB policy about 0.4 s before each download.
  const keys = verifiedWith(r);
  if (rec && r.policy && r.compiled && loaded.record === rec && loaded.keys === keys) return;
  loaded = { record: null, keys: null };
  r.policy = null;
  r.compiled = null;
  if (!rec) return;
  let payload: Uint8Array;
  if (r.config) {
    const sig = await verifySignatures(rec.jws, r.config.trustedKeys, r.config.signatureThreshold, POLICY_JWS_TYP);
    if (!sig.ok) return;
    payload = sig.payload;
  } else {
    const p = storedPayload(rec.jws);
    if (!p) return;
    payload = p;
  }
  const json = parseStrictJson(new TextDecoder().decode(payload));
  const checked = json.ok ? parsePolicy(json.value) : null;
  if (!checked?.ok) return;
  r.policy = checked.policy;
  r.compiled = compilePolicy(checked.policy);
  loaded = { record: rec, keys };
}

/** The stored record whose policy r.policy is, and the keys that verified it (null: not verified). */
let loaded: { record: PolicyRecord | null; keys: string | null } = { record: null, keys: null };

/** What a verification depended on besides the document: the trusted keys and the threshold. */
function verifiedWith(r: Runtime): string | null {
  return r.config ? JSON.stringify([r.config.trustedKeys, r.config.signatureThreshold]) : null;
}

function storedPayload(jws: string): Uint8Array | null {
  try {
    const t = jws.trim();
    const b64 = t.startsWith('{') ? (JSON.parse(t) as { payload: string }).payload : t.split('.')[1]!;
    return base64url.decode(b64);
  } catch {
    return null;
  }
}

function modeOf(r: Runtime): EnforcementMode {
  if (!r.config) return r.policy ? 'enforcing' : 'waiting-config';
  if (policyValid(r)) return 'enforcing';
  return r.config.failMode === 'open' ? 'fail-open' : 'fail-closed';
}

/** Fetch, verify and apply the policy; keeps the last good one on any failure. */
export function refreshPolicy(reason: string): Promise<void> {
  return serial(async () => {
    const r = await ensureReadyUnqueued();
    await readConfig(r);
    await loadStoredPolicy(r);
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
    await browser.alarms.create(REFRESH_ALARM, { periodInMinutes: r.config.refreshMinutes, delayInMinutes: r.config.refreshMinutes });
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

async function acceptOrRefuse(r: Runtime, text: string, etag: string | null, lastModified: string | null, at: string): Promise<void> {
  const config = r.config!;
  const current = r.policy && r.state.policyRecord ? { serial: r.policy.serial, payloadHash: r.state.policyRecord.payloadHash } : null;
  const v = await verifyPolicy(text, { trustedKeys: config.trustedKeys, threshold: config.signatureThreshold, now: Date.now(), current });
  if (!v.ok) {
    const problem: Problem = { at, code: v.code, message: v.message };
    r.state.lastFetch = { at, ok: false, message: `downloaded, but refused: ${v.message}` };
    r.state.lastRefusal = problem;
    await saveState({ lastFetch: r.state.lastFetch, lastRefusal: problem });
    await recordAudit({ type: 'policy-refused', detail: { code: v.code, reason: v.message } });
    return;
  }
  const changed = !current || current.payloadHash !== v.payloadHash;
  const record: PolicyRecord = { jws: text, payloadHash: v.payloadHash, serial: v.policy.serial, signers: v.signers, verifiedAt: at, etag, lastModified, url: config.policyUrl };
  r.state.policyRecord = record;
  r.state.lastFetch = { at, ok: true, message: changed ? `policy serial ${v.policy.serial} verified (its network rules are installed next)` : 'policy unchanged' };
  r.state.lastRefusal = null;
  // Verified (new or unchanged): the staleness clock restarts. Errors and refusals never do this.
  r.state.lastConfirmedAt = at;
  r.policy = v.policy;
  r.compiled = compilePolicy(v.policy);
  loaded = { record, keys: verifiedWith(r) };
  await saveState({ lastFetch: r.state.lastFetch, lastRefusal: null, lastConfirmedAt: at });
  // Storing a 3 MiB record takes the browser longer than compiling and installing its rules: the
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

function auditContextOf(r: Runtime) {
  const c = r.config;
  return {
    office: c?.office ?? r.partialConfig?.office ?? null,
    groups: c?.groups ?? [],
    policySerial: r.policy?.serial ?? null,
    policyHash: r.state.policyRecord?.payloadHash ?? null,
    ...auditDelivery(c),
  };
}

/** Where and how audit events go, from the managed config (none: nowhere). */
function auditDelivery(c: ManagedConfig | null | undefined): Pick<AuditContext, 'auditUrl' | 'format' | 'urlDetail' | 'headers' | 'compression'> {
  return {
    auditUrl: c?.auditUrl ?? null,
    format: c?.auditFormat ?? 'json',
    urlDetail: c?.auditUrlDetail ?? 'path',
    headers: c?.auditHeaders ?? {},
    compression: c?.auditCompression ?? 'gzip',
  };
}

// Callers already inside the queue use this directly (waiting on the queue from inside it would deadlock).
async function ensureReadyUnqueued(): Promise<Runtime> {
  if (rt) return rt;
  const r: Runtime = { config: null, configErrors: [], partialConfig: null, state: await loadState(), policy: null, compiled: null, mode: 'waiting-config', ruleCount: 0, exceptions: null, enforced: null };
  await readConfig(r);
  await loadStoredPolicy(r);
  await loadStoredExceptions(r);
  // The count the last apply installed: reading the rules back costs a large policy about 0.2 s of
  // the wake, which the block page's answer waits for. Heartbeats read the browser's own count.
  r.ruleCount = r.state.lastApplied?.ruleCount ?? (await readInstalledRules()).length;
  r.mode = modeOf(r);
  // Hourly: heartbeats are due daily or on change; alarms may not survive a restart, so check each life.
  if (!(await browser.alarms.get(HEARTBEAT_ALARM).catch(() => undefined))) await browser.alarms.create(HEARTBEAT_ALARM, { periodInMinutes: 60 });
  rt = r;
  return r;
}

/** Run `task` in the update queue with the runtime; the rules are applied again when it resolves to true. */
export function updateRuntime(task: (r: Runtime) => Promise<boolean>): Promise<void> {
  return serial(async () => {
    const r = await ensureReadyUnqueued();
    if (await task(r)) await applyUnqueued(r);
  });
}

/** Recompute and install the DNR rules (rule windows, acknowledgements, expiry, config changes). */
export function applyRules(): Promise<void> {
  return serial(async () => applyUnqueued(await ensureReadyUnqueued()));
}

function compileFor(r: Runtime, now: number): DnrRule[] | null {
  const opts = {
    blockPageUrl: pageUrl('block'), warnPageUrl: pageUrl('warn'), embeddedPageUrl: pageUrl('embedded-block'),
    browser: __BROWSER__, acknowledged: r.state.acknowledged,
  };
  const employee = employeeOf(r);
  const compiled = compiledNow(r, now);
  if (policyValid(r, now) && compiled && employee) {
    const rules = compileDnrRules(compiled, employee, now, opts);
    // Model-level blocks the URL can tell (issue 10): above every tool rule, after its ids.
    if (!compiled.policy.rules.some((x) => x.models)) return rules;
    const blockedTools = new Set([...actionsByTool(compiled, employee, now)].filter(([, v]) => v.action === 'block').map(([id]) => id));
    const firstId = rules.reduce((m, x) => Math.max(m, x.id), 0) + 1;
    return [...rules, ...compileModelDnrRules(compiled, employee, now, firstId, { browser: __BROWSER__, blockedTools })];
  }
  // Without a valid configuration we cannot know better than what is installed: keep it.
  if (!r.config) return null;
  return r.config.failMode === 'closed' ? compileFailClosedRules(opts) : [];
}

async function applyUnqueued(r: Runtime): Promise<void> {
  const now = Date.now();
  // Storage is the truth (a worker that slept through the acknowledgement's end and one that
  // stayed awake must agree); expired acknowledgements are dropped here, so this apply warns again.
  const acknowledged = { ...(await loadAcknowledged()) };
  for (const [tool, until] of Object.entries(acknowledged)) if (!(until > now)) delete acknowledged[tool];
  r.state.acknowledged = acknowledged;
  await saveState({ acknowledged });
  // Likewise the staleness clock: a worker that stayed awake and one that woke must agree.
  r.state.lastConfirmedAt = await loadLastConfirmedAt();
  // Started before the compile and not awaited until the rules are installed: the browser writes
  // while the worker compiles and the network stack indexes the rules. No storage read may come
  // between (it would queue behind the write).
  const writes: Array<Promise<void>> = [];
  if (pendingRecord) writes.push(saveState({ policyRecord: pendingRecord }));
  pendingRecord = null;
  const rules = compileFor(r, now);
  if (r.config) {
    r.state.lastEmployee = { office: r.config.office, groups: r.config.groups };
    writes.push(saveState({ lastEmployee: r.state.lastEmployee }));
  }
  let installError: string | null = null;
  if (rules) {
    try {
      await installRules(rules);
      r.ruleCount = rules.length;
    } catch (e) {
      // The browser refused the update as a whole (a rule limit, a filter RE2 cannot compile): the
      // rules installed before stay, and the rest of the apply (alarms, open tabs) still runs.
      installError = `the browser refused the network rules: ${e instanceof Error ? e.message : String(e)}`;
      console.error('[enforcement]', installError);
    }
  }
  await Promise.all(writes);
  // "Put in force" means its rules are installed: recorded now, not when it was verified. A refused
  // install keeps the event pending for the next apply that succeeds.
  if (appliedEvent && !installError && r.policy?.serial === appliedEvent.serial && policyValid(r, now)) {
    const detail = appliedEvent;
    appliedEvent = null;
    setAuditContext(auditContextOf(r));
    await recordAudit({ type: 'policy-applied', detail });
  }
  // An office the policy does not define: recorded once per (office, policy), whatever the fail mode.
  const office = officeProblemOf(r);
  const officeKey = office ? `${office.office}\u0000${r.state.policyRecord?.payloadHash ?? ''}` : null;
  if (officeKey !== r.state.lastOfficeProblem) {
    if (office) await recordAudit({ type: 'config-invalid', detail: { errors: [office.message], office: office.office, validOffices: office.valid, suggestion: office.suggestion } });
    r.state.lastOfficeProblem = officeKey;
    await saveState({ lastOfficeProblem: officeKey });
  }
  const mode = modeOf(r);
  if (mode !== r.state.lastMode) {
    if (mode === 'fail-closed') await recordAudit({ type: 'fail-closed-entered', detail: { reason: failReason(r) } });
    if (r.state.lastMode === 'fail-closed') await recordAudit({ type: 'fail-closed-left', detail: { mode } });
    r.state.lastMode = mode;
    await saveState({ lastMode: mode });
  }
  r.mode = mode;
  await recordStaleTransition(r, now);
  const at = new Date(now).toISOString();
  r.state.lastApplied = installError
    ? { ...(r.state.lastApplied ?? { serial: null, mode, ruleCount: r.ruleCount }), at, error: installError }
    : { serial: policyValid(r, now) ? r.policy!.serial : null, mode, ruleCount: r.ruleCount, at };
  await saveState({ lastApplied: r.state.lastApplied });
  await registerContentScripts(r, compiledNow(r, now), now);
  await registerGuardScript(compiledNow(r, now), employeeOf(r), now, policyValid(r, now));
  await registerModelScript(compiledNow(r, now), employeeOf(r), now, policyValid(r, now));
  await scheduleWindowAlarm(r, now);
  await evictBlockedVendorWorkers(r, now);
  await followOpenTabs(r);
  await sendHeartbeat(r);
  scheduleNoticeSnapshot(r);
}

let snapshotChain: Promise<void> = Promise.resolve();
let snapshotGeneration = 0;

/**
 * The notice snapshot is written beside the update queue, not in it: for a 100,000-domain policy it
 * is seconds of work that the next refresh or acknowledgement must not wait for. Writes run one at
 * a time; one that a later apply has superseded is skipped.
 */
function scheduleNoticeSnapshot(r: Runtime): void {
  const generation = ++snapshotGeneration;
  snapshotChain = snapshotChain
    .then(() => (generation === snapshotGeneration ? writeNoticeSnapshot(r, Date.now()) : undefined))
    .catch((err: unknown) => console.error('[enforcement] could not write the notice snapshot', err));
}

/** Resolves when the notice snapshots scheduled so far are written (for tests and diagnostics). */
export function noticeSnapshotWritten(): Promise<void> {
  return snapshotChain;
}

/** What the stored snapshot was built from, and its head as written (both per worker life). */
let snapshotBuiltFrom = '';
let snapshotHead = '';
/** Shards of the snapshot in storage (unknown in a new worker life until the head is read). */
let storedShards: number | null = null;

/**
 * Last in each apply (never delaying enforcement): what the block and warn pages paint from before
 * a sleeping worker has re-verified the policy (src/core/decide/notice-snapshot.ts): a small head and the
 * shards a page picks one of. The shards are rebuilt only when the decisions can have changed (the
 * policy, how it is enforced, the employee, a rule window passed) — for 100,000 domains that is seconds of
 * work and megabytes of storage; the head (status) is rewritten when it changed. Removed when no
 * policy is in force (the pages then wait for the worker).
 */
async function writeNoticeSnapshot(r: Runtime, now: number): Promise<void> {
  // Everything read from the runtime first, before any await: an apply may change it meanwhile
  // (the write runs beside the update queue), and this write must describe one state.
  const compiled = compiledNow(r, now);
  const explainCompiled = r.compiled;
  const employee = employeeOf(r);
  const valid = policyValid(r, now) && !!compiled && !!explainCompiled && !!employee;
  const enforced = valid ? enforcedPolicy(r, now) : null;
  // The same signed policy, enforced the same way (staleness, exceptions, discovered tools), for the
  // same employee, before the next rule window: the same decisions, the same shards.
  const from = enforced && employee
    ? JSON.stringify([r.state.policyRecord?.payloadHash ?? null, enforced.key, employee.office, employee.groups ?? [], employee.location ?? null, nextRuleChange(enforced.policy, now)])
    : '';
  const statusPromise = statusOf(r);
  if (storedShards === null) {
    const head = (await browser.storage.local.get(NOTICE_SNAPSHOT_KEY))[NOTICE_SNAPSHOT_KEY] as NoticeSnapshotMeta | undefined;
    storedShards = typeof head?.shards === 'number' ? head.shards : 0;
  }
  const clearFrom = async (count: number) => {
    const stale = Array.from({ length: Math.max(0, storedShards! - count) }, (_, i) => shardKey(count + i));
    if (stale.length) await browser.storage.local.remove(stale);
    storedShards = count;
  };
  if (!valid || !compiled || !explainCompiled || !employee) {
    if (snapshotHead !== '' || storedShards > 0) await browser.storage.local.remove(NOTICE_SNAPSHOT_KEY);
    await clearFrom(0);
    snapshotBuiltFrom = snapshotHead = '';
    return;
  }
  const status: Status = { ...(await statusPromise), audit: { queued: 0, lastDelivery: null } };
  if (from !== snapshotBuiltFrom) {
    const built = buildNoticeSnapshot(compiled, explainCompiled, employee, now, status);
    snapshotBuiltFrom = from;
    if (!built) {
      // Too large to be worth its storage: the pages wait for the worker, as before.
      if (snapshotHead !== '' || storedShards > 0) await browser.storage.local.remove(NOTICE_SNAPSHOT_KEY);
      await clearFrom(0);
      snapshotHead = '';
      return;
    }
    // In batches, so the worker answers messages between them.
    for (let i = 0; i < built.shards.length; i += 64) {
      await browser.storage.local.set(Object.fromEntries(built.shards.slice(i, i + 64).map((shard, j) => [shardKey(i + j), shard])));
    }
    // The head last: a page never finds a head whose shards are not written yet.
    snapshotHead = JSON.stringify(built.meta);
    await browser.storage.local.set({ [NOTICE_SNAPSHOT_KEY]: built.meta });
    await clearFrom(built.meta.shards);
    return;
  }
  if (snapshotHead === '') return;
  const head: NoticeSnapshotMeta = { ...(JSON.parse(snapshotHead) as NoticeSnapshotMeta), status };
  const text = JSON.stringify(head);
  if (text === snapshotHead) return;
  snapshotHead = text;
  await browser.storage.local.set({ [NOTICE_SNAPSHOT_KEY]: head });
}

/**
 * A vendor's service worker installed while the tool was allowed can answer a navigation from its
 * own cache, which the network rules never see (found by test/e2e/hardening.spec.ts): when a tool
 * becomes blocked, remove its workers and caches so the next visit goes to the network — and the
 * block page.
 */
async function evictBlockedVendorWorkers(r: Runtime, now: number): Promise<void> {
  const employee = employeeOf(r);
  const compiled = compiledNow(r, now);
  const blocked = new Set<string>();
  if (compiled && employee && policyValid(r, now)) {
    for (const [toolId, { action }] of actionsByTool(compiled, employee, now)) if (action === 'block') blocked.add(toolId);
  } else if (r.config?.failMode === 'closed') {
    for (const id of Object.keys(CATALOGUE)) blocked.add(id);
  }
  const before = new Set(r.state.blockedTools ?? []);
  const added = [...blocked].filter((id) => !before.has(id));
  if (added.length) {
    const domains = added.flatMap((id) => (compiled?.tools.get(id) ?? CATALOGUE[id])?.domains.map(normalizeHost).filter(Boolean) ?? []).slice(0, 2_000);
    // Chromium filters by origin (no subdomain wildcard); Firefox by host name, and has no cacheStorage type.
    const filter = __BROWSER__ === 'firefox'
      ? { hostnames: domains }
      : { origins: domains.flatMap((d) => [`https://${d}`, `https://www.${d}`, `http://${d}`]) };
    const types = __BROWSER__ === 'firefox' ? { serviceWorkers: true } : { serviceWorkers: true, cacheStorage: true };
    if (domains.length) await browser.browsingData?.remove(filter as BrowsingData.RemovalOptions, types as BrowsingData.DataTypeSet).catch(() => undefined);
  }
  if (added.length || blocked.size !== before.size) {
    r.state.blockedTools = [...blocked];
    await saveState({ blockedTools: r.state.blockedTools });
  }
}

/** Whether the policy in force is stale for this employee's office (issue 11); null without a policy. */
export function stalenessOf(r: Runtime, now = Date.now()): StalenessState | null {
  if (!r.policy) return null;
  const confirmed = r.state.lastConfirmedAt ?? r.state.policyRecord?.verifiedAt ?? null;
  return stalenessState(r.policy, confirmed, employeeOf(r)?.office ?? null, r.config?.failMode ?? 'closed', now);
}

/** What pages and the popup say about staleness: only while stale (not expired: fail mode says that). */
export function staleSummary(r: Runtime, now = Date.now()): { since: string; failMode: 'closed' | 'open' } | null {
  const st = stalenessOf(r, now);
  return st?.reason === 'stale' && st.since ? { since: st.since, failMode: st.effectiveFailMode } : null;
}

/**
 * The policy as enforced at `now`: while this office is stale-closed every warn becomes block; then
 * this employee's signed exceptions in force become allow rules ending with the exception (rule
 * windows, so the window alarm restores the rule on time); last, hosts discovered as unlisted AI
 * tools become tools of a synthetic rule carrying `unlistedAiAction` (issue 10). DNR rules, content
 * scripts, the window alarm, open tabs and decisions all use this, so they agree.
 */
function enforcedPolicy(r: Runtime, now: number): { policy: Policy; key: string } | null {
  if (!r.policy) return null;
  const staleClosed = isStaleClosed(stalenessOf(r, now)!);
  const office = employeeOf(r)?.office ?? null;
  const userId = r.config?.userId ?? null;
  const active = office ? exceptionsFor(r.exceptions, userId, office, now) : [];
  const discovered = discoveredToEnforce(r);
  const key = JSON.stringify([staleClosed, active.map((e) => e.id), discovered]);
  if (!staleClosed && active.length === 0 && discovered.length === 0) return { policy: r.policy, key };
  const stale = applyStaleness(r.policy, stalenessOf(r, now)!);
  const excepted = office ? policyWithExceptions(stale, r.exceptions, userId, office, now) : stale;
  return { policy: withDiscovered(r, excepted, discovered, key, now), key };
}

/** enforcedPolicy compiled, once per policy, exceptions document and set of active exceptions. */
function compiledNow(r: Runtime, now: number): CompiledPolicy | null {
  if (!r.policy || !r.compiled) return r.compiled;
  const e = enforcedPolicy(r, now)!;
  if (e.policy === r.policy) return r.compiled;
  const cached = r.enforced;
  if (cached && cached.policy === r.policy && cached.exceptions === r.exceptions && cached.key === e.key) return cached.compiled;
  r.enforced = { policy: r.policy, exceptions: r.exceptions, key: e.key, compiled: compilePolicy(e.policy) };
  return r.enforced.compiled;
}

/** Audit entering and leaving stale-closed; the last state is in storage so a restart does not repeat it. */
async function recordStaleTransition(r: Runtime, now: number): Promise<void> {
  const st = stalenessOf(r, now);
  const closed = !!st && isStaleClosed(st);
  if (closed === (r.state.lastStaleClosed ?? false)) return;
  if (closed) await recordAudit({ type: 'stale-closed-entered', detail: { since: st!.since, maxStalenessHours: r.policy!.maxStalenessHours ?? null } });
  else await recordAudit({ type: 'stale-closed-left' });
  r.state.lastStaleClosed = closed;
  await saveState({ lastStaleClosed: closed });
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
  const now = Date.now();
  const valid = policyValid(r, now);
  const st = stalenessOf(r, now);
  await recordHeartbeat(heartbeatDetail({
    office: employeeOf(r)?.office ?? null,
    policySerial: valid ? r.policy!.serial : null,
    // Only while the policy counts: an expired one decides nothing, and coverage must not count it.
    policyHash: valid ? r.state.policyRecord?.payloadHash ?? null : null,
    rulesInstalled: r.ruleCount,
    incognitoAllowed: await incognitoAllowed(),
    extensionVersion: browser.runtime.getManifest().version,
    mode: st && isStaleClosed(st) ? 'stale-closed' : r.mode,
  }));
}

/** The HEARTBEAT_ALARM: a heartbeat if one is due. */
export function heartbeatNow(): Promise<void> {
  return serial(async () => {
    const r = await ensureReadyUnqueued();
    r.ruleCount = (await readInstalledRules()).length;
    await sendHeartbeat(r);
  });
}

/**
 * Replace our dynamic rules with `rules` in one atomic call (never a moment without rules, never
 * half a policy), or no call at all when they are already installed (alarms recompile often).
 */
async function installRules(rules: DnrRule[]): Promise<void> {
  // Nothing else in the extension changes our dynamic rules, so what this worker life installed is
  // what the browser has: reading them back (75,000 domains for a large policy, about 0.2 s) is
  // needed once per life, and after a refused update.
  const existing = installed ?? (await readInstalledRules());
  installed = null;
  if (sameRules(existing, rules)) {
    installed = rules;
    return;
  }
  await browser.declarativeNetRequest.updateDynamicRules({
    removeRuleIds: existing.map((x) => x.id),
    addRules: rules as unknown as Parameters<typeof browser.declarativeNetRequest.updateDynamicRules>[0]['addRules'],
  });
  installed = rules;
}

/** Our dynamic rules as this worker life last installed (or read) them; null: ask the browser. */
let installed: ReadonlyArray<{ id: number }> | null = null;

/** Our dynamic rules as the browser has them (ids above RULE_ID_MAX are not ours). */
async function readInstalledRules(): Promise<ReadonlyArray<{ id: number }>> {
  installed = (await browser.declarativeNetRequest.getDynamicRules()).filter((x) => x.id <= RULE_ID_MAX);
  return installed;
}

/** Installed rules equal compiled ones? The browser may echo extra default fields: compare what we set. */
function sameRules(installed: readonly unknown[], wanted: readonly DnrRule[]): boolean {
  if (installed.length !== wanted.length) return false;
  const pick = (x: Partial<DnrRule>) => JSON.stringify([x.id, x.priority, x.action, x.condition?.requestDomains, x.condition?.regexFilter ?? null, x.condition?.resourceTypes]);
  const have = new Set((installed as Array<Partial<DnrRule>>).map(pick));
  return wanted.every((w) => have.has(pick(w)));
}

function failReason(r: Runtime): string {
  const office = officeProblemOf(r);
  if (office) return office.message;
  if (r.policy && !policyCurrent(r)) return `the policy in force expired ${r.policy.expires}`;
  return r.state.lastRefusal?.message ?? r.state.lastFetch?.message ?? 'no valid policy has been received yet';
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

/** One alarm at the next instant the rules change: a rule window, an acknowledgement's end, expiry. */
async function scheduleWindowAlarm(r: Runtime, now: number): Promise<void> {
  const instants: number[] = [...Object.values(r.state.acknowledged)];
  if (r.policy) {
    // The enforced policy: an exception's end is a rule window there.
    const next = nextRuleChange(enforcedPolicy(r, now)!.policy, now);
    if (next !== null) instants.push(next);
    const staleAt = stalenessOf(r, now)?.staleAt;
    if (staleAt != null) instants.push(staleAt);
    const exp = Date.parse(r.policy.expires);
    if (exp > now) instants.push(exp);
  }
  const when = Math.min(...instants.filter((t) => t > now));
  if (Number.isFinite(when)) await browser.alarms.create(RULES_ALARM, { when: when + 500 });
  else await browser.alarms.clear(RULES_ALARM);
}

/** The decision for a URL under what is in force right now. */
export function decideNow(r: Runtime, url: string, now = Date.now()): Decision {
  const employee = employeeOf(r);
  const compiled = compiledNow(r, now);
  if (policyValid(r, now) && compiled && employee) return decide(compiled, employee, url, now);
  // Without configuration nothing new is enforced (the installed rules stay); explain as fail-open.
  return decideWithoutPolicy(r.config?.failMode ?? 'open', url);
}

/** Where a tab showing `url` must go under the rules in force, or null to leave it. */
function redirectFor(r: Runtime, url: string): string | null {
  const blockBase = pageUrl('block');
  const warnBase = pageUrl('warn');
  if (/^https?:/.test(url)) {
    const d = decideNow(r, url);
    if (d.action === 'block') return `${blockBase}#${url}`;
    if (d.action === 'warn' && !isAcknowledged(r, d.toolId)) return `${warnBase}#${url}`;
    return null;
  }
  const onBlock = url.startsWith(`${blockBase}#`);
  if (!onBlock && !url.startsWith(`${warnBase}#`)) return null;
  // A notice page whose site is now allowed (or only warned) goes back to the site, or to the warning.
  const original = url.slice(url.indexOf('#') + 1);
  const d = decideNow(r, original);
  if (d.action === 'block') return null;
  if (d.action === 'warn' && !isAcknowledged(r, d.toolId)) return onBlock ? `${warnBase}#${original}` : null;
  // After "proceed" the warn page navigates itself; moving it too raced that navigation (chrome-error).
  if (d.action === 'warn' && !onBlock) return null;
  return original;
}

/** Tabs already open follow a change at once: a newly blocked tool's tab goes to the block page. */
async function followOpenTabs(r: Runtime): Promise<void> {
  for (const tab of await browser.tabs.query({})) {
    const target = tab.id !== undefined && tab.url ? redirectFor(r, tab.url) : null;
    if (target) await browser.tabs.update(tab.id!, { url: target }).catch(() => undefined);
  }
}

/** A tab's URL changed without a request the network rules saw (history.pushState): enforce it. */
export async function enforceTab(tabId: number, url: string): Promise<void> {
  if (!/^https?:/.test(url)) return;
  const target = redirectFor(await ensureReady(), url);
  if (target) await browser.tabs.update(tabId, { url: target }).catch(() => undefined);
}

/** True while a warn acknowledgement for the tool is still valid. */
export function isAcknowledged(r: Runtime, toolId: string | null): boolean {
  return !!toolId && (r.state.acknowledged[toolId] ?? 0) > Date.now();
}

/** Record a warn acknowledgement and let the tool through for `minutes`. */
export function acknowledge(toolId: string, minutes: number): Promise<number> {
  return serial(async () => {
    const r = await ensureReadyUnqueued();
    const until = Date.now() + minutes * 60_000;
    // On disk first: applyUnqueued reads acknowledgements from storage.
    await saveState({ acknowledged: { ...(await loadAcknowledged()), [toolId]: until } });
    await applyUnqueued(r);
    return until;
  });
}

/**
 * The employee confirmed reading a notice: only for a rule in force that asks for it, and only for
 * the notice version in force (a page left open across a new version must not confirm the old one).
 */
export function acknowledgeNotice(ruleId: string, version: number): Promise<{ ok: true; acknowledgedAt: string; evidence: string } | { ok: false; error: string }> {
  return serial(async () => {
    const r = await ensureReadyUnqueued();
    const now = Date.now();
    const rule = policyValid(r, now) ? r.policy!.rules.find((x) => x.id === ruleId) : undefined;
    if (!rule || !requiresAcknowledgement(rule)) return { ok: false as const, error: `no rule "${ruleId}" in force asks for an acknowledgement` };
    if (noticeVersion(rule) !== version) return { ok: false as const, error: `the notice in force is version ${noticeVersion(rule)}, not ${version}` };
    const res = recordAcknowledgement(r.state.noticeAcks, rule, r.policy!.serial, now);
    const isNew = !(res.key in r.state.noticeAcks);
    r.state.noticeAcks = res.records;
    await saveState({ noticeAcks: res.records });
    // The first reading is the evidence; confirming twice records nothing new.
    if (isNew) await recordAudit({ type: 'notice-acknowledged', rule: ruleId, detail: acknowledgementAuditDetail(res.record) });
    return { ok: true as const, acknowledgedAt: res.record.at, evidence: res.evidence };
  });
}

/** The status shown by the popup and the pages. */
export async function statusOf(r: Runtime): Promise<Status> {
  const rec = r.state.policyRecord;
  const p = r.policy;
  return {
    mode: modeOf(r),
    extensionVersion: browser.runtime.getManifest().version,
    config: r.config ? { ...r.config, trustedKeys: r.config.trustedKeys.map((k) => ({ kid: k.kid, kty: k.kty, crv: k.crv, x: k.x })) as ManagedConfig['trustedKeys'] } : r.partialConfig,
    configErrors: r.configErrors,
    officeProblem: officeProblemOf(r),
    policy: p && rec
      ? {
          serial: p.serial, issuer: p.issuer ?? null, contact: p.contact ?? null, issued: p.issued, expires: p.expires,
          payloadHash: rec.payloadHash, signers: rec.signers, verifiedAt: rec.verifiedAt, expired: !policyCurrent(r),
          stale: staleSummary(r),
        }
      : null,
    lastFetch: r.state.lastFetch,
    lastRefusal: r.state.lastRefusal,
    ruleCount: r.ruleCount,
    // Written only once updateDynamicRules resolved (or refused): what the pages call "in force".
    // Without its time, so the notice snapshot's head is not rewritten by every re-apply.
    applied: r.state.lastApplied ? { serial: r.state.lastApplied.serial, error: r.state.lastApplied.error ?? null } : null,
    audit: await getAuditStatus(),
    exceptions: exceptionsSummary(r),
    location: locationStatus(r),
  };
}
