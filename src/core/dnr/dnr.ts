/**
 * Compile a decision table into declarativeNetRequest rules (pure; the background applies them in
 * one atomic `updateDynamicRules`).
 *
 * The rules must agree with `decide()` on every URL, or the network lets through what the pages
 * call blocked. decide() finds a URL's tools at the most specific listed domain (an allowed
 * `llm.bank.example` under a blocked `bank.example`), those whose `paths` cover the path, and lets
 * the first rule naming any of them decide. DNR only has priorities, so the compiler works on
 * *entries* — one per (listed domain, path prefix) — asks decide() itself what each entry gets,
 * and gives every entry a priority that grows with specificity: domain labels first, prefix
 * length second. Two entries can only both match a URL
 * when one is strictly more specific, so priorities never tie between different actions.
 *
 * Entries with the same action, priority and prefix share one rule (domains grouped in
 * `requestDomains`), so the rule count grows with the number of distinct (action, depth, prefix)
 * shapes, not with the number of domains.
 *
 * What each action installs (resource types: main_frame, sub_frame, the rest):
 *   block  → redirect to block page | redirect to the embedded notice | block
 *   warn   → redirect to warn page  | redirect to the embedded notice | (allowed)
 *   allow, monitor, acknowledged warn → allow, but only where a less specific entry restricts
 *          (otherwise nothing needs overriding and no rule is spent)
 */
import { actionsByTool, decisionForUrl, ruleIndexFor, type CompiledPolicy, type Employee } from '../decide/decide.ts';
import { CATALOGUE } from '../catalogue/catalogue.ts';
import { isPlainHost, normalizeHost, normalizePrefixes } from '../catalogue/hosts.ts';
import type { Tool } from '../policy/policy-schema.ts';
import { encodeTranslateHost, TRANSLATE_PROXY_DOMAIN } from '../catalogue/proxies.ts';
import { loggedOutRoutesFor } from '../catalogue/tenant-guard.ts';

/** Our dynamic rules live in [1, RULE_ID_MAX]; nothing else in the extension uses DNR ids. */
export const RULE_ID_MAX = 1_000_000;
/**
 * Specificity = labels × PATH_SLOTS + prefix length: a domain's 127 labels at most (DNS) stay far
 * below PRIORITY_TENANT_HEADERS. The top slot of each depth is kept for encoded paths (below),
 * prefixes of 1,022 characters and more share the one under it.
 */
const PATH_SLOTS = 1024;
/** Headers must beat our own allow rules: DNR skips modifyHeaders below a matching allow. */
export const PRIORITY_TENANT_HEADERS = 1_000_000;
/** A tenant-restricted tool's logged-out route (tenant-guard.ts) is blocked above everything else. */
export const PRIORITY_LOGGED_OUT_BLOCK = PRIORITY_TENANT_HEADERS + 1;

export type ResourceType =
  | 'main_frame'
  | 'sub_frame'
  | 'stylesheet'
  | 'script'
  | 'image'
  | 'font'
  | 'object'
  | 'xmlhttprequest'
  | 'ping'
  | 'csp_report'
  | 'media'
  | 'websocket'
  | 'webtransport'
  | 'webbundle'
  | 'other';

/**
 * Everything a page can load besides frames. `<link rel=prefetch>` and speculative loads arrive as
 * `other`, `navigator.sendBeacon` and `<a ping>` as `ping`, `<object>`/`<embed>` as `object`.
 */
export const SUBRESOURCE_TYPES: readonly ResourceType[] = [
  'stylesheet',
  'script',
  'image',
  'font',
  'object',
  'xmlhttprequest',
  'ping',
  'csp_report',
  'media',
  'websocket',
  'webtransport',
  'webbundle',
  'other',
];
const ALL_TYPES: readonly ResourceType[] = ['main_frame', 'sub_frame', ...SUBRESOURCE_TYPES];
/** Firefox rejects the whole update when it meets a type it does not know. */
export const FIREFOX_UNKNOWN_TYPES: ReadonlySet<ResourceType> = new Set(['webtransport', 'webbundle']);

