/**
 * What a new policy version changes: every decision that differs between two versions, for every
 * office of either (with no group and with each group a rule of either names), for every tool
 * either names. A draft that drops three rules by accident signs and verifies without a word;
 * this is the word. Built on the same decide() code the extension enforces with (through the
 * preview matrix's tool and group lists), so it cannot disagree with enforcement.
 */
import { CATALOGUE } from '../catalogue/catalogue.ts';
import {
  actionsByTool,
  ruleActiveAt,
  ruleTargets,
  subjectFor,
  type CompiledPolicy,
  type Employee,
} from '../decide/decide.ts';
import { normalizeHost } from '../catalogue/hosts.ts';
import { namedTools, policyGroups } from '../decide/matrix.ts';
import type { Action } from './policy-schema.ts';

/** One side of a change: the action and the deciding rule's id (null: `defaultAction` or no rule). */
export interface DiffSide {
  action: Action;
  rule: string | null;
  /** Set when the side is not an ordinary decision (an office or tool this version does not define). */
  note?: string;
}

/** A decision that differs (the `diff --json` row). */
export interface DecisionChange {
  office: string;
  /** The employee's groups: [] for an employee in no group, or the one group a rule names. */
  groups: string[];
  tool: string;
  /** Set for a model-level decision (a rule with `models`): what the employee gets while using that model. */
  model?: string;
  before: DiffSide;
  after: DiffSide;
}

/** A tool whose URLs change: domains or paths added or removed. */
export interface CoverageChange {
  tool: string;
  domainsAdded: string[];
  domainsRemoved: string[];
  pathsBefore: string[] | null;
  pathsAfter: string[] | null;
}

/** A top-level setting that changes decisions beyond the listed tools. */
export interface SettingChange {
  field: 'defaultAction' | 'unlistedAiAction';
  before: string;
  after: string;
}

/** A rule window that opens or closes after `at`: decisions change then without a new version. */
export interface UpcomingEdge {
  at: string;
  rule: string;
  version: 'before' | 'after';
  edge: 'from' | 'until';
}

export interface PolicyDiff {
  /** The instant decisions were taken at (rule windows), ISO 8601. */
  at: string;
  changes: DecisionChange[];
  /** Office codes only one version defines: employees configured with a removed one fail closed. */
  offices: { added: string[]; removed: string[] };
  coverage: CoverageChange[];
  settings: SettingChange[];
  upcoming: UpcomingEdge[];
}

/** An employee configured with an office the version lacks: a configuration error, enforced as with no policy (failMode closed). */
const NOT_DEFINED_OFFICE = 'office not defined in this version: fails closed';
const NOT_DEFINED_TOOL = 'not a tool in this version';

/** What an employee of an office the version does not define gets (the default fail mode, closed). */
function unknownOfficeSide(tool: string): DiffSide {
  return { action: Object.hasOwn(CATALOGUE, tool) ? 'block' : 'allow', rule: null, note: NOT_DEFINED_OFFICE };
}

/** Same decision: the note only explains it (an office that disappears is reported once, in `offices`). */
function sameSide(a: DiffSide, b: DiffSide): boolean {
  return a.action === b.action && a.rule === b.rule;
}

function union<T>(...lists: ReadonlyArray<Iterable<T>>): T[] {
  const out = new Set<T>();
  for (const list of lists) for (const x of list) out.add(x);
  return [...out];
}

/** Models named by a model-level rule of either version, per tool. */
function modelsByTool(...versions: CompiledPolicy[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const c of versions) {
    for (const [i, r] of c.policy.rules.entries()) {
      if (!r.models) continue;
      // The rule's tools as enforced: those it names and those its toolsWhere selects.
      for (const t of c.ruleTools[i]!) {
        const set = out.get(t) ?? new Set<string>();
        for (const m of r.models) set.add(m);
        out.set(t, set);
      }
    }
  }
  return new Map([...out].map(([t, s]) => [t, [...s]]));
}

/** The first active model-level rule for `tool` and `model` that targets the employee, or null. */
function modelRule(c: CompiledPolicy, employee: Employee, tool: string, model: string, now: number): DiffSide | null {
  const subject = subjectFor(c.policy, employee);
  const rule = c.policy.rules.find(
    (r, i) =>
      r.models?.includes(model) && c.ruleTools[i]!.includes(tool) && ruleActiveAt(r, now) && ruleTargets(r, subject),
  );
  return rule ? { action: rule.action, rule: rule.id } : null;
}

function coverage(before: CompiledPolicy, after: CompiledPolicy): CoverageChange[] {
  const out: CoverageChange[] = [];
  for (const tool of union(before.tools.keys(), after.tools.keys())) {
    const a = before.tools.get(tool);
    const b = after.tools.get(tool);
    const hosts = (t: typeof a) => new Set((t?.domains ?? []).map(normalizeHost).filter(Boolean));
    const [ha, hb] = [hosts(a), hosts(b)];
    const domainsAdded = [...hb].filter((d) => !ha.has(d));
    const domainsRemoved = [...ha].filter((d) => !hb.has(d));
    const pathsBefore = a?.paths?.length ? [...a.paths] : null;
    const pathsAfter = b?.paths?.length ? [...b.paths] : null;
    const pathsChanged = JSON.stringify(pathsBefore) !== JSON.stringify(pathsAfter);
    if (domainsAdded.length || domainsRemoved.length || pathsChanged)
      out.push({ tool, domainsAdded, domainsRemoved, pathsBefore, pathsAfter });
  }
  return out;
}

