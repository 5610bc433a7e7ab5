/**
 * Where each content script has work, and what it is told: pure functions of the enforced policy,
 * the employee and the time. The worker registers scripts from the table the planner builds with
 * these (src/core/plan/plan.ts) and answers the scripts' requests with them (handlers.ts), so a
 * script never runs on a page it would have nothing to do on (docs/enforcement.md, "Content scripts").
 */
import {
  actionsByTool,
  ruleActiveAt,
  ruleTargets,
  subjectFor,
  type CompiledPolicy,
  type Decision,
  type Employee,
} from '../decide/decide.ts';
import { controlsActive, dataControlDetail, screenControls, type RejectedPattern } from '../decide/data-controls.ts';
import type { ModelDef, ModelRule } from '../decide/model-match.ts';
import { canBacktrackCatastrophically } from '../decide/regex-safety.ts';
import { normalizeHost } from '../catalogue/hosts.ts';
import { pickText } from '../policy/localized-text.ts';
import type { DataControls } from '../policy/policy-schema.ts';

/**
 * Match patterns for domains and their subdomains, sorted and without duplicates, so equal inputs
 * give equal lists and the registrar can tell "nothing changed" by comparing them.
 * https://developer.chrome.com/docs/extensions/develop/concepts/match-patterns
 */
export function hostMatchPatterns(domains: Iterable<string>): string[] {
  const hosts = new Set<string>();
  for (const d of domains) hosts.add(normalizeHost(d));
  hosts.delete('');
  return [...hosts].sort().flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]);
}

/** The domains of every tool whose decision for this employee passes `keep`. */
function domainsWhere(
  compiled: CompiledPolicy,
  employee: Employee,
  now: number,
  keep: (v: ReturnType<typeof actionsByTool> extends Map<string, infer V> ? V : never) => boolean,
): string[] {
  const out: string[] = [];
  for (const [toolId, v] of actionsByTool(compiled, employee, now))
    if (keep(v)) out.push(...(compiled.tools.get(toolId)?.domains ?? []));
  return out;
}

/** The banner (src/content/banner.ts): hosts of tools that are warned or monitored for this employee. */
export function bannerMatches(compiled: CompiledPolicy, employee: Employee, now: number): string[] {
  return hostMatchPatterns(
    domainsWhere(compiled, employee, now, ({ action }) => action === 'warn' || action === 'monitor'),
  );
}

/** The data-controls guard: hosts of every tool whose deciding rule (for this employee, now) has data controls. */
export function guardMatches(compiled: CompiledPolicy, employee: Employee, now: number): string[] {
  // A blocked tool never loads (lint refuses dataControls on block rules anyway).
  return hostMatchPatterns(
    domainsWhere(
      compiled,
      employee,
      now,
      ({ action, rule }) => action !== 'block' && controlsActive(rule?.dataControls),
    ),
  );
}

/** The controls in force per tool: part of the guard's registration key, so a changed pattern reaches open tabs. */
export function guardControlsKey(compiled: CompiledPolicy, employee: Employee, now: number): unknown[] {
  return [...actionsByTool(compiled, employee, now)]
    .filter(([, { rule }]) => controlsActive(rule?.dataControls))
    .map(([id, { rule }]) => [id, rule!.id, rule!.dataControls]);
}

/** The model-level rules for this tool that target the employee and are in their window, in policy order. */
function modelRulesFor(
  compiled: CompiledPolicy,
  employee: Employee,
  toolId: string,
  now: number,
  languages: readonly string[] = ['en'],
): ModelRule[] {
  const subject = subjectFor(compiled.policy, employee);
  return compiled.policy.rules
    .filter(
      (r, i) => r.models && compiled.ruleTools[i]!.includes(toolId) && ruleActiveAt(r, now) && ruleTargets(r, subject),
    )
    .map((r) => ({
      id: r.id,
      action: r.action,
      models: [...r.models!],
      title: pickText(r.notice?.title, languages) || r.id,
    }));
}

/** The models script (src/content/models.ts): hosts of every tool with model rules for this employee. */
export function modelMatches(compiled: CompiledPolicy, employee: Employee, now: number): string[] {
  const domains: string[] = [];
  for (const [toolId, tool] of compiled.tools) {
    if (tool.models && modelRulesFor(compiled, employee, toolId, now).length > 0) domains.push(...tool.domains);
  }
  return hostMatchPatterns(domains);
}

/** What the models script is told for its page: the tool's model definitions and its rules. */
export interface PageModels {
  tool: string | null;
  models: Record<string, ModelDef>;
  rules: ModelRule[];
}

/** What the models script is told for its page. */
export function modelsFor(
  compiled: CompiledPolicy | null,
  employee: Employee | null,
  d: Decision,
  now: number,
  languages: readonly string[] = ['en'],
): PageModels {
  // A blocked page never shows the vendor; nothing to watch.
  if (!compiled || !employee || !d.toolId || !d.tool?.models || d.action === 'block')
    return { tool: d.toolId, models: {}, rules: [] };
  return { tool: d.toolId, models: d.tool.models, rules: modelRulesFor(compiled, employee, d.toolId, now, languages) };
}

/** What the guard is told for its page: the deciding rule and its controls (null: nothing to do). */
export interface PageControls {
  ruleId: string | null;
  controls: DataControls | null;
}

/**
 * What the guard is told for a page: the deciding rule's controls, with patterns that could freeze
 * the page removed (lint refuses them; a policy signed without linting must still not), and which
 * were removed and why, for the worker's log.
 */
export function dataControlsFor(d: Decision): { answer: PageControls; rejected: RejectedPattern[] } {
  const controls = d.action !== 'block' ? d.rule?.dataControls : undefined;
  if (!controls || !controlsActive(controls))
    return { answer: { ruleId: d.rule?.id ?? null, controls: null }, rejected: [] };
  const screened = screenControls(controls, canBacktrackCatastrophically);
  return {
    answer: { ruleId: d.rule!.id, controls: controlsActive(screened.controls) ? screened.controls : null },
    rejected: screened.rejected,
  };
}

/** A guard's report of what it blocked or warned about (the `data-control-event` request). */
export interface DataControlReport {
  url: string;
  ruleId: string | null;
  kind: unknown;
  outcome: unknown;
  patterns: unknown;
  unchecked?: unknown;
}

/** The audit event for a guard's report, or null when the report is malformed. Never the text. */
export function dataControlAudit(req: DataControlReport, d: Decision) {
  const detail = dataControlDetail(req);
  if (!detail) return null;
  const ruleId = typeof req.ruleId === 'string' ? req.ruleId.slice(0, 200) : null;
  // The rule the guard acted under; the policy may have changed since the page asked.
  return { type: 'data-control' as const, tool: d.toolId, rule: ruleId ?? d.rule?.id ?? null, url: req.url, detail };
}
