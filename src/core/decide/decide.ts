/**
 * The decision core (docs/enforcement.md#which-tool-which-rule): (policy, employee, url, now) → decision. Pure: no browser API.
 *
 * Semantics, in the order they apply:
 * 1. The URL must be http(s) with a domain name host (IP literals and other schemes are never a tool).
 * 2. The URL's tools are found at the most specific listed domain (`llm.bank.example` beats
 *    `bank.example`, a deliberate carve-out): every tool listing that domain whose `paths` cover
 *    the path (a tool without `paths` covers every path; if none covers it, the next less specific
 *    domain is tried). Its *primary* tool is the one with the longest matching prefix (a whole-host
 *    tool counts as length 0), then policy tools before catalogue tools, then declaration order.
 * 3. The first rule in array order that names *any* of the URL's tools, has no `models`, targets
 *    the employee and whose `from`/`until` window contains `now` decides, and the decision names
 *    that rule's tool; otherwise `defaultAction`, naming the primary tool. Two tools that claim one
 *    host and path therefore never hide a rule from each other (docs/enforcement.md).
 *
 * A policy tool with a catalogue id keeps the catalogue's domains beside its own unless it says
 * `replaceCatalogue: true`: a policy never narrows a tool by accident.
 */
import { CATALOGUE } from '../catalogue/catalogue.ts';
import {
  DomainIndex,
  hostOfUrl,
  longestPrefix,
  normalizeHost,
  normalizePath,
  normalizePrefixes,
  parseTarget,
  plainHostEnd,
  plainHostStart,
} from '../catalogue/hosts.ts';
import type { BrowserLocation } from '../location/location.ts';
import type { Action, Notice, Policy, Rule, Tool } from '../policy/policy-schema.ts';
import { decodeProxiedUrl } from '../catalogue/proxies.ts';
import { matchWhere, mergeAttributes, type SelectedBy, type ToolAttributes } from '../catalogue/tool-attributes.ts';

export interface Employee {
  office: string;
  groups?: readonly string[];
  /**
   * Where the browser is, as verified by the location service; null or absent when no location is
   * verified (the policy's `unknownLocation` then decides what `locations` rules see).
   */
  location?: BrowserLocation | null;
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
  /**
   * When the deciding rule reached the tool through `toolsWhere` (not by id): the attribute that
   * selected it ("the vendor is based in CN"). Absent or null otherwise.
   */
  selectedBy?: SelectedBy | null;
  /** When the URL is a web proxy's form of the tool's host (`claude-ai.translate.goog`): that host. */
  proxiedHost?: string | null;
}

/** Attributes of the employee that rules target, resolved from the office. */
export interface Subject {
  office: string;
  jurisdiction: string | undefined;
  regions: readonly string[];
  groups: readonly string[];
  /**
   * The names the browser's location answers to in `locations` / `exceptLocations`: its country and
   * zone. null: no verified location under `unknownLocation: "closed"` (every `locations` condition
   * matches, no `exceptLocations` excuses). Absent: the office's jurisdiction (what `"office"`
   * means), for callers that reason about offices only.
   */
  locations?: readonly string[] | null;
}

/** The targeting fields of a rule, all optional. */
export type Targeting = Pick<
  Rule,
  | 'offices'
  | 'jurisdictions'
  | 'regions'
  | 'groups'
  | 'exceptOffices'
  | 'exceptJurisdictions'
  | 'exceptRegions'
  | 'exceptGroups'
  | 'locations'
  | 'exceptLocations'
>;

/** One tool listing a domain, with its `paths` pre-normalised. */
export interface ToolCandidate {
  toolId: string;
  tool: Tool;
  /** Normalised path prefixes, or null when the tool covers the whole host. */
  prefixes: readonly string[] | null;
  fromPolicy: boolean;
}