export interface DnrRule {
  id: number;
  priority: number;
  action: {
    type: 'block' | 'redirect' | 'allow' | 'modifyHeaders';
    redirect?: { regexSubstitution: string };
    requestHeaders?: Array<{ header: string; operation: 'set'; value: string }>;
  };
  condition: {
    requestDomains: string[];
    regexFilter?: string;
    /** Only on the translation-proxy sub-host rules (see `proxySubhostFilter`). */
    urlFilter?: string;
    isUrlFilterCaseSensitive?: boolean;
    resourceTypes: ResourceType[];
  };
}

export interface CompileOptions {
  /** `chrome-extension://ID/block.html` — the original URL is appended as the fragment. */
  blockPageUrl: string;
  warnPageUrl: string;
  /**
   * A small web-accessible page that stands in for a blocked or warned tool embedded in another
   * site (`embedded-block.html`). Without it blocked frames are simply blocked and warned frames
   * load (the older behaviour).
   */
  embeddedPageUrl?: string;
  browser: 'chrome' | 'firefox';
  /** tool id → acknowledgement expiry (ms); only those still in the future count. */
  acknowledged?: Readonly<Record<string, number>>;
}

type Kind = 'block' | 'warn' | 'allow';
/** Kinds as numbers, in the order rules of one priority are emitted (see `build`). */
const ALLOW = 0;
const WARN = 1;
const BLOCK = 2;
const KINDS: readonly Kind[] = ['allow', 'warn', 'block'];

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Redirects need a regexFilter for regexSubstitution; `\0` is then the whole URL. */
const WHOLE_URL = '^.+$';

/**
 * Longest path prefix put into a regexFilter. Chromium compiles each regexFilter within 2 KB of
 * RE2 memory (64 literal characters with our scheme/host preamble pass, 96 do not: measured, and
 * checked for this limit by test/e2e/enforcement.spec.ts) and rejects the whole
 * `updateDynamicRules` call otherwise. Longer prefixes are cut at a segment boundary:
 * for block and warn that restricts a little more than decide() does, never less; an allow
 * entry whose prefix is too long gets no rule (see `build`), which again errs on restricting.
 */
export const MAX_FILTER_PREFIX = 48;

/**
 * A path a server may read otherwise than Chromium sends it: one that percent-encodes a letter,
 * digit or `-._~` (`/%62locked-area`), an encoded separator or end (`%2F`, `%5C`, `%3B`, `%23`,
 * `%3F`, `%00`), a matrix parameter (`;`), or a segment ending in a dot or whitespace (`/chat.`,
 * `/chat%20`). Servers read these as another path, decide() does too (hosts.ts `normalizePath`),
 * but RE2's memory budget has no room to spell every variant of a prefix. On a host with a
 * path-scoped block or warn, such a path is blocked (ordinary clients rarely send these), by a
 * rule of its own in the top slot of the host's depth: above every path of the host, below every
 * more specific host. Blocked rather than warned: a parent domain's block may be what decide()
 * falls back to. On such a host the network is therefore stricter than decide() for these
 * spellings, never weaker.
 */
export const ENCODED_PATH_FILTER =
  '^[a-z][a-z0-9+.-]*://[^/?#]+/[^?#]*(?:%(?:2[3def]|3[0-9bf]|[46][1-9a-f]|[57][0-9a]|5[cf]|7e|00)|;|(?:\\.|%(?:20|09|0[a-d]))(?:[/?#]|$)).*$';
/** Marks the group of encoded-path entries (a real prefix always starts with `/`). */
const ENCODED = '%';

/** The prefix as put into a filter: cut to MAX_FILTER_PREFIX at a segment boundary. */
export function filterPrefix(prefix: string): string {
  if (prefix.length <= MAX_FILTER_PREFIX) return prefix;
  const cut = prefix.lastIndexOf('/', MAX_FILTER_PREFIX);
  return cut > 0 ? prefix.slice(0, cut) : '';
}

/**
 * RE2 filter for one normalised path prefix, matched against the URL as the browser sends it.
 * decide() normalises paths before matching (repeated slashes merged, case folded), so the filter
 * accepts what the server would treat alike: `//blocked-area` and `/Blocked-Area` (the rule is
 * case-insensitive). Any scheme: WebSocket requests are `ws:`/`wss:` URLs.
 */
