/**
 * Turns decisions into what employees read (pure): the block/warn page explanation and the popup's
 * "what may I use here" view.
 */
import { actionsByTool, firstRuleFor, subjectFor, ruleActiveAt, ruleTargets, type CompiledPolicy, type Decision, type Employee } from './decide.ts';
import type { DecidingLocation, Explanation, NoticeEntry, ToolRef } from './messages.ts';
import type { Policy, Tool } from './policy-schema.ts';

/** A tool as pages show it. */
export function toolRef(id: string, tool: Tool): ToolRef {
  return { id, name: tool.name, vendor: tool.vendor ?? null, url: tool.url ?? null };
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
  const office = ctx.employee && policy && Object.hasOwn(policy.offices, ctx.employee.office) ? policy.offices[ctx.employee.office] : undefined;
  return { basis: 'office', country: office?.jurisdiction ?? null, zone: null };
}

/** The explanation of one decision for the block/warn pages and the popup. */
export function explainDecision(url: string, d: Decision, ctx: ExplainContext): Explanation {
  const policy: Policy | null = ctx.compiled?.policy ?? null;
  const officeCode = ctx.employee?.office ?? null;
  const office = officeCode ? { code: officeCode, name: policy?.offices[officeCode]?.name ?? officeCode } : null;
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
    issuer: policy?.issuer ?? null,
    policySerial: policy?.serial ?? null,
    acknowledgedUntil: ctx.acknowledgedUntil ? new Date(ctx.acknowledgedUntil).toISOString() : null,
    allowForMinutes: d.action === 'warn' ? (d.rule?.allowForMinutes ?? 60) : null,
    requireJustification: d.action === 'warn' && !!d.rule?.requireJustification,
    // Only when a location decided: other explanations keep their shape.
    ...(location ? { location } : {}),
  };
}

/** Every rule that applies to this employee now (policy order), and the tools they may use. */
export function noticesFor(compiled: CompiledPolicy, employee: Employee, now: number): { notices: NoticeEntry[]; approved: ToolRef[] } {
  const s = subjectFor(compiled.policy, employee);
  const notices: NoticeEntry[] = [];
  for (const rule of compiled.policy.rules) {
    if (!ruleTargets(rule, s) || !ruleActiveAt(rule, now)) continue;
    // Only the tools this rule actually decides: an earlier rule may already decide the others.
    const tools = rule.tools.flatMap((id) => {
      const t = compiled.tools.get(id);
      return t && (rule.models || firstRuleFor(compiled, id, s, now) === rule) ? [toolRef(id, t)] : [];
    });
    if (tools.length === 0) continue;
    notices.push({ ruleId: rule.id, action: rule.action, tools, notice: rule.notice ?? null });
  }
  // Approved: tools the policy names (not the whole catalogue) that this employee may use.
  const named = new Set([...Object.keys(compiled.policy.tools ?? {}), ...compiled.policy.rules.flatMap((r) => r.tools)]);
  const approved: ToolRef[] = [];
  for (const [id, { action }] of actionsByTool(compiled, employee, now)) {
    if (named.has(id) && (action === 'allow' || action === 'monitor')) approved.push(toolRef(id, compiled.tools.get(id)!));
  }
  return { notices, approved };
}
