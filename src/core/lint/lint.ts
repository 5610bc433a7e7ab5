/**
 * Semantic lint of a policy (docs/cli.md#lint): schema errors plus the mistakes a schema cannot
 * see (unknown ids, unreachable rules, blocked alternatives, dates, domains, risky patterns).
 *
 * The semantic checks read the raw document defensively, so one schema error does not hide the
 * others: compliance fixes everything in one pass.
 */
import { CATALOGUE } from '../catalogue/catalogue.ts';
import { isIsoCountryCode, suggestCountryCode } from '../config/countries.ts';
import { isZoneName } from '../location/location.ts';
import {
  resolveRuleTools,
  resolveTools,
  ruleTargets,
  toolAttributes,
  type Subject,
  type Targeting,
} from '../decide/decide.ts';
import {
  isObj,
  own,
  readRule,
  str,
  strings,
  TARGET_FIELDS,
  type Add,
  type Key,
  type LintIssue,
  type Obj,
  type RuleView,
  ruleIdAt,
  ruleName,
} from './lint-read.ts';
import { checkMistakes } from './lint-mistakes.ts';
import { matchWhere, unknownAttributes, type ToolsWhere } from '../catalogue/tool-attributes.ts';
import { normalizeHost } from '../catalogue/hosts.ts';
import { didYouMean } from '../config/near-match.ts';
import tenantHeaderDocs from '../catalogue/tenant-headers.json' with { type: 'json' };
import { editDistance } from '../config/near-match.ts';
import { formatJsonPath, parsePolicy } from '../policy/policy-schema.ts';
import { hasNestedQuantifier, hasRepeatedAlternation } from '../decide/regex-safety.ts';

export type { LintIssue } from './lint-read.ts';
/** Shared with the CLI's "did you mean" hints. */

export interface LintOptions {
  /**
   * The zone names the location service knows (its networks table): a zone a rule names that is
   * not among them is an error. Absent: zone names are checked for form only.
   */
  zones?: readonly string[];
}

/** Schema and semantic problems of a parsed (not yet validated) policy document. Never throws. */
export function lintPolicy(input: unknown, now: number = Date.now(), options: LintOptions = {}): LintIssue[] {
  try {
    return lint(input, now, options);
  } catch (e) {
    // A lint that crashes on odd input would hide every other finding; say so instead.
    return [
      {
        severity: 'error',
        path: '$',
        message: `the document could not be checked: ${e instanceof Error ? e.message : String(e)}`,
      },
    ];
  }
}