export function prefixFilter(prefix: string): string {
  const path = prefix
    .split('/')
    .filter(Boolean)
    .map((seg) => `/+${escapeRegex(seg)}`)
    .join('');
  return `^[a-z][a-z0-9+.-]*://[^/?#]+${path}(?:[/?#].*)?$`;
}

function labels(domain: string): number {
  let n = 1;
  for (let i = domain.indexOf('.'); i !== -1; i = domain.indexOf('.', i + 1)) n++;
  return n;
}

function specificity(domain: string, prefix: string): number {
  return specificityOf(labels(domain), prefix);
}

function specificityOf(labelCount: number, prefix: string): number {
  const slot = prefix === ENCODED ? PATH_SLOTS - 1 : Math.min(prefix.length, PATH_SLOTS - 2);
  return labelCount * PATH_SLOTS + slot + 1;
}

/** Every (domain, prefix) a set of tools lists, once each: domain → its prefixes ('' = whole host). */
function entriesOf(tools: Iterable<Tool>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const tool of tools) {
    const prefixes = tool.paths?.length ? normalizePrefixes(tool.paths) : [''];
    for (const raw of tool.domains) {
      const domain = normalizeHost(raw);
      if (!domain) continue;
      const list = out.get(domain);
      if (!list) out.set(domain, [...prefixes]);
      else for (const p of prefixes) if (!list.includes(p)) list.push(p);
    }
  }
  return out;
}

/** Is `prefix` (normalised) under `outer`: equal, or `outer` followed by a segment boundary? */
function underPrefix(prefix: string, outer: string): boolean {
  return outer === '' || prefix === outer || prefix.startsWith(`${outer}/`);
}

/**
 * Can one URL fall under both prefixes? A whole-host allow on `sub.hub.example` must override a
 * parent's `/chat` block as much as the parent's whole-host one: decide() asks the most specific
 * domain first, whatever the parent's paths. The encoded-path group overlaps every prefix.
 */
function prefixesOverlap(a: string, b: string): boolean {
  return a === ENCODED || b === ENCODED || underPrefix(a, b) || underPrefix(b, a);
}

class RuleBuilder {
  rules: DnrRule[] = [];
  // group key → rule, so that same-shaped entries share one requestDomains list
  // (the set of a rule's domains is only built when a second group meets the rule, which is rare)
  private groups = new Map<string, { rule: DnrRule; domains: Set<string> | null }>();
  private subhostRules = 0;
  constructor(private readonly browser: CompileOptions['browser']) {}

  /** One rule per domain for the proxy forms of its sub-hosts (see `proxySubhostFilter`), up to the cap. */
  addProxySubhosts(priority: number, action: DnrRule['action'], domains: readonly string[]): void {
    const types = this.browser === 'firefox' ? ALL_TYPES.filter((t) => !FIREFOX_UNKNOWN_TYPES.has(t)) : [...ALL_TYPES];
    for (const d of domains) {
      if (this.subhostRules >= MAX_PROXY_SUBHOST_RULES) return;
      const urlFilter = proxySubhostFilter(d);
      if (!urlFilter) continue;
      this.subhostRules++;
      this.rules.push({
        id: this.rules.length + 1,
        priority,
        action,
        condition: { requestDomains: [TRANSLATE_PROXY_DOMAIN], urlFilter, resourceTypes: [...types] },
      });
    }
  }

  /** Add a rule, or add the domains to the rule of the same key, priority and filter. */
  add(
    key: string,
    priority: number,
    action: DnrRule['action'],
    filter: string | undefined,
    resourceTypes: readonly ResourceType[],
    domains: readonly string[],
  ): void {
    if (domains.length === 0) return;
    const k = `${key}|${priority}|${filter ?? ''}`;
    const existing = this.groups.get(k);
    if (existing) {
      // Two groups meet in one rule only when cut prefixes coincide; a domain is listed once.
      existing.domains ??= new Set(existing.rule.condition.requestDomains);
      const listed = existing.domains;
      for (const d of domains) {
        if (listed.has(d)) continue;
        listed.add(d);
        existing.rule.condition.requestDomains.push(d);
      }
      return;
    }
    const types =
      this.browser === 'firefox' ? resourceTypes.filter((t) => !FIREFOX_UNKNOWN_TYPES.has(t)) : [...resourceTypes];
    const rule: DnrRule = {
      id: this.rules.length + 1,
      priority,
      action,
      condition: {
        requestDomains: [...domains],
        // Explicit: Chrome before 118 defaulted to case-sensitive filters; paths are compared case-folded.
        ...(filter ? { regexFilter: filter, isUrlFilterCaseSensitive: false } : {}),
        resourceTypes: types,
      },
    };
    this.groups.set(k, { rule, domains: null });
    this.rules.push(rule);
  }
}

