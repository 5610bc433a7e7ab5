/**
 * What to enforce, decided in one place: a pure function from what the worker knows (managed
 * configuration, the verified policy, signed exceptions, the browser's location, discovered tools,
 * acknowledgements, the time) to a plan — the mode, the network rules, the content scripts and
 * where they run, the blocked tools, the next instant something changes. The worker only applies
 * plans (src/background/apply-*.ts); see docs/enforcement.md, "Plan, then apply".
 *
 * `enforcementState` is the cheap half (who, which policy, valid or not), asked for every decision
 * a page or tab needs; `planEnforcement` adds what each apply installs.
 */
import { CATALOGUE } from '../catalogue/catalogue.ts';
import { normalizeHost } from '../catalogue/hosts.ts';
import type { ManagedConfig } from '../config/managed-config.ts';
import { checkOffice, type OfficeProblem } from '../config/office-check.ts';
import {
  actionsByTool,
  compilePolicy,
  decide,
  decideWithoutPolicy,
  nextRuleChange,
  type CompiledPolicy,
  type Decision,
  type Employee,
} from '../decide/decide.ts';
import { noticesFor } from '../decide/explain.ts';
import {
  coveredByListed,
  discoveredDomain,
  withDiscoveredTools,
  type DiscoveredRegister,
} from '../discovery/discovery.ts';
import { compileDnrRules, compileFailClosedRules, type DnrRule } from '../dnr/dnr.ts';
import { compileModelDnrRules } from '../dnr/dnr-models.ts';
import { exceptionsFor, policyWithExceptions, type ExceptionsDoc } from '../exceptions/exceptions.ts';
import { locationInForce, type LocationRecord } from '../location/location.ts';
import type { EnforcementMode } from '../status/status.ts';
import type { Policy } from '../policy/policy-schema.ts';
import { applyStaleness, isStaleClosed, stalenessState, type StalenessState } from '../policy/staleness.ts';
import { bannerMatches, guardControlsKey, guardMatches, modelMatches } from './content-scripts.ts';

/** Everything a plan is computed from. */
export interface PlanInput {
  /** The valid managed configuration, or null (not delivered yet, or invalid). */
  config: ManagedConfig | null;
  /** The employee the rules were last compiled for: who they are while the configuration is missing. */
  lastEmployee: { office: string; groups: string[] } | null;
  /** The verified policy in force, compiled once when it was loaded or verified; null without one. */
  policy: CompiledPolicy | null;
  /** Its payload hash (what the notice snapshot was built from). */
  payloadHash: string | null;
  /** When the policy server last confirmed the policy in force (verified, or 304), ISO; the staleness clock. */
  confirmedAt: string | null;
  /** The verified signed exceptions in force, or null. */
  exceptions: ExceptionsDoc | null;
  /** The stored location record; it counts only while the configuration still vouches for it. */
  location: LocationRecord | null;
  discovered: DiscoveredRegister;
  /** tool id → warn acknowledgement expiry (ms). */
  acknowledged: Readonly<Record<string, number>>;
  now: number;
}

/** Where the extension's own pages are and which browser the rules are for. */
export interface PlanTarget {
  pages: { block: string; warn: string; embedded: string };
  browser: 'chrome' | 'firefox';
}

/** The policy as enforced now, beside the signed one it comes from. */
interface EnforcedPolicy {
  policy: Policy;
  compiled: CompiledPolicy;
  /** What made it differ from the signed policy (stale-closed, exceptions, discovered hosts). */
  key: string;
}

export interface EnforcementState {
  employee: Employee | null;
  mode: EnforcementMode;
  /** A policy is in force for this employee: current, and defining their office. */
  valid: boolean;
  officeProblem: OfficeProblem | null;
  staleness: StalenessState | null;
  staleClosed: boolean;
  /** The signed policy (what explanations and the matrix read), and the policy as enforced. */
  signed: CompiledPolicy | null;
  enforced: EnforcedPolicy | null;
  failMode: 'closed' | 'open' | null;
}

/** One content script's wanted registration: the registrar diffs it with what is registered. */
export interface ScriptPlan {
  matches: string[];
  /** Changes when what running scripts were told changes, although their hosts did not. */
  key: string;
}

export interface Plan extends EnforcementState {
  /** The dynamic rules to install, or null to keep what is installed (no configuration to know better). */
  rules: DnrRule[] | null;
  scripts: { banner: ScriptPlan & { onDemand: boolean }; guard: ScriptPlan; models: ScriptPlan };
  /** Tools blocked now, with their domains (a newly blocked tool's service workers are evicted). */
  blockedTools: Array<{ id: string; domains: string[] }>;
  /** Acknowledgements still running (expired ones dropped: this apply warns again). */
  acknowledged: Record<string, number>;
  /** The next instant the rules change (a rule window, an acknowledgement's end, staleness, expiry), or null. */
  nextChangeAt: number | null;
  /** The serial whose rules this plan installs, or null (fail mode, no policy). */
  serial: number | null;
  /** What the notice snapshot's shards are built from (empty: no snapshot). */
  snapshotKey: string;
}

