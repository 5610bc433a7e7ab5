/**
 * The policy preview matrix: for every office (and every group the rules mention, plus "no
 * group"), for every tool the policy names, the action and the deciding rule. Compliance reads
 * it before signing — "who loses what on Monday" — and the preview page shows it for the policy
 * in force. Pure: the same decide() code the extension enforces with, so the table cannot drift.
 */
import { actionsByTool, ruleActiveAt, ruleTargets, subjectFor, type CompiledPolicy } from './decide.ts';
import { formatLocation, parseLocationArg, type BrowserLocation } from '../location/location.ts';
import type { Action } from '../policy/policy-schema.ts';
import { pickText } from '../policy/localized-text.ts';

/** A model-level rule (`models`) that would apply to this employee while one of its models is in use. */
export interface MatrixModelRule {
  rule: string;
  action: Action;
  models: string[];
}

export interface MatrixCell {
  action: Action;
  /** The deciding rule's id, or null when `defaultAction` decided. */
  rule: string | null;
  /** Model-level rules for this tool and employee, in array order (applied in the page, not by URL). */
  modelRules: MatrixModelRule[];
}

export interface MatrixRow {
  office: string;
  officeName: string;
  /** The one group the employee is assumed to be in, or null for an employee in no group. */
  group: string | null;
  /**
   * Where the browser is: null at the office (its jurisdiction is the location), `CC` or `CC/ZONE`
   * elsewhere, `unverified` with no verified location (the policy's `unknownLocation` decides).
   */
  location: string | null;
  /** tool id → cell, for every tool of `PolicyMatrix.tools`. */
  cells: Record<string, MatrixCell>;
}

export interface PolicyMatrix {
  serial: number;
  /** The instant the matrix was computed for (rule windows), ISO 8601. */
  at: string;
  tools: Array<{ id: string; name: string }>;
  groups: string[];
  /** The locations of the rows beside "at the office" (see `MatrixRow.location`). */
  locations: string[];
  rows: MatrixRow[];
}

export interface MatrixOptions {
  /** Group columns to show instead of every group the rules mention. */
  groups?: readonly string[];
  /**
   * Locations (`CC`, `CC/ZONE` or `unverified`) to show beside "at the office" instead of every
   * country the rules' `locations` / `exceptLocations` name (and `unverified` when the policy's
   * `unknownLocation` is `closed`).
   */
  locations?: readonly string[];
}

/** The value of a row's `location` for "no verified location". */
export const UNVERIFIED_LOCATION = 'unverified';

/**
 * Locations worth a row of their own: every country a rule's `locations` / `exceptLocations` names,
 * sorted, and `unverified` when that differs from being at the office (`unknownLocation: "closed"`).
 * Zone names need a country to stand in: pass them as `CC/ZONE` in `MatrixOptions.locations`.
 */
export function policyLocations(compiled: CompiledPolicy): string[] {
  const names = new Set<string>();
  for (const r of compiled.policy.rules)
    for (const l of [...(r.locations ?? []), ...(r.exceptLocations ?? [])]) names.add(l);
  const countries = [...names].filter((l) => typeof parseLocationArg(l) !== 'string').sort();
  return compiled.policy.unknownLocation === 'closed' ? [...countries, UNVERIFIED_LOCATION] : countries;
}

/** Tools the policy names: its own `tools`, then those its rules and alternatives reference (catalogue), in first-seen order. */
export function namedTools(compiled: CompiledPolicy): string[] {
  const ids = new Set(Object.keys(compiled.policy.tools));
  for (const [i, r] of compiled.policy.rules.entries()) {
    for (const t of compiled.ruleTools[i]!) ids.add(t);
    for (const t of r.notice?.alternatives ?? []) ids.add(t);
  }
  // An id the catalogue does not know either cannot be decided (lint reports it); leave it out.
  return [...ids].filter((id) => compiled.tools.has(id));
}

/** Every group a rule targets or excepts, sorted. */
export function policyGroups(compiled: CompiledPolicy): string[] {
  const groups = new Set<string>();
  for (const r of compiled.policy.rules)
    for (const g of [...(r.groups ?? []), ...(r.exceptGroups ?? [])]) groups.add(g);
  return [...groups].sort();
}

/** The preview matrix of a compiled policy at `now`. */
export function policyMatrix(compiled: CompiledPolicy, now: number, opts: MatrixOptions = {}): PolicyMatrix {
  const tools = namedTools(compiled);
  const groups = opts.groups ? [...new Set(opts.groups)] : policyGroups(compiled);
  const locations = opts.locations ? [...new Set(opts.locations)] : policyLocations(compiled);
  const places = new Map<string, BrowserLocation | null>();
  for (const l of locations) {
    const parsed = l === UNVERIFIED_LOCATION ? null : parseLocationArg(l);
    if (typeof parsed === 'string') throw new Error(parsed);
    places.set(l === UNVERIFIED_LOCATION ? l : formatLocation(parsed!), parsed);
  }
  const rows: MatrixRow[] = [];
  for (const [office, info] of Object.entries(compiled.policy.offices)) {
    // At the office, the office's jurisdiction is where the browser is (as `unknownLocation: "office"` assumes).
    const atOffice: BrowserLocation | null = info.jurisdiction ? { country: info.jurisdiction } : null;
    for (const [location, where] of [[null, atOffice] as const, ...places]) {
      for (const group of [null, ...groups]) {
        const employee = { office, groups: group === null ? [] : [group], location: where };
        const actions = actionsByTool(compiled, employee, now);
        const subject = subjectFor(compiled.policy, employee);
        const cells: Record<string, MatrixCell> = {};
        for (const id of tools) {
          const a = actions.get(id)!;
          const modelRules = compiled.policy.rules
            .filter(
              (r, i) =>
                r.models && compiled.ruleTools[i]!.includes(id) && ruleActiveAt(r, now) && ruleTargets(r, subject),
            )
            .map((r) => ({ rule: r.id, action: r.action, models: [...r.models!] }));
          cells[id] = { action: a.action, rule: a.rule?.id ?? null, modelRules };
        }
        rows.push({ office, officeName: pickText(info.name, ['en']), group, location, cells });
      }
    }
  }
  return {
    serial: compiled.policy.serial,
    at: new Date(now).toISOString(),
    tools: tools.map((id) => ({ id, name: compiled.tools.get(id)!.name })),
    groups,
    locations: [...places.keys()],
    rows,
  };
}

/** The matrix as a fixed-width text table (CLI): one line per office × group, `action (rule)` per tool. */
export function formatMatrix(m: PolicyMatrix): string {
  // The location column only when some row is away from the office: older tables stay as they were.
  const away = m.rows.some((r) => r.location !== null);
  const head = ['office', 'group', ...(away ? ['location'] : []), ...m.tools.map((t) => t.id)];
  const body = m.rows.map((r) => [
    r.office,
    r.group ?? '(none)',
    ...(away ? [r.location ?? '(office)'] : []),
    ...m.tools.map((t) => {
      const c = r.cells[t.id]!;
      const models = c.modelRules.map((x) => ` +${x.action}[${x.models.join('|')}]`).join('');
      return `${c.action}${c.rule ? ` (${c.rule})` : ''}${models}`;
    }),
  ]);
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