/** A policy prepared for fast decisions: tools resolved against the catalogue and indexed by domain. */
export interface CompiledPolicy {
  policy: Policy;
  tools: ReadonlyMap<string, Tool>;
  /** normalised domain → tool ids listing it, in precedence order (policy tools first). Built on first use. */
  readonly byDomain: ReadonlyMap<string, string[]>;
  /** tool id → indices of the rules naming it (by id or through `toolsWhere`), in array order. */
  rulesByTool: ReadonlyMap<string, number[]>;
  /** Rule i → the tools it covers: its `tools`, then those its `toolsWhere` selects, once each. */
  ruleTools: readonly (readonly string[])[];
  /** Every tool in precedence order (see the module comment); a tool's id in `domains` is its index here. */
  candidates: readonly ToolCandidate[];
  /** 1 when candidate c has `paths` (its `prefixes` are not null): read on every decision, so kept dense. */
  pathScoped: Uint8Array;
  /** Listed domain → indices into `candidates`. */
  domains: DomainIndex;
  /**
   * The normalised domains of candidate c, as given to `domains` (so `domains.inputKeys[n]` is the
   * key of `listedDomains[n]`): `listedDomains[domainStart[c] .. domainStart[c + 1])`. Lets the DNR
   * compiler reuse them instead of normalising every domain again.
   */
  listedDomains: readonly string[];
  domainStart: Int32Array;
  /**
   * URL-level rules (no `models`) of candidate c, in array order: `ruleList[ruleStart[c] ..
   * ruleStart[c + 1])`. Flat typed arrays, so a decision touches few cache lines.
   */
  ruleStart: Int32Array;
  ruleList: Int32Array;
  /** `[from, until)` of rule i at `[2i, 2i+1]` in ms (±Infinity when absent): no date parsing per decision. */
  windows: Float64Array;
}

/**
 * A policy tool as enforced: with a catalogue id, its fields override the catalogue entry's but its
 * domains are added to the catalogue's (`claude.com` stays Claude), unless `replaceCatalogue`.
 */
export function resolveTool(id: string, own: Tool): Tool {
  const entry = Object.hasOwn(CATALOGUE, id) ? CATALOGUE[id]! : undefined;
  if (!entry || own.replaceCatalogue) return own;
  const domains = [...own.domains];
  const listed = new Set(own.domains.map(normalizeHost));
  for (const d of entry.domains) if (!listed.has(normalizeHost(d))) domains.push(d);
  return { ...entry, ...own, domains };
}

/** The catalogue domains a policy tool drops on purpose (`replaceCatalogue: true`), for lint and docs. */
export function droppedCatalogueDomains(id: string, own: Tool): string[] {
  const entry = Object.hasOwn(CATALOGUE, id) ? CATALOGUE[id]! : undefined;
  if (!entry || !own.replaceCatalogue) return [];
  const kept = new Set(own.domains.map(normalizeHost));
  return entry.domains.filter((d) => !kept.has(normalizeHost(d)));
}

/** Merge the policy's tools over the built-in catalogue (see `resolveTool`). */
export function resolveTools(policy: Pick<Policy, 'tools'>): Map<string, Tool> {
  const tools = new Map<string, Tool>();
  for (const id of Object.keys(CATALOGUE)) tools.set(id, CATALOGUE[id]!);
  const own = policy.tools ?? {};
  for (const id of Object.keys(own)) tools.set(id, resolveTool(id, own[id]!));
  return tools;
}

function samePaths(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a?.length ? normalizePrefixes(a).sort() : [];
  const y = b?.length ? normalizePrefixes(b).sort() : [];
  return x.length === y.length && x.every((p, i) => p === y[i]);
}

/** The attributes selectors read for a tool: a policy override keeps the catalogue's it leaves out. */
export function toolAttributes(id: string, tool: Tool): ToolAttributes {
  const listed = Object.hasOwn(CATALOGUE, id) ? CATALOGUE[id] : undefined;
  return listed && listed !== tool ? mergeAttributes(tool, listed) : tool;
}

/**
 * The tools each rule covers: the ids it names, then every tool (policy's and catalogue's, in
 * `tools` order) its `toolsWhere` selects.
 */
