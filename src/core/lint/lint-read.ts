/**
 * Reading a policy document for lint without trusting its types: lint runs on documents the
 * schema refuses, so that one schema error does not hide the other findings.
 */
import type { Targeting } from '../decide/decide.ts';

export interface LintIssue {
  severity: 'error' | 'warning';
  /** JSON path such as `$.rules[2].tools[0]` */
  path: string;
  message: string;
  /** The id of the rule the issue is about (its path is under `$.rules[N]`), when it has one. */
  rule?: string;
}

export type Obj = Record<string, unknown>;
export type Key = string | number;
export type Add = (severity: LintIssue['severity'], keys: readonly Key[], message: string) => void;

export const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
export const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
/** The strings of an array, or undefined when it is not an array (the schema reports that). */
export const strings = (x: unknown): string[] | undefined =>
  Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : undefined;
export const own = (o: Obj, k: string): boolean => Object.hasOwn(o, k);

export const TARGET_FIELDS = [
  'offices',
  'jurisdictions',
  'regions',
  'groups',
  'exceptOffices',
  'exceptJurisdictions',
  'exceptRegions',
  'exceptGroups',
  'locations',
  'exceptLocations',
] as const;

/** The parts of a rule the checks need, read without trusting the document's types. */
export interface RuleView {
  index: number;
  id: string | undefined;
  tools: string[];
  action: string | undefined;
  targeting: Targeting;
  from: number | undefined;
  until: number | undefined;
  hasModels: boolean;
  raw: Obj;
}

export function readRule(raw: unknown, index: number): RuleView {
  const r = isObj(raw) ? raw : {};
  const targeting: Targeting = {};
  for (const f of TARGET_FIELDS) {
    const list = strings(r[f]);
    if (list) targeting[f] = list;
  }
  const time = (x: unknown) => {
    const t = typeof x === 'string' ? Date.parse(x) : NaN;
    return Number.isNaN(t) ? undefined : t;
  };
  return {
    index,
    id: str(r.id),
    tools: strings(r.tools) ?? [],
    action: str(r.action),
    targeting,
    from: time(r.from),
    until: time(r.until),
    hasModels: r.models !== undefined,
    raw: r,
  };
}

/** How a rule is named in messages: `rule "HK-CLAUDE"`, or its path when it has no id. */
export function ruleName(r: Pick<RuleView, 'id' | 'index'>): string {
  return r.id !== undefined ? `rule "${r.id}"` : `the rule at $.rules[${r.index}]`;
}

/** The id of the rule a JSON path such as `$.rules[3].tools[0]` points into, if it has one. */
export function ruleIdAt(path: string, rules: unknown): string | undefined {
  const m = /^\$\.rules\[(\d+)\]/.exec(path);
  if (!m || !Array.isArray(rules)) return undefined;
  const rule: unknown = rules[Number(m[1])];
  return isObj(rule) ? str(rule.id) : undefined;
}