/** Entries of one kind, priority and prefix: one rule (or two or three) for all their domains. */
interface Group {
  kind: Kind;
  priority: number;
  prefix: string;
  domains: string[];
}

/**
 * Proxy sub-host rules one compile may add: one rule per domain (a `urlFilter` cannot be shared),
 * so a policy of many thousand restricted domains keeps the exact proxy forms and leaves the rest to
 * decide() on the block page.
 */
export const MAX_PROXY_SUBHOST_RULES = 2_000;

/**
 * `urlFilter` for the proxy forms of a domain's sub-hosts: `www.deepseek.com` is served as
 * `www-deepseek-com.translate.goog`, which no `requestDomains` entry can name, but whose URL holds
 * `-deepseek-com.translate.goog` followed by a separator (`^`). Scoped to `translate.goog` by
 * `requestDomains`. It also catches a label such as `my--deepseek-com` (relaying `my-deepseek.com`):
 * stricter than decide(), never looser.
 */
export function proxySubhostFilter(domain: string): string | null {
  const form = encodeTranslateHost(domain);
  return form ? `-${form}^` : null;
}

/**
 * The domains and their Google Translate proxy forms (`claude.ai` → `claude-ai.translate.goog`):
 * the proxy relays the whole session, so it gets the same rule as the host it relays (decide()
 * decodes the form back, see proxies.ts). Only the exact forms: a sub-host that no tool lists
 * (`chat-claude-ai.translate.goog`) is left to decide() on the page, as DNR cannot match a label suffix.
 */
export function withProxyForms(domains: readonly string[]): string[] {
  const out = [...domains];
  for (const d of domains) {
    const form = encodeTranslateHost(d);
    if (form) out.push(form);
  }
  return out;
}

function emit(b: RuleBuilder, g: Group, opts: CompileOptions): void {
  const prefix = g.prefix === ENCODED ? '' : filterPrefix(g.prefix);
  const filter = g.prefix === ENCODED ? ENCODED_PATH_FILTER : prefix ? prefixFilter(prefix) : undefined;
  const redirectFilter = filter ?? WHOLE_URL;
  const redirect = (page: string): DnrRule['action'] => ({
    type: 'redirect',
    redirect: { regexSubstitution: `${page}#\\0` },
  });
  // A tool embedded in another site gets a small notice in place of the frame. Redirect rules
  // count against the 5,000 "unsafe" dynamic rules, but one rule covers every domain of a
  // (depth, prefix) group, so this costs a rule or two per policy, not one per domain.
  const framed = !!opts.embeddedPageUrl;
  const domains = withProxyForms(g.domains);
  if (framed && g.kind !== 'allow')
    b.add('frame', g.priority, redirect(opts.embeddedPageUrl!), redirectFilter, ['sub_frame'], domains);
  if (g.kind === 'block') {
    b.add('block-main', g.priority, redirect(opts.blockPageUrl), redirectFilter, ['main_frame'], domains);
    b.add(
      'block-sub',
      g.priority,
      { type: 'block' },
      filter,
      framed ? SUBRESOURCE_TYPES : ['sub_frame', ...SUBRESOURCE_TYPES],
      domains,
    );
  } else if (g.kind === 'warn') {
    b.add('warn-main', g.priority, redirect(opts.warnPageUrl), redirectFilter, ['main_frame'], domains);
  } else {
    b.add('allow', g.priority, { type: 'allow' }, filter, ALL_TYPES, domains);
  }
  // Sub-hosts' proxy forms, whole hosts only: blocked outright (a urlFilter rule cannot carry the
  // URL to the block page, so the page is the browser's own "blocked" page; nothing is sent), or
  // allowed where a more specific listed domain is allowed. A warned tool's sub-host forms are left
  // to the page: a warning cannot be turned into a block.
  if (g.prefix === '' && g.kind !== 'warn')
    b.addProxySubhosts(g.priority, { type: g.kind === 'block' ? 'block' : 'allow' }, g.domains);
}