function lint(input: unknown, now: number, options: LintOptions): LintIssue[] {
  const issues: LintIssue[] = [];
  const add = (severity: LintIssue['severity'], keys: readonly Key[], message: string) =>
    issues.push({ severity, path: formatJsonPath(keys), message });

  const parsed = parsePolicy(input);
  const schemaIssues = parsed.ok ? [] : parsed.issues;
  if (!isObj(input)) return schemaIssues.map((i) => ({ severity: 'error', path: i.path, message: i.message }));

  const offices = isObj(input.offices) ? input.offices : {};
  const policyTools = isObj(input.tools) ? input.tools : {};
  const knownTool = (id: string) => own(policyTools, id) || own(CATALOGUE, id);
  const toolIds = [...Object.keys(policyTools), ...Object.keys(CATALOGUE)];
  const rules = Array.isArray(input.rules) ? input.rules.map(readRule) : [];
  // Rules reach tools through toolsWhere too: the shadowing and alternatives checks need them all.
  if (parsed.ok) {
    const resolved = resolveRuleTools(parsed.policy.rules, resolveTools(parsed.policy));
    for (const r of rules) r.tools = resolved[r.index] ?? r.tools;
  }
  const wherePaths = checkToolsWhere(rules, policyTools, add);

  checkDates(input, now, add);
  checkOffices(offices, add);
  const domainPaths = checkDomains(policyTools, add);
  checkTenantHeaders(policyTools, add);

  const firstById = new Map<string, number>();
  for (const r of rules) {
    if (r.id !== undefined) {
      const first = firstById.get(r.id);
      if (first === undefined) firstById.set(r.id, r.index);
      else
        add(
          'error',
          ['rules', r.index, 'id'],
          `duplicate rule id "${r.id}" (first used at ${formatJsonPath(['rules', first, 'id'])}); audit events and notices name rules by id`,
        );
    }
    strings(r.raw.tools)?.forEach((t, k) => {
      if (!knownTool(t))
        add(
          'error',
          ['rules', r.index, 'tools', k],
          `unknown tool "${t}": not defined in $.tools nor in the built-in catalogue${didYouMean(t, toolIds)}`,
        );
    });
    for (const field of ['offices', 'exceptOffices'] as const) {
      strings(r.raw[field])?.forEach((o, k) => {
        if (!own(offices, o))
          add(
            'error',
            ['rules', r.index, field, k],
            `unknown office "${o}": not a key of $.offices${didYouMean(o, Object.keys(offices)) || ` (${Object.keys(offices).join(', ')})`}`,
          );
      });
    }
    checkLocations(r, options.zones, add);
    for (const field of [...TARGET_FIELDS.slice(0, 4), 'locations'] as const) {
      if (Array.isArray(r.raw[field]) && (r.raw[field] as unknown[]).length === 0) {
        add(
          'warning',
          ['rules', r.index, field],
          `an empty "${field}" list matches no employee, so this rule never applies; remove the field to mean "any"`,
        );
      }
    }
    const notice = isObj(r.raw.notice) ? r.raw.notice : undefined;
    strings(notice?.alternatives)?.forEach((t, k) => {
      if (!knownTool(t))
        add(
          'error',
          ['rules', r.index, 'notice', 'alternatives', k],
          `unknown alternative tool "${t}": not defined in $.tools nor in the built-in catalogue${didYouMean(t, toolIds)}`,
        );
    });
    if (r.from !== undefined && r.until !== undefined && r.from >= r.until) {
      add(
        'error',
        ['rules', r.index, 'until'],
        `"until" (${String(r.raw.until)}) is not after "from" (${String(r.raw.from)}): the rule never applies`,
      );
    } else if (r.until !== undefined && r.until <= now) {
      add(
        'warning',
        ['rules', r.index, 'until'],
        `the rule's window ended at ${String(r.raw.until)}; it no longer applies`,
      );
    }
    if (r.raw.dataControls !== undefined) {
      if (r.action === 'block') {
        add(
          'error',
          ['rules', r.index, 'dataControls'],
          '"dataControls" is only for rules whose action is not "block" (a blocked tool cannot be used at all)',
        );
      }
      checkPatterns(r, add);
    }
  }

  checkShadowing(rules, offices, add);
  checkAlternatives(rules, input, offices, knownTool, now, add);
  checkMistakes({ doc: input, offices, policyTools, rules, now }, add);

  // A specific domain finding replaces the schema's generic message at the same path.
  const all = [
    ...schemaIssues
      .filter((i) => !domainPaths.has(i.path) && !wherePaths.has(i.path))
      .map((i): LintIssue => ({ severity: 'error', path: i.path, message: i.message })),
    ...issues,
  ];
  return all.map((issue) => withRuleId(issue, input.rules));
}

/** Name the rule an issue is about by its id, not only by its index (ids are what people know). */
function withRuleId(issue: LintIssue, rules: unknown): LintIssue {
  const id = ruleIdAt(issue.path, rules);
  return id === undefined ? issue : { ...issue, rule: id };
}

/**
 * `locations` / `exceptLocations` name ISO 3166-1 alpha-2 countries (as the location service
 * reports them, upper case) or network zones: an entry that is neither never matches, so the rule
 * silently applies to no one (or excuses no one).
 */
function checkLocations(r: RuleView, zones: readonly string[] | undefined, add: Add): void {
  // The rule is named by the issue's `rule` (its id, from the path); the message says what is wrong.
  for (const field of ['locations', 'exceptLocations'] as const) {
    strings(r.raw[field])?.forEach((name, k) => {
      const keys = ['rules', r.index, field, k];
      if (isIsoCountryCode(name)) return;
      const hint = suggestCountryCode(name);
      if (hint) add('error', keys, `"${name}" is not an ISO 3166-1 alpha-2 country code; did you mean "${hint}"?`);
      else if (name.length <= 2)
        add(
          'error',
          keys,
          `"${name}" is not an ISO 3166-1 alpha-2 country code (the location service reports codes such as "HK", "US", "GB")`,
        );
      else if (!isZoneName(name))
        add(
          'error',
          keys,
          `"${name}" is neither a country code nor a zone name (3 to 64 letters, digits, ".", "_" or "-")`,
        );
      else if (zones && !zones.includes(name)) {
        add(
          'error',
          keys,
          `unknown zone "${name}": the location service's networks name ${zones.length ? zones.map((z) => `"${z}"`).join(', ') : 'no zone'}`,
        );
      }
    });
  }
}