export function resolveRuleTools(rules: readonly Rule[], tools: ReadonlyMap<string, Tool>): string[][] {
  let attributes: Array<[string, ToolAttributes]> | null = null;
  return rules.map((rule) => {
    const ids = [...new Set(rule.tools ?? [])];
    if (!rule.toolsWhere) return ids;
    attributes ??= [...tools].map(([id, t]) => [id, toolAttributes(id, t)]);
    const named = new Set(ids);
    for (const [id, a] of attributes) if (!named.has(id) && matchWhere(rule.toolsWhere, a)) ids.push(id);
    return ids;
  });
}

/** Why rule `rule` covers tool `toolId`: null when it names the tool by id, else the deciding attribute. */
export function selectedByOf(rule: Rule, toolId: string, tool: Tool): SelectedBy | null {
  if (!rule.toolsWhere || rule.tools?.includes(toolId)) return null;
  return matchWhere(rule.toolsWhere, toolAttributes(toolId, tool));
}

/** Parse an instant once; an unparseable bound (the schema refuses them) leaves that side open. */
function instant(s: string | undefined, open: number): number {
  if (s === undefined) return open;
  const t = Date.parse(s);
  return Number.isNaN(t) ? open : t;
}

/** Index a validated policy for decisions. */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const tools = resolveTools(policy);
  const policyTools = policy.tools ?? {};
  const rulesByTool = new Map<string, number[]>();
  const windows = new Float64Array(policy.rules.length * 2);
  const ruleTools = resolveRuleTools(policy.rules, tools);
  policy.rules.forEach((rule, i) => {
    windows[2 * i] = instant(rule.from, -Infinity);
    windows[2 * i + 1] = instant(rule.until, Infinity);
    for (const t of ruleTools[i]!) {
      const list = rulesByTool.get(t);
      if (!list) rulesByTool.set(t, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    }
  });

  const candidates: ToolCandidate[] = [];
  // A policy tool with a catalogue id and `paths` of its own scopes its own domains; the catalogue's
  // domains keep the catalogue's scope (a whole host stays a whole host): two candidates.
  const splits = new Map<string, Tool>();
  for (const id of Object.keys(policyTools)) {
    const own = policyTools[id]!;
    const entry = Object.hasOwn(CATALOGUE, id) ? CATALOGUE[id]! : undefined;
    if (!entry || own.replaceCatalogue || own.paths === undefined || samePaths(own.paths, entry.paths)) continue;
    // All of them, those the policy lists too: listing `claude.ai` with `paths` must not narrow it.
    splits.set(id, { ...tools.get(id)!, domains: entry.domains, paths: entry.paths });
  }
  const candidateCount = tools.size + splits.size;
  // Sized up front (domains that do not normalise are dropped at the end): for 100,000 domains,
  // filling a `new Array(n)` costs a third of pushing onto a growing array.
  let domainCount = 0;
  for (const tool of tools.values()) domainCount += tool.domains.length;
  for (const split of splits.values()) domainCount += split.domains.length;
  const listedDomains: string[] = new Array<string>(domainCount);
  const listedIds = new Int32Array(domainCount);
  let listed = 0;
  const ruleStart = new Int32Array(candidateCount + 1);
  const domainStart = new Int32Array(candidateCount + 1);
  const pathScoped = new Uint8Array(candidateCount);
  const ruleIndices: number[] = [];
  /** `scope`: the domains and paths this candidate covers (the tool's own unless split). */
  const add = (toolId: string, tool: Tool, fromPolicy: boolean, scope: Pick<Tool, 'domains' | 'paths'> = tool) => {
    const id = candidates.length;
    const prefixes = scope.paths && scope.paths.length > 0 ? normalizePrefixes(scope.paths) : null;
    candidates.push({ toolId, tool, prefixes, fromPolicy });
    if (prefixes) pathScoped[id] = 1;
    // Model-level rules are applied by the content script, never by URL.
    for (const i of rulesByTool.get(toolId) ?? []) if (!policy.rules[i]!.models) ruleIndices.push(i);
    ruleStart[id + 1] = ruleIndices.length;
    for (const d of scope.domains) {
      const domain = normalizeHost(d);
      if (domain) {
        listedDomains[listed] = domain;
        listedIds[listed++] = id;
      }
    }
    domainStart[id + 1] = listed;
  };
  // Precedence order: policy tools first (their own order), then the catalogue's remaining tools.
  for (const id of Object.keys(policyTools)) {
    const split = splits.get(id);
    if (!split) add(id, tools.get(id)!, true);
    else add(id, tools.get(id)!, true, policyTools[id]!);
  }
  // The catalogue's part of split tools: after every policy tool, before the rest of the catalogue.
  for (const [id, split] of splits) add(id, tools.get(id)!, true, split);
  for (const id of Object.keys(CATALOGUE)) if (!Object.hasOwn(policyTools, id)) add(id, CATALOGUE[id]!, false);
  listedDomains.length = listed;
  const domains = new DomainIndex(listedDomains, listedIds);
  const ruleList = Int32Array.from(ruleIndices);

  let byDomain: Map<string, string[]> | null = null;
  return {
    policy,
    tools,
    get byDomain() {
      if (!byDomain) {
        byDomain = new Map();
        for (const [domain, ids] of domains.entries())
          byDomain.set(
            domain,
            ids.map((id) => candidates[id]!.toolId),
          );
      }
      return byDomain;
    },
    rulesByTool,
    ruleTools,
    candidates,
    pathScoped,
    domains,
    listedDomains,
    domainStart,
    ruleStart,
    ruleList,
    windows,
  };
}

