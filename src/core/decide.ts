/**
 * The decision core (Contract 2): (policy, employee, url, now) → decision. Pure: no browser API.
 */
import { CATALOGUE } from './catalogue.ts';
import { hostMatchesDomain, hostSuffixes, normalizeHost, parseTarget, pathMatches } from './hosts.ts';
import type { Action, Notice, Policy, Rule, Tool } from './policy-schema.ts';

export interface Employee {
  office: string;
  groups?: readonly string[];
}

export interface Decision {
  action: Action;
  /** Tool id, or null when the URL is not a known AI tool. */
  toolId: string | null;
  tool: Tool | null;
  /** The deciding rule, or null when `defaultAction` (or nothing) decided. */
  rule: Rule | null;
  notice: Notice | null;
  /** Why: a rule matched, the policy default, not an AI tool, or no valid policy (fail mode). */
  basis: 'rule' | 'default' | 'not-a-tool' | 'fail-closed' | 'fail-open';
}

/** Attributes of the employee that rules target, resolved from the office. */
export interface Subject {
  office: string;
  jurisdiction: string | undefined;
  regions: readonly string[];
  groups: readonly string[];
}

/** A policy prepared for fast decisions: tools resolved against the catalogue and indexed by domain. */
export interface CompiledPolicy {
  policy: Policy;
  tools: ReadonlyMap<string, Tool>;
  /** normalised domain → tool ids listing it (policy tools first). */
  byDomain: ReadonlyMap<string, string[]>;
  /** tool id → indices of the rules naming it, in array order. */
  rulesByTool: ReadonlyMap<string, number[]>;
}

/** Merge the policy's tools over the built-in catalogue: a policy definition overrides the catalogue entry. */
export function resolveTools(policy: Pick<Policy, 'tools'>): Map<string, Tool> {
  const tools = new Map<string, Tool>(Object.entries(CATALOGUE));
  for (const [id, tool] of Object.entries(policy.tools ?? {})) tools.set(id, tool);
  return tools;
}

/** Index a validated policy for decisions. */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const tools = resolveTools(policy);
  const byDomain = new Map<string, string[]>();
  for (const [id, tool] of tools) {
    for (const d of tool.domains) {
      const host = normalizeHost(d);
      if (!host) continue;
      const list = byDomain.get(host);
      if (!list) byDomain.set(host, [id]);
      else if (!list.includes(id)) list.push(id);
    }
  }
  const rulesByTool = new Map<string, number[]>();
  policy.rules.forEach((rule, i) => {
    for (const t of rule.tools) {
      const list = rulesByTool.get(t);
      if (!list) rulesByTool.set(t, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    }
  });
  return { policy, tools, byDomain, rulesByTool };
}

/** Resolve the employee's targeting attributes from the policy's office table. */
export function subjectFor(policy: Policy, employee: Employee): Subject {
  const office = policy.offices[employee.office];
  return {
    office: employee.office,
    jurisdiction: office?.jurisdiction,
    regions: office?.regions ?? [],
    groups: employee.groups ?? [],
  };
}

function listed(list: readonly string[] | undefined, values: readonly string[]): boolean {
  return values.some((v) => list!.includes(v));
}

/** True when the rule's targeting selects this subject (ignoring tools and time). */
export function ruleTargets(rule: Rule, s: Subject): boolean {
  const j = s.jurisdiction === undefined ? [] : [s.jurisdiction];
  if (rule.offices && !rule.offices.includes(s.office)) return false;
  if (rule.jurisdictions && !listed(rule.jurisdictions, j)) return false;
  if (rule.regions && !listed(rule.regions, s.regions)) return false;
  if (rule.groups && !listed(rule.groups, s.groups)) return false;
  if (rule.exceptOffices?.includes(s.office)) return false;
  if (rule.exceptJurisdictions && listed(rule.exceptJurisdictions, j)) return false;
  if (rule.exceptRegions && listed(rule.exceptRegions, s.regions)) return false;
  if (rule.exceptGroups && listed(rule.exceptGroups, s.groups)) return false;
  return true;
}