/** How many names a message lists before "…and N more". */
const LIST_MAX = 12;
const listNames = (names: readonly string[]) =>
  names.length <= LIST_MAX
    ? names.join(', ')
    : `${names.slice(0, LIST_MAX).join(', ')} …and ${names.length - LIST_MAX} more`;

/**
 * `toolsWhere` values the schema cannot judge: a vendor no tool has (a misspelling selects nothing),
 * a country code with a look-alike hint, a selector that selects nothing, and tools left out because
 * their attribute is unknown (a rule must never reach fewer tools than its author believes).
 */
function checkToolsWhere(rules: readonly RuleView[], policyTools: Obj, add: Add): Set<string> {
  /** Paths given a specific message here (the schema's generic one at the same path is dropped). */
  const specific = new Set<string>();
  if (!rules.some((r) => isObj(r.raw.toolsWhere))) return specific;
  const tools = new Map<string, ReturnType<typeof toolAttributes>>();
  for (const [id, t] of Object.entries(CATALOGUE)) tools.set(id, t);
  for (const [id, t] of Object.entries(policyTools)) {
    if (isObj(t)) tools.set(id, toolAttributes(id, { name: str(t.name) ?? id, domains: [], ...(t as object) }));
  }
  const withAttributes = [...tools];
  const vendors = new Set(
    withAttributes.flatMap(([, a]) => [a.vendor, ...(a.modelVendors ?? [])].filter((x): x is string => !!x)),
  );
  for (const r of rules) {
    const where = r.raw.toolsWhere;
    if (!isObj(where)) continue;
    const at = (...keys: Key[]) => ['rules', r.index, 'toolsWhere', ...keys];
    strings(where.vendorCountry)?.forEach((c, k) => {
      if (isIsoCountryCode(c)) return;
      const hint = suggestCountryCode(c);
      specific.add(formatJsonPath(at('vendorCountry', k)));
      add(
        'error',
        at('vendorCountry', k),
        `"${c}" is not an ISO 3166-1 alpha-2 country code${hint ? `; did you mean "${hint}"?` : ''}`,
      );
    });
    for (const field of ['vendor', 'modelVendors'] as const) {
      strings(where[field])?.forEach((name, k) => {
        if (vendors.has(name)) return;
        const lower = name.toLowerCase();
        const near = [...vendors].find((v) => {
          const l = v.toLowerCase();
          return l === lower || l.startsWith(lower) || lower.startsWith(l) || editDistance(v, name) <= 2;
        });
        add(
          'error',
          at(field, k),
          `no tool has the vendor "${name}", so this selects nothing${near ? `; did you mean "${near}"?` : ''} (explain --catalogue lists the vendors)`,
        );
      });
    }
    const parsedWhere = where as ToolsWhere;
    const selected = withAttributes.filter(([, a]) => matchWhere(parsedWhere, a));
    if (selected.length === 0) add('warning', at(), 'this selector selects no tool of the catalogue or the policy');
    // The policy's own tools first: those are the author's to fix.
    const unknown = withAttributes
      .filter(([, a]) => unknownAttributes(parsedWhere, a).length > 0)
      .sort(([x], [y]) => Number(own(policyTools, y)) - Number(own(policyTools, x)))
      .map(([id, a]) => `${id} (${unknownAttributes(parsedWhere, a).join(', ')})`);
    if (unknown.length > 0) {
      add(
        'warning',
        at(),
        `${unknown.length} tool(s) have no value for an attribute this selector names and are NOT selected: ${listNames(unknown)}; name them in "tools" or give the policy tool the attribute`,
      );
    }
  }
  return specific;
}

/** tool id → the tenant-restriction header names its vendor documents (src/core/catalogue/tenant-headers.json). */
export const DOCUMENTED_TENANT_HEADERS: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries(tenantHeaderDocs.tools).map(([id, d]) => [id, d.headers]),
);

