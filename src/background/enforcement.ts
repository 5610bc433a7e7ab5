/**
 * The worker's model of the world: managed configuration, the policy in force, and the DNR rules
 * that enforce it. Every entry point (install, startup, alarm, config change, message) goes
 * through `ensureReady()` and the single `serial` queue, so two updates never interleave.
 */
import { browser } from '../platform/browser.ts';
import { base64url } from 'jose';
import { actionsByTool, compilePolicy, decide, decideWithoutPolicy, nextRuleChange, type CompiledPolicy, type Decision, type Employee } from '../core/decide.ts';
import { compileDnrRules, compileFailClosedRules, RULE_ID_MAX, type DnrRule } from '../core/dnr.ts';
import { normalizeHost } from '../core/hosts.ts';
import { parseManagedConfig, type ManagedConfig } from '../core/managed-config.ts';
import type { EnforcementMode, Problem, Status } from '../core/messages.ts';
import { parsePolicy, POLICY_JWS_TYP, type Policy } from '../core/policy-schema.ts';
import { parseStrictJson } from '../core/strict-json.ts';
import { verifyPolicy, verifySignatures } from '../core/verify.ts';
import { getAuditStatus, recordAudit, setAuditContext } from './audit.ts';
import { fetchPolicy } from './policy-fetch.ts';
import { registerGuardScript } from './guard-registration.ts';
import { loadAcknowledged, loadState, saveState, type PolicyRecord, type StoredState } from './storage.ts';

export const REFRESH_ALARM = 'policy-refresh';
export const RULES_ALARM = 'rules-window';

interface Runtime {
  config: ManagedConfig | null;
  configErrors: string[];
  partialConfig: Partial<ManagedConfig> | null;
  state: StoredState;
  policy: Policy | null;
  compiled: CompiledPolicy | null;
  mode: EnforcementMode;
  ruleCount: number;
}

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

async function readConfig(r: Runtime): Promise<void> {
  let raw: unknown = {};
  try {
    raw = await browser.storage.managed.get();
  } catch {
    // Firefox throws when no policies.json configures the extension; that is "no configuration".
  }
  const parsed = parseManagedConfig(raw);
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
    auditUrl: c?.auditUrl ?? null,
    format: c?.auditFormat ?? 'json',
    urlDetail: c?.auditUrlDetail ?? 'path',
  });
}

/**
 * Re-verify the stored policy's signatures with today's trusted keys (a retired key stops counting).
 * With no managed configuration (not delivered yet, or removed) there are no keys to check against:
 * the record was verified when stored, and keeping it is "keep the last good enforcement".
 */
async function loadStoredPolicy(r: Runtime): Promise<void> {
  const rec = r.state.policyRecord;
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

/** Who the rules are for: the configured employee, or the last one known while config is missing. */
export function employeeOf(r: Runtime): Employee | null {
  if (r.config) return { office: r.config.office, groups: r.config.groups };
  return r.state.lastEmployee;
}

function policyValid(r: Runtime, now = Date.now()): boolean {
  return !!r.policy && Date.parse(r.policy.expires) > now;
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
    if (res.kind === 'error') {
      r.state.lastFetch = { at, ok: false, message: res.message };
      await saveState({ lastFetch: r.state.lastFetch });
    } else if (res.kind === 'not-modified') {
      r.state.lastFetch = { at, ok: true, message: 'not modified since the last download' };
      await saveState({ lastFetch: r.state.lastFetch });
    } else {
      await acceptOrRefuse(r, res.text, res.etag, res.lastModified, at);
    }
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
  r.state.lastFetch = { at, ok: true, message: changed ? `policy serial ${v.policy.serial} verified and applied` : 'policy unchanged' };
  r.state.lastRefusal = null;
  r.policy = v.policy;
  r.compiled = compilePolicy(v.policy);
  await saveState({ policyRecord: record, lastFetch: r.state.lastFetch, lastRefusal: null });
  if (changed) {
    setAuditContext(auditContextOf(r));
    await recordAudit({ type: 'policy-applied', detail: { serial: v.policy.serial, payloadHash: v.payloadHash, signers: v.signers } });
  }
}

function auditContextOf(r: Runtime) {
  const c = r.config;
  return {
    office: c?.office ?? r.partialConfig?.office ?? null,
    groups: c?.groups ?? [],
    policySerial: r.policy?.serial ?? null,
    auditUrl: c?.auditUrl ?? null,
    format: c?.auditFormat ?? ('json' as const),
    urlDetail: c?.auditUrlDetail ?? ('path' as const),
  };
}

// Callers already inside the queue use this directly (waiting on the queue from inside it would deadlock).
async function ensureReadyUnqueued(): Promise<Runtime> {
  if (rt) return rt;
  const r: Runtime = { config: null, configErrors: [], partialConfig: null, state: await loadState(), policy: null, compiled: null, mode: 'waiting-config', ruleCount: 0 };
  await readConfig(r);
  await loadStoredPolicy(r);
  r.ruleCount = (await browser.declarativeNetRequest.getDynamicRules()).length;
  r.mode = modeOf(r);
  rt = r;
  return r;
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
  if (policyValid(r, now) && r.compiled && employee) return compileDnrRules(r.compiled, employee, now, opts);
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
  const rules = compileFor(r, now);
  if (r.config) {
    r.state.lastEmployee = { office: r.config.office, groups: r.config.groups };
    await saveState({ lastEmployee: r.state.lastEmployee });
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
  const mode = modeOf(r);
  if (mode !== r.state.lastMode) {
    if (mode === 'fail-closed') await recordAudit({ type: 'fail-closed-entered', detail: { reason: failReason(r) } });
    if (r.state.lastMode === 'fail-closed') await recordAudit({ type: 'fail-closed-left', detail: { mode } });
    r.state.lastMode = mode;
    await saveState({ lastMode: mode });
  }
  r.mode = mode;
  const at = new Date(now).toISOString();
  r.state.lastApplied = installError
    ? { ...(r.state.lastApplied ?? { serial: null, mode, ruleCount: r.ruleCount }), at, error: installError }
    : { serial: policyValid(r, now) ? r.policy!.serial : null, mode, ruleCount: r.ruleCount, at };
  await saveState({ lastApplied: r.state.lastApplied });
  await registerContentScripts(r, now);
  await registerGuardScript(r.compiled, employeeOf(r), now, policyValid(r, now));
  await scheduleWindowAlarm(r, now);
  await followOpenTabs(r);
}

/**
 * Replace our dynamic rules with `rules` in one atomic call (never a moment without rules, never
 * half a policy), or no call at all when they are already installed (alarms recompile often).
 */
async function installRules(rules: DnrRule[]): Promise<void> {
  const existing = (await browser.declarativeNetRequest.getDynamicRules()).filter((x) => x.id <= RULE_ID_MAX);
  if (sameRules(existing, rules)) return;
  await browser.declarativeNetRequest.updateDynamicRules({
    removeRuleIds: existing.map((x) => x.id),
    addRules: rules as unknown as Parameters<typeof browser.declarativeNetRequest.updateDynamicRules>[0]['addRules'],
  });
}

/** Installed rules equal compiled ones? The browser may echo extra default fields: compare what we set. */
function sameRules(installed: readonly unknown[], wanted: readonly DnrRule[]): boolean {
  if (installed.length !== wanted.length) return false;
  const pick = (x: Partial<DnrRule>) => JSON.stringify([x.id, x.priority, x.action, x.condition?.requestDomains, x.condition?.regexFilter ?? null, x.condition?.resourceTypes]);
  const have = new Set((installed as Array<Partial<DnrRule>>).map(pick));
  return wanted.every((w) => have.has(pick(w)));
}

function failReason(r: Runtime): string {
  if (r.policy && !policyValid(r)) return `the policy in force expired ${r.policy.expires}`;
  return r.state.lastRefusal?.message ?? r.state.lastFetch?.message ?? 'no valid policy has been received yet';
}

const CONTENT_SCRIPT_ID = 'ai-geofence-content';
/** Bumped when the registration's options change, so existing profiles re-register. */
const CONTENT_SCRIPT_VERSION = 2;

/** Match patterns for a domain and its subdomains. */
function patternsFor(domains: readonly string[]): string[] {
  return domains.flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]);
}