/** Resolve the employee's targeting attributes from the policy's office table. */
export function subjectFor(policy: Policy, employee: Employee): Subject {
  const office = Object.hasOwn(policy.offices, employee.office) ? policy.offices[employee.office] : undefined;
  const jurisdiction = office?.jurisdiction;
  let locations: readonly string[] | null;
  if (employee.location)
    locations = employee.location.zone
      ? [employee.location.country, employee.location.zone]
      : [employee.location.country];
  else if (policy.unknownLocation === 'closed') locations = null;
  else locations = jurisdiction === undefined ? [] : [jurisdiction];
  return {
    office: employee.office,
    jurisdiction,
    regions: office?.regions ?? [],
    groups: employee.groups ?? [],
    locations,
  };
}

function anyListed(list: readonly string[], values: readonly string[]): boolean {
  for (const v of values) if (list.includes(v)) return true;
  return false;
}

/** True when the rule's targeting selects this subject (ignoring tools and time). */
export function ruleTargets(rule: Targeting, s: Subject): boolean {
  const j = s.jurisdiction === undefined ? [] : [s.jurisdiction];
  if (rule.offices && !rule.offices.includes(s.office)) return false;
  if (rule.jurisdictions && !anyListed(rule.jurisdictions, j)) return false;
  if (rule.regions && !anyListed(rule.regions, s.regions)) return false;
  if (rule.groups && !anyListed(rule.groups, s.groups)) return false;
  if (rule.exceptOffices?.includes(s.office)) return false;
  if (rule.exceptJurisdictions && anyListed(rule.exceptJurisdictions, j)) return false;
  if (rule.exceptRegions && anyListed(rule.exceptRegions, s.regions)) return false;
  if (rule.exceptGroups && anyListed(rule.exceptGroups, s.groups)) return false;
  const here = s.locations === undefined ? j : s.locations;
  // null is "no verified location" under `unknownLocation: "closed"`: restrictions hold, no excuse.
  if (rule.locations && here !== null && !anyListed(rule.locations, here)) return false;
  if (rule.exceptLocations && here !== null && anyListed(rule.exceptLocations, here)) return false;
  return true;
}

/** True when `now` lies inside the rule's `from`/`until` window (from inclusive, until exclusive). */
export function ruleActiveAt(rule: Pick<Rule, 'from' | 'until'>, now: number): boolean {
  return now >= instant(rule.from, -Infinity) && now < instant(rule.until, Infinity);
}

/**
 * Per compiled policy: the last employee seen, its subject and which rules target it (0 unknown,
 * 1 yes, 2 no), so a decision for the same employee does no targeting work twice.
 */
interface SubjectCache {
  office: string;
  groups: readonly string[];
  /** The employee's location as `locationKey` writes it. */
  location: string;
  subject: Subject;
  targets: Uint8Array;
}
const SUBJECT_CACHE = new WeakMap<CompiledPolicy, SubjectCache>();

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function locationKey(location: BrowserLocation | null | undefined): string {
  return location ? `${location.country}/${location.zone ?? ''}` : '';
}