/**
 * A tenant header the vendor does not know is sent and ignored: personal accounts keep working
 * while compliance believes they are refused. Only tools whose vendor documents headers are
 * checked (a firm's own tool may honour anything).
 */
function checkTenantHeaders(tools: Obj, add: Add): void {
  for (const [id, t] of Object.entries(tools)) {
    const documented = DOCUMENTED_TENANT_HEADERS.get(id);
    if (!documented || !isObj(t) || !isObj(t.tenantHeaders)) continue;
    const lower = documented.map((h) => h.toLowerCase());
    for (const name of Object.keys(t.tenantHeaders)) {
      if (lower.includes(name.toLowerCase())) continue;
      add(
        'warning',
        ['tools', id, 'tenantHeaders', name],
        `"${name}" is not a tenant-restriction header documented for "${id}" (${documented.join(', ')}); the vendor may ignore it and let personal accounts in`,
      );
    }
  }
}

function checkDates(doc: Obj, now: number, add: Add): void {
  const issued = typeof doc.issued === 'string' ? Date.parse(doc.issued) : NaN;
  const expires = typeof doc.expires === 'string' ? Date.parse(doc.expires) : NaN;
  if (!Number.isNaN(expires) && expires <= now) {
    add(
      'error',
      ['expires'],
      `the policy expired at ${String(doc.expires)}; clients refuse it (set a later "expires" and a higher "serial")`,
    );
  }
  if (!Number.isNaN(issued) && !Number.isNaN(expires) && issued >= expires) {
    add('error', ['issued'], `"issued" (${String(doc.issued)}) is not before "expires" (${String(doc.expires)})`);
  }
}

function checkOffices(offices: Obj, add: Add): void {
  for (const [id, o] of Object.entries(offices)) {
    if (!isObj(o)) continue;
    // A name may be a language map: each of its entries is read by someone.
    const names = typeof o.name === 'string' ? [['', o.name]] : isObj(o.name) ? Object.entries(o.name) : [];
    for (const [lang, name] of names) {
      if (typeof name === 'string' && name.trim() === '' && !(lang === '' && name === '')) {
        add(
          'error',
          lang ? ['offices', id, 'name', lang] : ['offices', id, 'name'],
          'an office needs a name employees recognise (it is blank)',
        );
      }
    }
  }
}

const IP_LIKE = /^(\d{1,3}(\.\d{1,3}){3}|\[?[0-9a-f:]*:[0-9a-f:.]*\]?)$/i;