/**
 * The decided entries of one compile, column by column: entry e < count is the path prefix
 * `prefix[e]` of the listed domain `domains[unit[e]]`. A unit is one distinct listed domain. The
 * columns have room for one more entry per unit (`build` appends the encoded-path entries).
 */
interface Entries {
  domains: readonly string[];
  count: number;
  unit: Int32Array;
  prefix: string[];
  priority: Int32Array;
  kind: Uint8Array;
  /**
   * The units of the listed domains that unit u's domain is or falls under, in any order (valid
   * until the next call). Only asked for allow entries.
   */
  suffixUnits(u: number): ArrayLike<number>;
}

/** Turn decided entries into rules; allow entries only where a less specific entry restricts. */
function build(entries: Entries, opts: CompileOptions): RuleBuilder {
  const { domains, unit, prefix, priority, kind } = entries;
  const count = entries.count;
  let total = count;
  // Restricted (block, warn) entries of each unit, as linked lists: first[u] → next[e] → … → -1.
  const first = new Int32Array(domains.length).fill(-1);
  const next = new Int32Array(count + domains.length);
  const restrictedUnits: number[] = [];
  for (let e = 0; e < count; e++) {
    if (kind[e] === ALLOW) continue;
    const u = unit[e]!;
    if (first[u] === -1) restrictedUnits.push(u);
    next[e] = first[u]!;
    first[u] = e;
  }
  // A host with a path-scoped restriction blocks encoded paths (see ENCODED_PATH_FILTER).
  for (const u of restrictedUnits) {
    let scoped = false;
    for (let r = first[u]!; r !== -1 && !scoped; r = next[r]!) scoped = prefix[r] !== '';
    if (!scoped) continue;
    unit[total] = u;
    prefix[total] = ENCODED;
    priority[total] = specificity(domains[u]!, ENCODED);
    kind[total++] = BLOCK;
  }
  /** Does a less specific restricted entry (this domain or a parent) cover some URL of entry e? */
  const overridesRestriction = (e: number): boolean => {
    const units = entries.suffixUnits(unit[e]!);
    for (let m = 0; m < units.length; m++) {
      for (let r = first[units[m]!]!; r !== -1; r = next[r]!) {
        if (priority[r]! < priority[e]! && prefixesOverlap(prefix[e]!, prefix[r]!)) return true;
      }
    }
    return false;
  };
  const groups = new Map<string | number, Group>();
  for (let e = 0; e < total; e++) {
    const k = kind[e]!;
    const p = prefix[e]!;
    if (k === ALLOW) {
      if (restrictedUnits.length === 0) continue;
      // Cut short, the allow rule would let through more than decide() allows: leave it out.
      if (filterPrefix(p) !== p || !overridesRestriction(e)) continue;
    }
    // Whole-host entries (nearly all of them) are grouped by a number, not a built string.
    const key = p === '' ? priority[e]! * 4 + k : `${k} ${priority[e]} ${p}`;
    const g = groups.get(key);
    if (g) g.domains.push(domains[unit[e]!]!);
    else groups.set(key, { kind: KINDS[k]!, priority: priority[e]!, prefix: p, domains: [domains[unit[e]!]!] });
  }
  const b = new RuleBuilder(opts.browser);
  // Less specific first, so rule ids read in the order DNR ranks them (and stay stable).
  const ordered = [...groups.values()].sort(
    (x, y) =>
      x.priority - y.priority ||
      KIND_ORDER[x.kind] - KIND_ORDER[y.kind] ||
      (x.prefix < y.prefix ? -1 : x.prefix > y.prefix ? 1 : 0),
  );
  for (const g of ordered) emit(b, g, opts);
  return b;
}

const KIND_ORDER: Record<Kind, number> = { allow: ALLOW, warn: WARN, block: BLOCK };

/** A tool that lists no `paths` covers the whole host: its one prefix. Never mutated. */
const WHOLE_HOST: readonly string[] = [''];