/** The most recent (compiled, cache) pair: saves the WeakMap lookup on the hot path. */
let lastCompiled: CompiledPolicy | null = null;
let lastCache: SubjectCache | null = null;

function cacheFor(compiled: CompiledPolicy, employee: Employee): SubjectCache {
  const groups = employee.groups ?? [];
  const hit = compiled === lastCompiled ? lastCache : SUBJECT_CACHE.get(compiled);
  lastCompiled = compiled;
  lastCache = hit ?? null;
  const location = locationKey(employee.location);
  if (hit && hit.office === employee.office && sameList(hit.groups, groups) && hit.location === location) return hit;
  const entry: SubjectCache = {
    office: employee.office,
    groups: [...groups],
    location,
    subject: subjectFor(compiled.policy, {
      office: employee.office,
      groups: [...groups],
      location: employee.location ?? null,
    }),
    targets: new Uint8Array(compiled.policy.rules.length),
  };
  SUBJECT_CACHE.set(compiled, entry);
  lastCache = entry;
  return entry;
}

function firstRuleIndex(
  compiled: CompiledPolicy,
  toolId: string,
  s: Subject,
  targets: Uint8Array | null,
  now: number,
): number {
  const indices = compiled.rulesByTool.get(toolId);
  return indices ? firstRuleIn(compiled, indices, 0, indices.length, s, targets, now) : -1;
}

/** First of `indices[from..to)` whose window contains `now`, that is not model-level and that targets `s`. */
function firstRuleIn(
  compiled: CompiledPolicy,
  indices: ArrayLike<number>,
  from: number,
  to: number,
  s: Subject,
  targets: Uint8Array | null,
  now: number,
): number {
  const { rules } = compiled.policy;
  const w = compiled.windows;
  for (let k = from; k < to; k++) {
    const i = indices[k]!;
    if (now < w[2 * i]! || now >= w[2 * i + 1]!) continue;
    let t = targets ? targets[i]! : 0;
    // A cached 1 was only ever stored for a rule without `models`, so the rule is read only once.
    if (t === 0) {
      const rule = rules[i]!;
      if (rule.models) continue; // model-level rules are applied by the content script, not by URL
      t = ruleTargets(rule, s) ? 1 : 2;
      if (targets) targets[i] = t;
    }
    if (t === 1) return i;
  }
  return -1;
}

/** The first rule (array order) that names the tool, targets the subject and is active now. */
export function firstRuleFor(compiled: CompiledPolicy, toolId: string, s: Subject, now: number): Rule | null {
  const i = firstRuleIndex(compiled, toolId, s, null, now);
  return i < 0 ? null : compiled.policy.rules[i]!;
}

/**
 * Codes of the listed domains the current host falls under, least specific first: fixed scratch
 * (a DNS name has at most 127 labels), as findCandidate is synchronous and not re-entrant.
 */
const MATCHED = new Int32Array(128);
/** The current URL's normalised path, parsed at most once per lookup and only when needed. */
let currentPath: string | null = null;

/**
 * The candidates of the last `findCandidates` call: the URL's primary tool first, then the other
 * tools covering it in precedence order. Scratch, as findCandidates is synchronous.
 */
let FOUND = new Int32Array(64);
/** How many of FOUND the last `findCandidates` filled. */
let foundCount = 0;

/** Append a candidate to FOUND (a typed array: no allocation per decision on the hot path). */
function pushFound(id: number): void {
  if (foundCount === FOUND.length) {
    const grown = new Int32Array(FOUND.length * 2);
    grown.set(FOUND);
    FOUND = grown;
  }
  FOUND[foundCount++] = id;
}

/**
 * Push onto FOUND the candidates listing one domain whose `paths` cover the URL, the primary one
 * (longest matching prefix, then precedence order) first; returns how many.
 */