/** True when `now` lies inside the rule's `from`/`until` window (from inclusive, until exclusive). */
export function ruleActiveAt(rule: Rule, now: number): boolean {
  if (rule.from !== undefined && now < Date.parse(rule.from)) return false;
  if (rule.until !== undefined && now >= Date.parse(rule.until)) return false;
  return true;
}

/** The first rule (array order) that names the tool, targets the subject and is active now. */
export function firstRuleFor(compiled: CompiledPolicy, toolId: string, s: Subject, now: number): Rule | null {
  for (const i of compiled.rulesByTool.get(toolId) ?? []) {
    const rule = compiled.policy.rules[i]!;
    if (rule.models) continue; // model-level rules are applied by the content script, not by URL
    if (ruleTargets(rule, s) && ruleActiveAt(rule, now)) return rule;
  }
  return null;
}

/** The tool a URL belongs to: the most specific listed domain wins, then tool `paths` narrow it. */
export function findTool(compiled: CompiledPolicy, url: string): { toolId: string; tool: Tool } | null {
  const t = parseTarget(url);
  if (!t || t.isIp || !t.host || (t.scheme !== 'https:' && t.scheme !== 'http:')) return null;
  for (const suffix of hostSuffixes(t.host)) {
    const ids = compiled.byDomain.get(suffix);
    if (!ids) continue;
    for (const toolId of ids) {
      const tool = compiled.tools.get(toolId)!;
      if (pathMatches(t.path, tool.paths)) return { toolId, tool };
    }
  }
  return null;
}

/** Decide what happens to a URL for this employee at `now` (ms since epoch). Never throws. */
export function decide(compiled: CompiledPolicy, employee: Employee, url: string, now: number): Decision {
  const found = findTool(compiled, url);
  if (!found) return { action: 'allow', toolId: null, tool: null, rule: null, notice: null, basis: 'not-a-tool' };
  const s = subjectFor(compiled.policy, employee);
  const rule = firstRuleFor(compiled, found.toolId, s, now);
  if (rule) return { action: rule.action, toolId: found.toolId, tool: found.tool, rule, notice: rule.notice ?? null, basis: 'rule' };
  return { action: compiled.policy.defaultAction, toolId: found.toolId, tool: found.tool, rule: null, notice: null, basis: 'default' };
}

/** With no valid policy at all: `closed` blocks every catalogue tool, `open` allows and says so. */
export function decideWithoutPolicy(failMode: 'closed' | 'open', url: string): Decision {
  const t = parseTarget(url);
  if (t && !t.isIp && (t.scheme === 'https:' || t.scheme === 'http:')) {
    for (const [toolId, tool] of Object.entries(CATALOGUE)) {
      if (tool.domains.some((d) => hostMatchesDomain(t.host, normalizeHost(d)))) {
        return failMode === 'closed'
          ? { action: 'block', toolId, tool, rule: null, notice: null, basis: 'fail-closed' }
          : { action: 'allow', toolId, tool, rule: null, notice: null, basis: 'fail-open' };
      }
    }
  }
  return { action: 'allow', toolId: null, tool: null, rule: null, notice: null, basis: 'not-a-tool' };
}

/**
 * For each tool, the action this employee gets right now (ignoring `paths`): what the DNR compiler
 * and the popup's "what may I use here" list both need.
 */
export function actionsByTool(compiled: CompiledPolicy, employee: Employee, now: number): Map<string, { action: Action; rule: Rule | null }> {
  const s = subjectFor(compiled.policy, employee);
  const out = new Map<string, { action: Action; rule: Rule | null }>();
  for (const toolId of compiled.tools.keys()) {
    const rule = firstRuleFor(compiled, toolId, s, now);
    out.set(toolId, { action: rule ? rule.action : compiled.policy.defaultAction, rule });
  }
  return out;
}

/** The next instant after `now` at which some rule's window opens or closes (for an alarm), or null. */
export function nextRuleChange(policy: Policy, now: number): number | null {
  let next: number | null = null;
  for (const r of policy.rules) {
    for (const t of [r.from, r.until]) {
      if (t === undefined) continue;
      const at = Date.parse(t);
      if (at > now && (next === null || at < next)) next = at;
    }
  }
  return next;
}