/**
 * The content script runs only where it has work: hosts of tools that are warned or monitored
 * (banner, visit report) — not on every page the employee opens.
 */
async function registerContentScripts(r: Runtime, now: number): Promise<void> {
  const employee = employeeOf(r);
  const domains = new Set<string>();
  if (r.compiled && employee && policyValid(r, now)) {
    for (const [toolId, { action }] of actionsByTool(r.compiled, employee, now)) {
      if (action === 'warn' || action === 'monitor') for (const d of r.compiled.tools.get(toolId)!.domains) domains.add(normalizeHost(d));
    }
  }
  domains.delete('');
  const matches = patternsFor([...domains].sort());
  const key = `v${CONTENT_SCRIPT_VERSION} ${matches.join(' ')}`;
  if (key === r.state.contentScriptKey) return;
  const existing = await browser.scripting.getRegisteredContentScripts({ ids: [CONTENT_SCRIPT_ID] }).catch(() => []);
  if (existing.length) await browser.scripting.unregisterContentScripts({ ids: [CONTENT_SCRIPT_ID] });
  if (matches.length) {
    // allFrames: a monitored or acknowledged tool embedded in another site gets its banner and its
    // visit report too (blocked and unacknowledged frames never load: DNR swaps them for a notice).
    await browser.scripting.registerContentScripts([{ id: CONTENT_SCRIPT_ID, js: ['content.js'], matches, runAt: 'document_idle', allFrames: true, persistAcrossSessions: true }]);
  }
  r.state.contentScriptKey = key;
  await saveState({ contentScriptKey: key });
}

/** One alarm at the next instant the rules change: a rule window, an acknowledgement's end, expiry. */
async function scheduleWindowAlarm(r: Runtime, now: number): Promise<void> {
  const instants: number[] = [...Object.values(r.state.acknowledged)];
  if (r.policy) {
    const next = nextRuleChange(r.policy, now);
    if (next !== null) instants.push(next);
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
  if (policyValid(r, now) && r.compiled && employee) return decide(r.compiled, employee, url, now);
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

/** The status shown by the popup and the pages. */
export async function statusOf(r: Runtime): Promise<Status> {
  const rec = r.state.policyRecord;
  const p = r.policy;
  return {
    mode: modeOf(r),
    extensionVersion: browser.runtime.getManifest().version,
    config: r.config ? { ...r.config, trustedKeys: r.config.trustedKeys.map((k) => ({ kid: k.kid, kty: k.kty, crv: k.crv, x: k.x })) as ManagedConfig['trustedKeys'] } : r.partialConfig,
    configErrors: r.configErrors,
    policy: p && rec
      ? {
          serial: p.serial, issuer: p.issuer ?? null, contact: p.contact ?? null, issued: p.issued, expires: p.expires,
          payloadHash: rec.payloadHash, signers: rec.signers, verifiedAt: rec.verifiedAt, expired: !policyValid(r),
        }
      : null,
    lastFetch: r.state.lastFetch,
    lastRefusal: r.state.lastRefusal,
    ruleCount: r.ruleCount,
    audit: await getAuditStatus(),
  };
}