function pickCandidates(compiled: CompiledPolicy, code: number, url: string): number {
  if (code >= 0 && compiled.pathScoped[code] === 0) {
    pushFound(code);
    return 1;
  }
  const start = foundCount;
  let best = -1;
  let bestLength = -1;
  for (const id of compiled.domains.idsOf(code)) {
    const prefixes = compiled.candidates[id]!.prefixes;
    let length = 0;
    if (prefixes) {
      currentPath ??= normalizePath(parseTarget(url)?.path ?? '/');
      length = longestPrefix(currentPath, prefixes);
      if (length < 0) continue;
    }
    pushFound(id);
    // ids are in precedence order, so on equal length the earlier one stays.
    if (length > bestLength) {
      best = id;
      bestLength = length;
    }
  }
  if (best >= 0 && FOUND[start] !== best) {
    // Move the primary one to the front, the others keep their order.
    let k = start;
    while (FOUND[k] !== best) k++;
    FOUND.copyWithin(start + 1, start, k);
    FOUND[start] = best;
  }
  return foundCount - start;
}

/** The tool a URL belongs to (its primary tool): the most specific listed domain wins, then tool `paths` narrow it. */
export function findTool(
  compiled: CompiledPolicy,
  url: string,
): { toolId: string; tool: Tool; proxiedHost: string | null } | null {
  const id = findCandidateOrProxied(compiled, url);
  if (id < 0) return null;
  const c = compiled.candidates[id]!;
  return { toolId: c.toolId, tool: c.tool, proxiedHost: lastProxiedHost };
}

/** The relayed host of the last findCandidateOrProxied call, or null: no allocation on the hot path. */
let lastProxiedHost: string | null = null;

/**
 * The URL's candidate; a web proxy's form of a host (`claude-ai.translate.goog`) that no tool lists
 * itself is decided as the host it relays (see proxies.ts), which sets `lastProxiedHost`.
 */
function findCandidateOrProxied(compiled: CompiledPolicy, url: string): number {
  return findCandidatesOrProxied(compiled, url) > 0 ? FOUND[0]! : -1;
}

/** As findCandidates, for a web proxy's form of a host too (see findCandidateOrProxied). */
function findCandidatesOrProxied(compiled: CompiledPolicy, url: string): number {
  lastProxiedHost = null;
  const n = findCandidates(compiled, url);
  if (n > 0) return n;
  const relayed = decodeProxiedUrl(url);
  if (!relayed) return 0;
  const viaProxy = findCandidates(compiled, relayed.url);
  if (viaProxy > 0) lastProxiedHost = relayed.host;
  return viaProxy;
}

/** Every tool the URL belongs to, its primary tool first (see the module comment). */
export function findTools(compiled: CompiledPolicy, url: string): string[] {
  const n = findCandidatesOrProxied(compiled, url);
  return Array.from(FOUND.subarray(0, n), (id) => compiled.candidates[id]!.toolId);
}

/** Fill FOUND with the URL's candidates (see FOUND) and return how many; 0 when the URL is no tool. */
function findCandidates(compiled: CompiledPolicy, url: string): number {
  foundCount = 0;
  let matched: number;
  // Plain `https://host/…` URLs: the host is looked up where it sits in the URL, not sliced out.
  const end = typeof url === 'string' ? plainHostEnd(url) : -1;
  if (end >= 0) matched = compiled.domains.collectIn(url, plainHostStart(url), end, MATCHED);
  else {
    const host = hostOfUrl(url);
    if (host === null) return 0;
    matched = compiled.domains.collect(host, MATCHED);
  }
  currentPath = null;
  let found = 0;
  // Most specific listed domain first.
  for (let m = matched - 1; m >= 0 && found === 0; m--) found = pickCandidates(compiled, MATCHED[m]!, url);
  currentPath = null;
  return found;
}

/** The rule chosen by the last `chooseCandidate` (-1: `defaultAction` decides). */
let chosenRule = -1;

/**
 * Among FOUND[0 .. n): the candidate whose first rule for this employee comes first in array order
 * (its rule in `chosenRule`), or the primary one when no rule decides.
 */
