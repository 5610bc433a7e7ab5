/**
 * Turns decisions into what employees read (pure): the block/warn page explanation and the popup's
 * "what may I use here" view.
 */
import {
  actionsByTool,
  firstRuleFor,
  subjectFor,
  ruleActiveAt,
  ruleTargets,
  type CompiledPolicy,
  type Decision,
  type Employee,
} from './decide.ts';
import type { Action, LocalizedText, Notice, Policy, Tool } from '../policy/policy-schema.ts';
import type { SelectedBy } from '../catalogue/tool-attributes.ts';
import type { ExceptionRef } from '../exceptions/exceptions.ts';
import type { LocationStatus } from '../location/location.ts';
import type { NoticeAcknowledgement } from './acknowledgements.ts';
import { exceptionRequestBase, exceptionRequestHref } from '../exceptions/exception-request.ts';

/** The location that decided a notice, when the deciding rule has `locations` / `exceptLocations`. */
export interface DecidingLocation {
  basis: LocationStatus['basis'];
  country: string | null;
  zone: string | null;
}

export interface ToolRef {
  id: string;
  name: string;
  vendor: string | null;
  url: string | null;
}

/** A decision made serialisable for pages and content scripts. */
export interface Explanation {
  url: string;
  action: Action;
  basis: 'rule' | 'default' | 'not-a-tool' | 'fail-closed' | 'fail-open';
  tool: ToolRef | null;
  ruleId: string | null;
  notice: Notice | null;
  alternatives: ToolRef[];
  office: OfficeRef | null;
  contact: string | null;
  /**
   * For a block by a rule: where to ask for an exception, with `tool`, `rule` and `office` in the
   * query string (the notice's `exceptionRequestUrl`, else the policy's). Null when none is given.
   */
  exceptionRequest?: string | null;
  issuer: string | null;
  policySerial: number | null;
  /** For warn: ISO time until which an acknowledgement lets the employee through, if any. */
  acknowledgedUntil: string | null;
  allowForMinutes: number | null;
  requireJustification: boolean;
  /**
   * A signed exception (docs/compliance.md#signed-exceptions) that lets this employee use the tool although a rule restricts
   * it: the page says "you have an exception until …". Absent or null: none applies.
   */
  exception?: ExceptionRef | null;
  /** A block rule with `requireAcknowledgement`: whether this notice version still needs reading. */
  acknowledgement?: NoticeAcknowledgement | null;
  /** The policy is older than `maxStalenessHours` and this office fails closed (docs/compliance.md#stale-policies). */
  stale?: { since: string; failMode: 'closed' | 'open' } | null;
  /** The rule reached the tool by attribute (`toolsWhere`): which one, for "blocked because …". */
  selectedBy?: SelectedBy | null;
  /** The address is a web proxy's form of the tool's host (`claude-ai.translate.goog`): that host. */
  proxiedHost?: string | null;
  /** Present when the deciding rule is about where the browser is: the pages say "used from …". */
  location?: DecidingLocation | null;
}

/** The employee's office: its code, and its name as the policy gives it (a string or a language map). */
export interface OfficeRef {
  code: string;
  name: LocalizedText;
}

export interface NoticeEntry {
  ruleId: string;
  action: Action;
  tools: ToolRef[];
  notice: Notice | null;
}

/** A rule that will start to apply to this employee (its `from` is in the near future). */
export interface UpcomingNotice extends NoticeEntry {
  /** ISO instant at which the rule starts. */
  from: string;
}

/** A tool as pages show it. */
export function toolRef(id: string, tool: Tool): ToolRef {
  return { id, name: tool.name, vendor: tool.vendor ?? null, url: tool.url ?? null };
}

/** The employee's office as pages show it; the code stands in for a name the policy lacks. */
export function officeRef(policy: Policy | null, code: string | null): OfficeRef | null {
  if (!code) return null;
  const office = policy && Object.hasOwn(policy.offices, code) ? policy.offices[code] : undefined;
  return { code, name: office?.name ?? code };
}

/** Context for explanations: the policy in force (if any) and who the employee is. */
export interface ExplainContext {
  compiled: CompiledPolicy | null;
  employee: Employee | null;
  acknowledgedUntil: number | null;
}

/**
 * The location behind a decision whose rule is about where the browser is (`locations` /
 * `exceptLocations`), so the page can say "used from Hong Kong"; null for any other decision.
 */
export function decidingLocation(d: Decision, ctx: ExplainContext): DecidingLocation | null {
  if (d.basis !== 'rule' || !(d.rule?.locations || d.rule?.exceptLocations)) return null;
  const here = ctx.employee?.location;
  if (here) return { basis: 'verified', country: here.country, zone: here.zone ?? null };
  const policy = ctx.compiled?.policy;
  if (policy?.unknownLocation === 'closed') return { basis: 'closed', country: null, zone: null };
  const office =
    ctx.employee && policy && Object.hasOwn(policy.offices, ctx.employee.office)
      ? policy.offices[ctx.employee.office]
      : undefined;
  return { basis: 'office', country: office?.jurisdiction ?? null, zone: null };
}