function upcoming(c: CompiledPolicy, version: UpcomingEdge['version'], now: number): UpcomingEdge[] {
  const out: UpcomingEdge[] = [];
  for (const r of c.policy.rules) {
    for (const edge of ['from', 'until'] as const) {
      const t = r[edge];
      if (t !== undefined && Date.parse(t) > now)
        out.push({ at: new Date(Date.parse(t)).toISOString(), rule: r.id, version, edge });
    }
  }
  return out;
}

/** Every decision that differs between `before` and `after` at `now`. */
export function diffPolicies(before: CompiledPolicy, after: CompiledPolicy, now: number): PolicyDiff {
  const settings: SettingChange[] = [];
  for (const field of ['defaultAction', 'unlistedAiAction'] as const) {
    if (before.policy[field] !== after.policy[field])
      settings.push({ field, before: before.policy[field], after: after.policy[field] });
  }
  // A changed defaultAction changes every tool no rule names: then every tool either knows counts.
  const tools = settings.some((s) => s.field === 'defaultAction')
    ? union(namedTools(before), namedTools(after), before.tools.keys(), after.tools.keys())
    : union(namedTools(before), namedTools(after));
  const groups = union(policyGroups(before), policyGroups(after)).sort();
  const offices = union(Object.keys(before.policy.offices), Object.keys(after.policy.offices));
  const models = modelsByTool(before, after);

  const side = (actions: ReturnType<typeof actionsByTool> | null, tool: string): DiffSide => {
    if (!actions) return unknownOfficeSide(tool);
    const a = actions.get(tool);
    if (!a) return { action: 'allow', rule: null, note: NOT_DEFINED_TOOL };
    return { action: a.action, rule: a.rule?.id ?? null };
  };

  const changes: DecisionChange[] = [];
  for (const office of offices) {
    for (const group of [null, ...groups]) {
      const employee: Employee = { office, groups: group === null ? [] : [group] };
      const known = (c: CompiledPolicy) => Object.hasOwn(c.policy.offices, office);
      const actionsBefore = known(before) ? actionsByTool(before, employee, now) : null;
      const actionsAfter = known(after) ? actionsByTool(after, employee, now) : null;
      for (const tool of tools) {
        const b = side(actionsBefore, tool);
        const a = side(actionsAfter, tool);
        if (!sameSide(b, a)) changes.push({ office, groups: [...employee.groups!], tool, before: b, after: a });
        for (const model of models.get(tool) ?? []) {
          // Model-level rules apply on top of the tool's own decision (never past a block: the tool does not load).
          const onTop = (c: CompiledPolicy, known: boolean, own: DiffSide) =>
            known && own.action !== 'block' ? (modelRule(c, employee, tool, model, now) ?? own) : own;
          const mb = onTop(before, actionsBefore !== null, b);
          const ma = onTop(after, actionsAfter !== null, a);
          if (!sameSide(mb, ma) && !(sameSide(mb, b) && sameSide(ma, a))) {
            changes.push({ office, groups: [...employee.groups!], tool, model, before: mb, after: ma });
          }
        }
      }
    }
  }
  return {
    at: new Date(now).toISOString(),
    changes,
    offices: {
      added: offices.filter((o) => !Object.hasOwn(before.policy.offices, o)),
      removed: offices.filter((o) => !Object.hasOwn(after.policy.offices, o)),
    },
    coverage: coverage(before, after),
    settings,
    upcoming: [...upcoming(before, 'before', now), ...upcoming(after, 'after', now)].sort((x, y) =>
      x.at.localeCompare(y.at),
    ),
  };
}

/** `block (ASIA-DEEPSEEK)`, `allow (no rule)`, or the side's note. */
function formatSide(s: DiffSide): string {
  return `${s.action} (${s.rule ?? s.note ?? 'no rule'})`;
}

/** One change as a compliance officer reads it: `HK · deepseek: block (ASIA-DEEPSEEK) → allow (no rule)`. */
export function formatChange(c: DecisionChange): string {
  const who = c.groups.length ? `${c.office} [group ${c.groups.join(', ')}]` : c.office;
  const what = c.model ? `${c.tool} (model ${c.model})` : c.tool;
  return `${who} · ${what}: ${formatSide(c.before)} → ${formatSide(c.after)}`;
}

/**
 * The changes to print for people: a group's row is left out when it changes exactly as the same
 * office's no-group row does (everyone in the office is affected, groups included).
 */
export function changesForPeople(changes: readonly DecisionChange[]): DecisionChange[] {
  const key = (c: DecisionChange) => `${c.office}\u0000${c.tool}\u0000${c.model ?? ''}`;
  const noGroup = new Map(changes.filter((c) => c.groups.length === 0).map((c) => [key(c), c]));
  return changes.filter((c) => {
    if (c.groups.length === 0) return true;
    const base = noGroup.get(key(c));
    return !base || !sameSide(base.before, c.before) || !sameSide(base.after, c.after);
  });
}