function chooseCandidate(compiled: CompiledPolicy, employee: Employee, n: number, now: number): number {
  let chosen = FOUND[0]!;
  let best = ruleIndexFor(compiled, employee, chosen, now);
  for (let k = 1; k < n; k++) {
    const id = FOUND[k]!;
    const i = ruleIndexFor(compiled, employee, id, now);
    if (i >= 0 && (best < 0 || i < best)) {
      best = i;
      chosen = id;
    }
  }
  chosenRule = best;
  return chosen;
}

/**
 * What decides a URL, as indices: the candidate `decide()` names and the rule index (-1 when
 * `defaultAction` decides); candidate -1 when the URL is no tool. For the DNR compiler.
 */
export function decisionForUrl(
  compiled: CompiledPolicy,
  employee: Employee,
  url: string,
  now: number,
): { candidate: number; rule: number } {
  const n = findCandidatesOrProxied(compiled, url);
  if (n === 0) return { candidate: -1, rule: -1 };
  const candidate = chooseCandidate(compiled, employee, n, now);
  return { candidate, rule: chosenRule };
}

/**
 * Index into `compiled.policy.rules` of the rule that decides candidate `id` for this employee at
 * `now` (the first URL-level rule naming it that targets the employee and is active), or -1 when
 * `defaultAction` decides: exactly what `decide()` uses for a URL of that candidate.
 */
export function ruleIndexFor(compiled: CompiledPolicy, employee: Employee, id: number, now: number): number {
  const cache = cacheFor(compiled, employee);
  return firstRuleIn(
    compiled,
    compiled.ruleList,
    compiled.ruleStart[id]!,
    compiled.ruleStart[id + 1]!,
    cache.subject,
    cache.targets,
    now,
  );
}

/** Decide what happens to a URL for this employee at `now` (ms since epoch). Never throws. */
export function decide(compiled: CompiledPolicy, employee: Employee, url: string, now: number): Decision {
  const n = findCandidatesOrProxied(compiled, url);
  if (n === 0) return { action: 'allow', toolId: null, tool: null, rule: null, notice: null, basis: 'not-a-tool' };
  const proxiedHost = lastProxiedHost;
  const found = compiled.candidates[n === 1 ? FOUND[0]! : chooseCandidate(compiled, employee, n, now)]!;
  const i = n === 1 ? ruleIndexFor(compiled, employee, FOUND[0]!, now) : chosenRule;
  let d: Decision;
  if (i >= 0) {
    const rule = compiled.policy.rules[i]!;
    d = {
      action: rule.action,
      toolId: found.toolId,
      tool: found.tool,
      rule,
      notice: rule.notice ?? null,
      basis: 'rule',
    };
    // Only a rule with toolsWhere can have selected the tool by attribute.
    if (rule.toolsWhere) {
      const selectedBy = selectedByOf(rule, found.toolId, found.tool);
      if (selectedBy) d.selectedBy = selectedBy;
    }
  } else {
    d = {
      action: compiled.policy.defaultAction,
      toolId: found.toolId,
      tool: found.tool,
      rule: null,
      notice: null,
      basis: 'default',
    };
  }
  if (proxiedHost) d.proxiedHost = proxiedHost;
  return d;
}

let catalogueOnly: CompiledPolicy | null = null;

/** With no valid policy at all: `closed` blocks every catalogue tool, `open` allows and says so. */
export function decideWithoutPolicy(failMode: 'closed' | 'open', url: string): Decision {
  // Same host/path matching as with a policy, over the catalogue alone.
  catalogueOnly ??= compilePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 0,
    issued: '1970-01-01T00:00:00Z',
    expires: '1970-01-01T00:00:00Z',
    offices: {},
    tools: {},
    rules: [],
    defaultAction: 'allow',
    unlistedAiAction: 'allow',
    unknownLocation: 'office',
  });
  const found = findTool(catalogueOnly, url);
  if (!found) return { action: 'allow', toolId: null, tool: null, rule: null, notice: null, basis: 'not-a-tool' };
  const proxied = found.proxiedHost ? { proxiedHost: found.proxiedHost } : {};
  return failMode === 'closed'
    ? {
        action: 'block',
        toolId: found.toolId,
        tool: found.tool,
        rule: null,
        notice: null,
        basis: 'fail-closed',
        ...proxied,
      }
    : {
        action: 'allow',
        toolId: found.toolId,
        tool: found.tool,
        rule: null,
        notice: null,
        basis: 'fail-open',
        ...proxied,
      };
}