/** The explanation of one decision for the block/warn pages and the popup. */
export function explainDecision(url: string, d: Decision, ctx: ExplainContext): Explanation {
  const policy: Policy | null = ctx.compiled?.policy ?? null;
  const officeCode = ctx.employee?.office ?? null;
  const office = officeRef(policy, officeCode);
  const location = decidingLocation(d, ctx);
  const alternatives: ToolRef[] = [];
  for (const id of d.notice?.alternatives ?? []) {
    const t = ctx.compiled?.tools.get(id);
    if (t) alternatives.push(toolRef(id, t));
  }
  return {
    url,
    action: d.action,
    basis: d.basis,
    tool: d.tool && d.toolId ? toolRef(d.toolId, d.tool) : null,
    ruleId: d.rule?.id ?? null,
    notice: d.notice,
    alternatives,
    office,
    contact: d.notice?.contact ?? policy?.contact ?? null,
    exceptionRequest:
      d.toolId && d.rule
        ? exceptionRequestHref(exceptionRequestBase(d, policy), { tool: d.toolId, rule: d.rule.id, office: officeCode })
        : null,
    issuer: policy?.issuer ?? null,
    policySerial: policy?.serial ?? null,
    acknowledgedUntil: ctx.acknowledgedUntil ? new Date(ctx.acknowledgedUntil).toISOString() : null,
    allowForMinutes: d.action === 'warn' ? (d.rule?.allowForMinutes ?? 60) : null,
    requireJustification: d.action === 'warn' && !!d.rule?.requireJustification,
    ...(d.selectedBy ? { selectedBy: d.selectedBy } : {}),
    ...(d.proxiedHost ? { proxiedHost: d.proxiedHost } : {}),
    // Only when a location decided: other explanations keep their shape.
    ...(location ? { location } : {}),
  };
}

/** Every rule that applies to this employee now (policy order), and the tools they may use. */
export function noticesFor(
  compiled: CompiledPolicy,
  employee: Employee,
  now: number,
): { notices: NoticeEntry[]; approved: ToolRef[] } {
  const s = subjectFor(compiled.policy, employee);
  const notices: NoticeEntry[] = [];
  for (const [i, rule] of compiled.policy.rules.entries()) {
    if (!ruleTargets(rule, s) || !ruleActiveAt(rule, now)) continue;
    // Only the tools this rule actually decides: an earlier rule may already decide the others.
    const tools = compiled.ruleTools[i]!.flatMap((id) => {
      const t = compiled.tools.get(id);
      return t && (rule.models || firstRuleFor(compiled, id, s, now) === rule) ? [toolRef(id, t)] : [];
    });
    if (tools.length === 0) continue;
    notices.push({ ruleId: rule.id, action: rule.action, tools, notice: rule.notice ?? null });
  }
  // Approved: tools the policy names (not the whole catalogue) that this employee may use.
  const named = new Set([...Object.keys(compiled.policy.tools ?? {}), ...compiled.ruleTools.flat()]);
  const approved: ToolRef[] = [];
  for (const [id, { action }] of actionsByTool(compiled, employee, now)) {
    if (named.has(id) && (action === 'allow' || action === 'monitor'))
      approved.push(toolRef(id, compiled.tools.get(id)!));
  }
  return { notices, approved };
}

/** How far ahead the popup announces notices. */
export const UPCOMING_DAYS = 14;

/**
 * Rules that will start to apply to this employee within `days` (their `from` lies in (now, now +
 * days]), soonest first, with the tools each will decide once it starts. An allow rule without a
 * notice is left out: it changes nothing the employee needs to know.
 */
export function upcomingNotices(
  compiled: CompiledPolicy,
  employee: Employee,
  now: number,
  days = UPCOMING_DAYS,
): UpcomingNotice[] {
  const s = subjectFor(compiled.policy, employee);
  const horizon = now + days * 86_400_000;
  const upcoming: UpcomingNotice[] = [];
  for (const [i, rule] of compiled.policy.rules.entries()) {
    const from = rule.from ? Date.parse(rule.from) : NaN;
    if (!(from > now && from <= horizon) || !ruleTargets(rule, s) || !ruleActiveAt(rule, from)) continue;
    if (rule.action === 'allow' && !rule.notice) continue;
    // The tools it will decide when it starts: an earlier rule may still decide some of them then.
    const tools = compiled.ruleTools[i]!.flatMap((id) => {
      const t = compiled.tools.get(id);
      return t && (rule.models || firstRuleFor(compiled, id, s, from) === rule) ? [toolRef(id, t)] : [];
    });
    if (tools.length === 0) continue;
    upcoming.push({
      ruleId: rule.id,
      action: rule.action,
      tools,
      notice: rule.notice ?? null,
      from: new Date(from).toISOString(),
    });
  }
  return upcoming.sort((a, b) => Date.parse(a.from) - Date.parse(b.from));
}