/** Above this many match patterns the banner is injected on demand instead of registered. */
export const MAX_REGISTERED_PATTERNS = 2_000;

/** Whether IT leaves the detector of unlisted AI tools on (managed `discovery`, default on). */
export function discoveryEnabled(config: ManagedConfig | null): boolean {
  return !!config && config.discovery !== false;
}

/** Who the rules are for: the configured employee, or the last one known while config is missing. */
export function employeeOf(input: Pick<PlanInput, 'config' | 'lastEmployee' | 'location' | 'now'>): Employee | null {
  const { config } = input;
  if (config)
    return {
      office: config.office,
      groups: config.groups,
      location: locationInForce(input.location, config, input.now),
    };
  return input.lastEmployee;
}

/** The cheap half of a plan: enough to decide a URL, explain it, or answer a page. */
export function enforcementState(input: PlanInput): EnforcementState {
  const { config, policy: signed, now } = input;
  const employee = employeeOf(input);
  const policy = signed?.policy ?? null;
  const officeProblem = policy && employee ? checkOffice(policy, employee.office) : null;
  const current = !!policy && Date.parse(policy.expires) > now;
  const valid = current && !officeProblem;
  const staleness = policy
    ? stalenessState(policy, input.confirmedAt, employee?.office ?? null, config?.failMode ?? 'closed', now)
    : null;
  const staleClosed = !!staleness && isStaleClosed(staleness);
  const mode: EnforcementMode = !config
    ? policy
      ? 'enforcing'
      : 'waiting-config'
    : valid
      ? 'enforcing'
      : config.failMode === 'open'
        ? 'fail-open'
        : 'fail-closed';
  const enforced = signed && staleness ? enforcedPolicy(signed, staleness, input, employee) : null;
  return {
    employee,
    mode,
    valid,
    officeProblem,
    staleness,
    staleClosed,
    signed,
    enforced,
    failMode: config?.failMode ?? null,
  };
}

/** The decision for a URL under what is in force. */
export function decideUnder(state: EnforcementState, url: string, now: number): Decision {
  if (state.valid && state.enforced && state.employee) return decide(state.enforced.compiled, state.employee, url, now);
  // Without configuration nothing new is enforced (the installed rules stay); explain as fail-open.
  return decideWithoutPolicy(state.failMode ?? 'open', url);
}

/** The warn acknowledgements still running at `now` (an expired one warns again). */
export function runningAcknowledgements(
  acknowledged: Readonly<Record<string, number>>,
  now: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [tool, until] of Object.entries(acknowledged)) if (until > now) out[tool] = until;
  return out;
}

/** Everything one apply installs. */
export function planEnforcement(input: PlanInput, target: PlanTarget): Plan {
  const { now } = input;
  const acknowledged = runningAcknowledgements(input.acknowledged, now);
  const state = enforcementState({ ...input, acknowledged });
  const { employee, valid, enforced, signed } = state;
  const active = valid && enforced && employee ? { compiled: enforced.compiled, employee } : null;
  const decisions = active ? actionsByTool(active.compiled, active.employee, now) : null;

  const opts = {
    blockPageUrl: target.pages.block,
    warnPageUrl: target.pages.warn,
    embeddedPageUrl: target.pages.embedded,
    browser: target.browser,
    acknowledged,
  };
  let rules: DnrRule[] | null;
  if (active && decisions) {
    rules = compileDnrRules(active.compiled, active.employee, now, opts);
    // Model-level blocks the URL can tell: above every tool rule, after its ids.
    if (active.compiled.policy.rules.some((x) => x.models)) {
      const blocked = new Set([...decisions].filter(([, v]) => v.action === 'block').map(([id]) => id));
      const firstId = rules.reduce((m, x) => Math.max(m, x.id), 0) + 1;
      rules = [
        ...rules,
        ...compileModelDnrRules(active.compiled, active.employee, now, firstId, {
          browser: target.browser,
          blockedTools: blocked,
        }),
      ];
    }
  } else {
    // Without a valid configuration we cannot know better than what is installed: keep it.
    rules = !input.config ? null : input.config.failMode === 'closed' ? compileFailClosedRules(opts) : [];
  }

  let banner = active ? bannerMatches(active.compiled, active.employee, now) : [];
  // Chromium matches every registered pattern on every navigation: at 60,000 patterns page loads
  // slowed by 1.29x (docs/benchmarks.md). Past the cap, inject on demand when a page completes.
  const onDemand = banner.length > MAX_REGISTERED_PATTERNS;
  if (onDemand) banner = [];
  const guard = active ? guardMatches(active.compiled, active.employee, now) : [];
  const models = active ? modelMatches(active.compiled, active.employee, now) : [];

  const blockedTools: Plan['blockedTools'] = [];
  const toolDomains = (id: string) => [
    ...new Set(((enforced?.compiled.tools.get(id) ?? CATALOGUE[id])?.domains ?? []).map(normalizeHost).filter(Boolean)),
  ];
  if (decisions) {
    for (const [id, { action }] of decisions)
      if (action === 'block') blockedTools.push({ id, domains: toolDomains(id) });
  } else if (input.config?.failMode === 'closed') {
    for (const id of Object.keys(CATALOGUE)) blockedTools.push({ id, domains: toolDomains(id) });
  }

  const instants = Object.values(acknowledged);
  if (signed && enforced) {
    // The enforced policy: an exception's end is a rule window there.
    const next = nextRuleChange(enforced.policy, now);
    if (next !== null) instants.push(next);
    if (state.staleness?.staleAt != null) instants.push(state.staleness.staleAt);
    instants.push(Date.parse(signed.policy.expires));
  }
  const nextChangeAt = Math.min(...instants.filter((t) => t > now));

  // The same signed policy, enforced the same way, for the same employee, before the next rule
  // window: the same decisions, the same notice snapshot shards.
  const snapshotKey =
    active && enforced && employee
      ? JSON.stringify([
          input.payloadHash,
          enforced.key,
          employee.office,
          employee.groups ?? [],
          employee.location ?? null,
          nextRuleChange(enforced.policy, now),
        ])
      : '';

  return {
    ...state,
    rules,
    scripts: {
      banner: { matches: banner, onDemand, key: `${onDemand ? 'on-demand ' : ''}${banner.join(' ')}` },
      guard: {
        matches: guard,
        key: JSON.stringify([guard, active ? guardControlsKey(active.compiled, active.employee, now) : null]),
      },
      models: { matches: models, key: models.join(' ') },
    },
    blockedTools,
    acknowledged,
    nextChangeAt: Number.isFinite(nextChangeAt) ? nextChangeAt : null,
    serial: valid && signed ? signed.policy.serial : null,
    snapshotKey,
  };
}