/**
 * The distinct listed domains of a compiled policy with the path prefixes listed for each ('' =
 * whole host), in the order of `compiled.tools` and of each tool's `domains`.
 */
interface Listing {
  domains: string[];
  /** Unit → key of its domain in `compiled.domains`. */
  keys: Int32Array;
  /** Key in `compiled.domains` → unit. */
  unitOfKey: Int32Array;
  prefixes: (readonly string[])[];
  /** Number of (domain, prefix) entries: the sum of the prefix lists' lengths. */
  entries: number;
}

/** Listings of compiled policies: alarms recompile the same policy often. */
const LISTINGS = new WeakMap<CompiledPolicy, Listing>();

function listingOf(compiled: CompiledPolicy): Listing {
  const cached = LISTINGS.get(compiled);
  if (cached) return cached;
  const index = compiled.domains;
  // Tool id → its candidates (two for a policy tool scoping a catalogue id's own domains differently).
  const candidatesOf = new Map<string, number[]>();
  compiled.candidates.forEach((c, i) => {
    const list = candidatesOf.get(c.toolId);
    if (list) list.push(i);
    else candidatesOf.set(c.toolId, [i]);
  });
  // Every listed domain becomes one unit, so every column has index.size rows (filling arrays of
  // known size: for 100,000 domains, pushing onto growing arrays costs three times as much).
  const unitOfKey = new Int32Array(index.size).fill(-1);
  const domains: string[] = new Array<string>(index.size);
  const keys = new Int32Array(index.size);
  const prefixes: (readonly string[])[] = new Array<readonly string[]>(index.size);
  // Units whose prefix list is still a candidate's own array (copied before the first push).
  const shared = new Uint8Array(index.size);
  let units = 0;
  let entries = 0;
  for (const c of [...compiled.tools.keys()].flatMap((toolId) => candidatesOf.get(toolId)!)) {
    const list = compiled.candidates[c]!.prefixes ?? WHOLE_HOST;
    for (let n = compiled.domainStart[c]!; n < compiled.domainStart[c + 1]!; n++) {
      const key = index.inputKeys[n]!;
      if (key < 0) continue;
      const u = unitOfKey[key]!;
      if (u === -1) {
        unitOfKey[key] = units;
        domains[units] = compiled.listedDomains[n]!;
        keys[units] = key;
        prefixes[units] = list;
        shared[units++] = 1;
        entries += list.length;
        continue;
      }
      let own = prefixes[u]!;
      if (own === list) continue;
      for (const p of list) {
        if (own.includes(p)) continue;
        if (shared[u]) {
          own = [...own];
          prefixes[u] = own;
          shared[u] = 0;
        }
        (own as string[]).push(p);
        entries++;
      }
    }
  }
  domains.length = units;
  prefixes.length = units;
  const listing = { domains, keys: keys.subarray(0, units), unitOfKey, prefixes, entries };
  LISTINGS.set(compiled, listing);
  return listing;
}