/** How restrictive an action is, for "the strictest decision among a tool's URLs". */
const STRICTNESS: Readonly<Record<Action, number>> = { allow: 0, monitor: 1, warn: 2, block: 3 };

/**
 * Tools that share a listed domain with another tool: tool id → the URLs where they meet (one per
 * path prefix any tool lists there that the tool covers) and whether the tool also has URLs of its
 * own (a domain no other tool lists). Cached per compiled policy.
 */
interface Overlap {
  urls: string[];
  alone: boolean;
}
const OVERLAPS = new WeakMap<CompiledPolicy, ReadonlyMap<string, Overlap>>();

function overlapsOf(compiled: CompiledPolicy): ReadonlyMap<string, Overlap> {
  const cached = OVERLAPS.get(compiled);
  if (cached) return cached;
  // Per tool id (a tool split in two candidates by compilePolicy gathers both).
  const all = new Map<string, Overlap & { shared: boolean }>();
  const index = compiled.domains;
  compiled.candidates.forEach((c, id) => {
    let o = all.get(c.toolId);
    if (!o) {
      o = { urls: [], alone: false, shared: false };
      all.set(c.toolId, o);
    }
    for (let n = compiled.domainStart[id]!; n < compiled.domainStart[id + 1]!; n++) {
      const key = index.inputKeys[n]!;
      const code = key < 0 ? 0 : index.codeOfKey(key);
      // A code < 0 is a domain listed by several candidates (see DomainIndex); the rest is the tool's alone.
      if (code >= 0) {
        o.alone = true;
        continue;
      }
      const domain = compiled.listedDomains[n]!;
      // The URL of a domain normalizeHost gave: skip the odd one a URL reads differently (isPlainHost).
      if (hostOfUrl(`https://${domain}/`) !== domain) continue;
      o.shared = true;
      const prefixes = new Set<string>();
      for (const other of index.idsOf(code))
        for (const p of compiled.candidates[other]!.prefixes ?? ['']) prefixes.add(p);
      for (const p of prefixes) {
        if (c.prefixes && longestPrefix(p, c.prefixes) < 0) continue;
        o.urls.push(`https://${domain}${p || '/'}`);
      }
    }
  });
  const out = new Map<string, Overlap>();
  for (const [toolId, o] of all) if (o.shared) out.set(toolId, { urls: o.urls, alone: o.alone });
  OVERLAPS.set(compiled, out);
  return out;
}

/**
 * For each tool, the action this employee gets right now on the tool's URLs (ignoring `paths`):
 * what the popup's "what may I use here", the matrix and the content-script registrations need.
 * A tool that shares a host and path with another gets the strictest decision `decide()` gives on
 * the URLs where they meet (the first rule naming either decides there), so these agree with it.
 */
export function actionsByTool(
  compiled: CompiledPolicy,
  employee: Employee,
  now: number,
): Map<string, { action: Action; rule: Rule | null }> {
  const cache = cacheFor(compiled, employee);
  const overlaps = overlapsOf(compiled);
  const out = new Map<string, { action: Action; rule: Rule | null }>();
  const decided = new Map<string, Decision>();
  for (const toolId of compiled.tools.keys()) {
    const i = firstRuleIndex(compiled, toolId, cache.subject, cache.targets, now);
    const rule = i < 0 ? null : compiled.policy.rules[i]!;
    let best: { action: Action; rule: Rule | null } | null = null;
    const overlap = overlaps.get(toolId);
    if (!overlap || overlap.alone) best = { action: rule ? rule.action : compiled.policy.defaultAction, rule };
    for (const url of overlap?.urls ?? []) {
      let d = decided.get(url);
      if (!d) {
        d = decide(compiled, employee, url, now);
        decided.set(url, d);
      }
      if (!best || STRICTNESS[d.action] > STRICTNESS[best.action]) best = { action: d.action, rule: d.rule };
    }
    out.set(toolId, best!);
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