/** Why a policy domain cannot be matched, or null when it is fine. */
export function domainProblem(domain: string): { severity: LintIssue['severity']; message: string } | null {
  const d = domain.trim();
  const bad = (message: string) => ({ severity: 'error' as const, message: `"${domain}" ${message}` });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(d))
    return bad('is a URL; list the host only, e.g. "claude.ai" (subdomains are included)');
  if (d.includes('*')) return bad('contains a wildcard; list the parent domain, subdomains are always included');
  if (IP_LIKE.test(d)) return bad('is an IP address; IP literals never match a domain');
  if (/[/?#]/.test(d)) return bad('contains a path; list the host only and use the tool\'s "paths" to narrow it');
  if (d.includes('@')) return bad('contains userinfo ("@"); list the host only');
  if (/:\d*$/.test(d)) return bad('contains a port; ports are ignored, list the host only');
  const host = normalizeHost(d);
  if (!host) {
    // WHATWG normalises other IPv4 forms (`0x7f.1`, `2130706433`) to dotted decimal.
    try {
      if (/^\d{1,3}(\.\d{1,3}){3}$/.test(new URL(`http://${d}/`).hostname))
        return bad('is an IP address; IP literals never match a domain');
    } catch {
      // not a host at all; reported below
    }
    return bad('is not a domain name');
  }
  if (!host.includes('.')) {
    return {
      severity: 'warning',
      message: `"${domain}" is a single label: as a top-level domain it would match every host under it; only an intranet host name should look like this`,
    };
  }
  return null;
}

/** Returns the paths it reported, so the schema's generic domain message can give way. */
function checkDomains(tools: Obj, add: Add): Set<string> {
  const reported = new Set<string>();
  for (const [id, t] of Object.entries(tools)) {
    if (!isObj(t)) continue;
    (Array.isArray(t.domains) ? t.domains : []).forEach((d: unknown, k) => {
      if (typeof d !== 'string') return;
      const problem = domainProblem(d);
      if (!problem) return;
      const keys = ['tools', id, 'domains', k];
      add(problem.severity, keys, problem.message);
      reported.add(formatJsonPath(keys));
    });
  }
  return reported;
}

function checkPatterns(r: RuleView, add: Add): void {
  const dc = r.raw.dataControls;
  if (!isObj(dc) || !Array.isArray(dc.patterns)) return;
  dc.patterns.forEach((p: unknown, k) => {
    if (!isObj(p) || typeof p.regex !== 'string') return;
    const keys = ['rules', r.index, 'dataControls', 'patterns', k, 'regex'];
    try {
      new RegExp(p.regex, 'g');
    } catch (e) {
      add('error', keys, `not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (hasNestedQuantifier(p.regex)) {
      add(
        'error',
        keys,
        `"${p.regex}" nests repeated groups (like "(a+)+"): it can backtrack catastrophically and freeze the page; rewrite it without a repeated group that itself repeats`,
      );
    } else if (hasRepeatedAlternation(p.regex)) {
      add(
        'error',
        keys,
        `"${p.regex}" repeats a group of alternatives (like "(\\w|\\d)+"): it can backtrack catastrophically; use a character class such as "[\\w\\d]+" instead`,
      );
    }
  });
}

/** Every office a rule could meet: the office table, codes named in rules, and one unknown code. */
function officeUniverse(rules: readonly RuleView[], offices: Obj): Subject[] {
  const codes = new Set(Object.keys(offices));
  for (const r of rules)
    for (const o of [...(r.targeting.offices ?? []), ...(r.targeting.exceptOffices ?? [])]) codes.add(o);
  let other = '\u0000other';
  while (codes.has(other)) other += '_';
  codes.add(other);
  return [...codes].map((code) => {
    const o = own(offices, code) && isObj(offices[code]) ? (offices[code] as Obj) : {};
    return { office: code, jurisdiction: str(o.jurisdiction), regions: strings(o.regions) ?? [], groups: [] };
  });
}

/** Does the office part of `rule` select `s` (groups and locations ignored)? */
function officePart(rule: Targeting, s: Subject): boolean {
  return ruleTargets(
    { ...rule, groups: undefined, exceptGroups: undefined, locations: undefined, exceptLocations: undefined },
    s,
  );
}

/**
 * Is every set that `later` accepts (through `include` / `exclude`) also accepted by `earlier`?
 * For groups (arbitrary sets) and locations (a browser may be anywhere, whatever its office).
 */
function listCovered(
  earlier: Targeting,
  later: Targeting,
  include: 'groups' | 'locations',
  exclude: 'exceptGroups' | 'exceptLocations',
): boolean {
  const exceptL = later[exclude] ?? [];
  if (!(earlier[exclude] ?? []).every((g) => exceptL.includes(g))) return false;
  const inE = earlier[include];
  if (!inE) return true;
  const inL = later[include];
  if (!inL) return false;
  return inL.filter((g) => !exceptL.includes(g)).every((g) => inE.includes(g));
}

/** Every group set and every location `later` accepts, `earlier` accepts too. */
function audienceCovered(earlier: Targeting, later: Targeting): boolean {
  return (
    listCovered(earlier, later, 'groups', 'exceptGroups') && listCovered(earlier, later, 'locations', 'exceptLocations')
  );
}

function groupsSatisfiable(t: Targeting): boolean {
  return !t.groups || t.groups.some((g) => !(t.exceptGroups ?? []).includes(g));
}

/** A rule is unreachable when an earlier, always-active rule covers all its tools and employees. */
function checkShadowing(rules: readonly RuleView[], offices: Obj, add: Add): void {
  const universe = officeUniverse(rules, offices);
  for (const later of rules) {
    if (later.tools.length === 0) continue;
    const reach = universe.filter((s) => officePart(later.targeting, s));
    if (reach.length === 0 || !groupsSatisfiable(later.targeting)) continue; // targets no one: not "shadowed"
    for (const earlier of rules) {
      if (earlier.index >= later.index) break;
      if (earlier.from !== undefined || earlier.until !== undefined) continue;
      if (earlier.raw.from !== undefined || earlier.raw.until !== undefined) continue;
      if (!covers(earlier, later)) continue;
      if (!later.tools.every((t) => earlier.tools.includes(t))) continue;
      if (!reach.every((s) => officePart(earlier.targeting, s))) continue;
      if (!audienceCovered(earlier.targeting, later.targeting)) continue;
      add(
        'error',
        ['rules', later.index],
        `unreachable ${ruleName(later)}: ${ruleName(earlier)} (${formatJsonPath(['rules', earlier.index])}) comes first and already decides every employee and tool it targets (the first matching rule wins)`,
      );
      break;
    }
  }
}

/**
 * Can `earlier` decide everything `later` would, rule kinds considered? URL-level rules are decided
 * among themselves; a model-level rule applies on top of the tool's URL-level decision, so only an
 * earlier model rule for all of its models, or a URL-level block (the tool never loads), leaves it
 * nothing to decide.
 */
function covers(earlier: RuleView, later: RuleView): boolean {
  if (!later.hasModels) return !earlier.hasModels;
  if (!earlier.hasModels) return earlier.action === 'block';
  const mine = strings(later.raw.models) ?? [];
  const theirs = strings(earlier.raw.models) ?? [];
  return mine.length > 0 && mine.every((m) => theirs.includes(m));
}

/** What `toolId` gets for subject `s` at `at`, following first-match-wins, with the reason. */
function actionFor(
  rulesNaming: readonly RuleView[],
  defaultAction: string,
  s: Subject,
  at: number,
): { action: string; by: string } {
  for (const r of rulesNaming) {
    if (r.hasModels) continue;
    if ((r.from !== undefined && at < r.from) || (r.until !== undefined && at >= r.until)) continue;
    if (ruleTargets(r.targeting, s))
      return {
        action: r.action ?? 'allow',
        by: r.id !== undefined ? `rule "${r.id}"` : formatJsonPath(['rules', r.index]),
      };
  }
  return { action: defaultAction, by: '"defaultAction"' };
}

/** An alternative offered in a notice must not itself be blocked where that notice is shown. */
function checkAlternatives(
  rules: readonly RuleView[],
  doc: Obj,
  offices: Obj,
  knownTool: (id: string) => boolean,
  now: number,
  add: Add,
): void {
  const defaultAction = str(doc.defaultAction) ?? 'allow';
  const byTool = new Map<string, RuleView[]>();
  for (const r of rules) {
    for (const t of new Set(r.tools)) {
      const list = byTool.get(t);
      if (list) list.push(r);
      else byTool.set(t, [r]);
    }
  }
  const known = Object.keys(offices).map((code) => {
    const o = isObj(offices[code]) ? (offices[code] as Obj) : {};
    return {
      office: code,
      jurisdiction: str(o.jurisdiction),
      regions: strings(o.regions) ?? [],
      groups: [] as string[],
    };
  });
  for (const r of rules) {
    const notice = isObj(r.raw.notice) ? r.raw.notice : undefined;
    const alternatives = strings(notice?.alternatives);
    if (!alternatives || alternatives.length === 0) continue;
    // Judge at the moment the rule takes effect; group-targeted rules are judged per listed group.
    const at = r.from !== undefined && r.from > now ? r.from : now;
    const groupSets = r.targeting.groups
      ? r.targeting.groups.filter((g) => !(r.targeting.exceptGroups ?? []).includes(g)).map((g) => [g])
      : [[]];
    alternatives.forEach((alt, k) => {
      if (!knownTool(alt)) return; // reported as unknown
      const blockedAt: string[] = [];
      let by = '';
      for (const office of known) {
        for (const groups of groupSets) {
          const s = { ...office, groups };
          if (!ruleTargets(r.targeting, s)) continue;
          const d = actionFor(byTool.get(alt) ?? [], defaultAction, s, at);
          if (d.action === 'block') {
            if (!blockedAt.includes(office.office)) blockedAt.push(office.office);
            by ||= d.by;
          }
        }
      }
      if (blockedAt.length > 0) {
        add(
          'error',
          ['rules', r.index, 'notice', 'alternatives', k],
          `alternative "${alt}" is itself blocked (by ${by}) for office ${blockedAt.join(', ')}, where this rule applies`,
        );
      }
    });
  }
}