/** The DNR rules that enforce `compiled` for this employee at `now`. */
export function compileDnrRules(
  compiled: CompiledPolicy,
  employee: Employee,
  now: number,
  opts: CompileOptions,
): DnrRule[] {
  const listing = listingOf(compiled);
  const index = compiled.domains;
  const candidates = compiled.candidates;
  const { rules } = compiled.policy;
  // Kind + 1 of each candidate's decision when it alone covers an entry, computed once (0: not yet).
  const kindOf = new Int8Array(candidates.length);
  const kindOfDecision = (id: number, i: number): number => {
    if (id < 0) return ALLOW;
    const action = i < 0 ? compiled.policy.defaultAction : rules[i]!.action;
    const k = action === 'block' ? BLOCK : action === 'warn' ? WARN : ALLOW;
    return k === WARN && (opts.acknowledged?.[candidates[id]!.toolId] ?? 0) > now ? ALLOW : k;
  };
  const kindOfCandidate = (id: number): number => {
    let k = kindOf[id]! - 1;
    if (k < 0) {
      k = kindOfDecision(id, ruleIndexFor(compiled, employee, id, now));
      kindOf[id] = k + 1;
    }
    return k;
  };
  const units = listing.domains.length;
  const unit = new Int32Array(listing.entries + units);
  const prefix: string[] = new Array<string>(listing.entries + units);
  const priority = new Int32Array(listing.entries + units);
  const kind = new Uint8Array(listing.entries + units);
  let count = 0;
  for (let u = 0; u < units; u++) {
    const domain = listing.domains[u]!;
    const key = listing.keys[u]!;
    const labelCount = index.labelsOfKey(key);
    for (const p of listing.prefixes[u]!) {
      // decide() is the one source of truth for what this (domain, prefix) gets: its decision for
      // `https://domain/prefix`, where every tool covering that URL takes part (the first rule naming
      // any of them decides). Every URL this entry is the most specific DNR match for has the same
      // tools: the entries of a domain are all the prefixes any tool lists for it. The usual case
      // needs no lookup: for a plain domain (the URL's host is then the domain itself, see
      // isPlainHost) listed by a single tool without `paths`, that tool alone decides.
      const code = p === '' && isPlainHost(domain) ? index.codeOfKey(key) : -1;
      let k: number;
      if (code >= 0 && !candidates[code]!.prefixes) k = kindOfCandidate(code);
      else {
        const d = decisionForUrl(compiled, employee, `https://${domain}${p || '/'}`, now);
        k = kindOfDecision(d.candidate, d.rule);
      }
      unit[count] = u;
      prefix[count] = p;
      priority[count] = specificityOf(labelCount, p);
      kind[count++] = k;
    }
  }
  let scratch = new Int32Array(128); // a DNS name has at most 127 labels; longer names get more room
  const b = build(
    {
      domains: listing.domains,
      count,
      unit,
      prefix,
      priority,
      kind,
      suffixUnits: (u) => {
        const labelCount = index.labelsOfKey(listing.keys[u]!);
        if (labelCount > scratch.length) scratch = new Int32Array(labelCount);
        const n = index.collectKeys(listing.domains[u]!, scratch);
        for (let m = 0; m < n; m++) scratch[m] = listing.unitOfKey[scratch[m]!]!;
        return scratch.subarray(0, n);
      },
    },
    opts,
  );
  // Tenant headers: on every request to the tool's hosts wherever the tool is not blocked (as the
  // popup and the matrix say: a tool sharing its host with a blocked one counts as blocked).
  let actions: ReturnType<typeof actionsByTool> | null = null;
  for (const [toolId, tool] of compiled.tools) {
    if (!tool.tenantHeaders || Object.keys(tool.tenantHeaders).length === 0) continue;
    actions ??= actionsByTool(compiled, employee, now);
    if (actions.get(toolId)!.action === 'block') continue;
    b.add(
      `tenant:${toolId}`,
      PRIORITY_TENANT_HEADERS,
      {
        type: 'modifyHeaders',
        requestHeaders: Object.entries(tool.tenantHeaders).map(([header, value]) => ({
          header,
          operation: 'set' as const,
          value,
        })),
      },
      undefined,
      ALL_TYPES,
      [...new Set(tool.domains.map(normalizeHost).filter(Boolean))],
    );
    for (const route of loggedOutRoutesFor(Object.keys(tool.tenantHeaders))) {
      b.add('logged-out', PRIORITY_LOGGED_OUT_BLOCK, { type: 'block' }, prefixFilter(route.prefix), ALL_TYPES, [
        route.domain,
      ]);
    }
  }
  return b.rules;
}

/** With no valid policy and `failMode: closed`: block every catalogue tool. */
export function compileFailClosedRules(opts: CompileOptions): DnrRule[] {
  const listed = entriesOf(Object.values(CATALOGUE));
  const domains = [...listed.keys()];
  let size = domains.length;
  for (const prefixes of listed.values()) size += prefixes.length;
  const unit = new Int32Array(size);
  const prefix: string[] = new Array<string>(size);
  const priority = new Int32Array(size);
  const kind = new Uint8Array(size);
  let count = 0;
  domains.forEach((domain, u) => {
    for (const p of listed.get(domain)!) {
      unit[count] = u;
      prefix[count] = p;
      priority[count] = specificity(domain, p);
      kind[count++] = BLOCK;
    }
  });
  // Every entry blocks, so no allow entry ever asks for the domains above it.
  return build({ domains, count, unit, prefix, priority, kind, suffixUnits: () => [] }, opts).rules;
}