/** Compiled enforced policies, per signed policy: recompiled only when what they derive from changed. */
const enforcedMemo = new WeakMap<
  CompiledPolicy,
  { exceptions: ExceptionsDoc | null; key: string; value: EnforcedPolicy }
>();
const discoveredMemo = new WeakMap<CompiledPolicy, { register: DiscoveredRegister; domains: string[] }>();

/**
 * The policy as enforced: while this office is stale-closed every warn becomes block; then this
 * employee's signed exceptions in force become allow rules ending with the exception (rule windows,
 * so the next-change alarm restores the rule on time); last, hosts discovered as unlisted AI tools
 * become tools of a synthetic rule carrying `unlistedAiAction`. Network rules, content scripts,
 * alarms, open tabs and decisions all use this, so they agree.
 */
function enforcedPolicy(
  signed: CompiledPolicy,
  staleness: StalenessState,
  input: PlanInput,
  employee: Employee | null,
): EnforcedPolicy {
  const { now } = input;
  const staleClosed = isStaleClosed(staleness);
  const office = employee?.office ?? null;
  const userId = input.config?.userId ?? null;
  const active = office ? exceptionsFor(input.exceptions, userId, office, now) : [];
  const discovered = discoveredToEnforce(signed, input);
  const key = JSON.stringify([staleClosed, active.map((e) => e.id), discovered]);
  if (!staleClosed && active.length === 0 && discovered.length === 0)
    return { policy: signed.policy, compiled: signed, key };
  const cached = enforcedMemo.get(signed);
  if (cached && cached.exceptions === input.exceptions && cached.key === key) return cached.value;
  const stale = applyStaleness(signed.policy, staleness);
  const excepted = office ? policyWithExceptions(stale, input.exceptions, userId, office, now) : stale;
  // The unlisted tools' notice names tools this employee may use that have a link.
  const approved =
    discovered.length && employee
      ? noticesFor(signed, employee, now)
          .approved.filter((t) => t.url)
          .slice(0, 5)
          .map((t) => t.id)
      : [];
  const policy = discovered.length ? withDiscoveredTools(excepted, discovered, signed.byDomain, approved) : excepted;
  const value = { policy, compiled: compilePolicy(policy), key };
  enforcedMemo.set(signed, { exceptions: input.exceptions, key, value });
  return value;
}

/**
 * The discovered hosts `unlistedAiAction` applies to now: none while it is `allow` or discovery is
 * off; hosts a listed tool covers (the policy may have listed them since) are left out.
 */
function discoveredToEnforce(signed: CompiledPolicy, input: PlanInput): string[] {
  if (signed.policy.unlistedAiAction === 'allow' || !discoveryEnabled(input.config)) return [];
  const register = input.discovered;
  const cached = discoveredMemo.get(signed);
  if (cached?.register === register) return cached.domains;
  // IP addresses and single-label hosts are remembered for the audit but cannot be a domain rule.
  const domains = Object.keys(register)
    .filter((d) => d && discoveredDomain(d) === d && !coveredByListed(d, signed.byDomain))
    .sort();
  discoveredMemo.set(signed, { register, domains });
  return domains;
}
