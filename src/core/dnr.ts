/**
 * Compile a decision table into declarativeNetRequest rules (pure; the background applies them in
 * one atomic `updateDynamicRules`).
 *
 * The rules must agree with `decide()` on every URL, or the network lets through what the pages
 * call blocked. decide() ranks the tools listing a host by specificity: the most specific listed
 * domain first (an allowed `llm.bank.example` under a blocked `bank.example`), then the longest
 * matching `paths` prefix, then precedence (policy tools before the catalogue). DNR only has
 * priorities, so the compiler works on *entries* — one per (listed domain, path prefix) — asks
 * decide() itself who wins each entry, and gives every entry a priority that grows with the same
 * specificity: domain labels first, prefix length second. Two entries can only both match a URL
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
import { decide, type CompiledPolicy, type Employee, actionsByTool } from './decide.ts';
import { CATALOGUE } from './catalogue.ts';
import { normalizeHost, normalizePrefixes } from './hosts.ts';
import type { Tool } from './policy-schema.ts';

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

export type ResourceType =
  | 'main_frame' | 'sub_frame' | 'stylesheet' | 'script' | 'image' | 'font' | 'object' | 'xmlhttprequest'
  | 'ping' | 'csp_report' | 'media' | 'websocket' | 'webtransport' | 'webbundle' | 'other';

/**
 * Everything a page can load besides frames. `<link rel=prefetch>` and speculative loads arrive as
 * `other`, `navigator.sendBeacon` and `<a ping>` as `ping`, `<object>`/`<embed>` as `object`.
 */
const SUBRESOURCE_TYPES: readonly ResourceType[] = [
  'stylesheet', 'script', 'image', 'font', 'object', 'xmlhttprequest', 'ping', 'csp_report',
  'media', 'websocket', 'webtransport', 'webbundle', 'other',
];
const ALL_TYPES: readonly ResourceType[] = ['main_frame', 'sub_frame', ...SUBRESOURCE_TYPES];
/** Firefox rejects the whole update when it meets a type it does not know. */
const FIREFOX_UNKNOWN_TYPES: ReadonlySet<ResourceType> = new Set(['webtransport', 'webbundle']);

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

interface Entry {
  domain: string;
  /** Normalised path prefix (`/blocked-area`), or '' for the whole host. */
  prefix: string;
  priority: number;
  kind: Kind;
}

function escapeRegex(s: string): string {
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
 * A path that percent-encodes a letter, digit or `-._~` (`/%62locked-area`): servers decode it,
 * decide() decodes it, but Chromium sends it as typed and RE2's memory budget has no room to
 * spell every encoded variant of a prefix. On a host with a path-scoped block or warn, such a
 * path is blocked (ordinary clients never encode these characters), by a rule of its own in the
 * top slot of the host's depth: above every path of the host, below every more specific host.
 * Blocked rather than warned: a parent domain's block may be what decide() falls back to.
 */
export const ENCODED_PATH_FILTER = '^[a-z][a-z0-9+.-]*://[^/?#]+/[^?#]*%(?:2[de]|3[0-9]|[46][1-9a-f]|[57][0-9a]|5f|7e).*$';
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
  const path = prefix.split('/').filter(Boolean).map((seg) => `/+${escapeRegex(seg)}`).join('');
  return `^[a-z][a-z0-9+.-]*://[^/?#]+${path}(?:[/?#].*)?$`;
}

function labels(domain: string): number {
  let n = 1;
  for (let i = domain.indexOf('.'); i !== -1; i = domain.indexOf('.', i + 1)) n++;
  return n;
}

function specificity(domain: string, prefix: string): number {
  const slot = prefix === ENCODED ? PATH_SLOTS - 1 : Math.min(prefix.length, PATH_SLOTS - 2);
  return labels(domain) * PATH_SLOTS + slot + 1;
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

class RuleBuilder {
  rules: DnrRule[] = [];
  // group key → rule, so that same-shaped entries share one requestDomains list
  private groups = new Map<string, { rule: DnrRule; domains: Set<string> }>();
  constructor(private readonly browser: CompileOptions['browser']) {}

  /** Add a rule, or add the domains to the rule of the same key, priority and filter. */
  add(key: string, priority: number, action: DnrRule['action'], filter: string | undefined, resourceTypes: readonly ResourceType[], domains: readonly string[]): void {
    if (domains.length === 0) return;
    const k = `${key}|${priority}|${filter ?? ''}`;
    const existing = this.groups.get(k);
    if (existing) {
      // Two groups meet in one rule only when cut prefixes coincide; a domain is listed once.
      for (const d of domains) {
        if (existing.domains.has(d)) continue;
        existing.domains.add(d);
        existing.rule.condition.requestDomains.push(d);
      }
      return;
    }
    const types = this.browser === 'firefox' ? resourceTypes.filter((t) => !FIREFOX_UNKNOWN_TYPES.has(t)) : [...resourceTypes];
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
    this.groups.set(k, { rule, domains: new Set(domains) });
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

function emit(b: RuleBuilder, g: Group, opts: CompileOptions): void {
  const prefix = g.prefix === ENCODED ? '' : filterPrefix(g.prefix);
  const filter = g.prefix === ENCODED ? ENCODED_PATH_FILTER : prefix ? prefixFilter(prefix) : undefined;
  const redirectFilter = filter ?? WHOLE_URL;
  const redirect = (page: string): DnrRule['action'] => ({ type: 'redirect', redirect: { regexSubstitution: `${page}#\\0` } });
  // A tool embedded in another site gets a small notice in place of the frame. Redirect rules
  // count against the 5,000 "unsafe" dynamic rules, but one rule covers every domain of a
  // (depth, prefix) group, so this costs a rule or two per policy, not one per domain.
  const framed = !!opts.embeddedPageUrl;
  if (framed && g.kind !== 'allow') b.add('frame', g.priority, redirect(opts.embeddedPageUrl!), redirectFilter, ['sub_frame'], g.domains);
  if (g.kind === 'block') {
    b.add('block-main', g.priority, redirect(opts.blockPageUrl), redirectFilter, ['main_frame'], g.domains);
    b.add('block-sub', g.priority, { type: 'block' }, filter, framed ? SUBRESOURCE_TYPES : ['sub_frame', ...SUBRESOURCE_TYPES], g.domains);
  } else if (g.kind === 'warn') {
    b.add('warn-main', g.priority, redirect(opts.warnPageUrl), redirectFilter, ['main_frame'], g.domains);
  } else {
    b.add('allow', g.priority, { type: 'allow' }, filter, ALL_TYPES, g.domains);
  }
}

/** Does a less specific restricted entry (this domain or a parent, a shorter prefix) cover `e`? */
function overridesRestriction(e: Entry, restricted: ReadonlyMap<string, Entry[]>): boolean {
  for (let start = 0; ; ) {
    const list = restricted.get(start === 0 ? e.domain : e.domain.slice(start));
    if (list?.some((r) => r.priority < e.priority && underPrefix(e.prefix, r.prefix))) return true;
    const dot = e.domain.indexOf('.', start);
    if (dot < 0) return false;
    start = dot + 1;
  }
}

const KIND_ORDER: Record<Kind, number> = { allow: 0, warn: 1, block: 2 };

/** Turn decided entries into rules; allow entries only where a less specific entry restricts. */
function build(entries: readonly Entry[], opts: CompileOptions): RuleBuilder {
  const restricted = new Map<string, Entry[]>();
  for (const e of entries) {
    if (e.kind === 'allow') continue;
    const list = restricted.get(e.domain);
    if (list) list.push(e);
    else restricted.set(e.domain, [e]);
  }
  const groups = new Map<string, Group>();
  const encoded: Entry[] = [];
  for (const [domain, list] of restricted) {
    if (list.some((r) => r.prefix !== '')) encoded.push({ domain, prefix: ENCODED, priority: specificity(domain, ENCODED), kind: 'block' });
  }
  for (const e of [...entries, ...encoded]) {
    if (e.kind === 'allow') {
      if (restricted.size === 0) continue;
      // Cut short, the allow rule would let through more than decide() allows: leave it out.
      if (filterPrefix(e.prefix) !== e.prefix || !overridesRestriction(e, restricted)) continue;
    }
    const k = `${e.kind} ${e.priority} ${e.prefix}`;
    const g = groups.get(k);
    if (g) g.domains.push(e.domain);
    else groups.set(k, { kind: e.kind, priority: e.priority, prefix: e.prefix, domains: [e.domain] });
  }
  const b = new RuleBuilder(opts.browser);
  // Less specific first, so rule ids read in the order DNR ranks them (and stay stable).
  const ordered = [...groups.values()].sort((x, y) => x.priority - y.priority || KIND_ORDER[x.kind] - KIND_ORDER[y.kind] || (x.prefix < y.prefix ? -1 : x.prefix > y.prefix ? 1 : 0));
  for (const g of ordered) emit(b, g, opts);
  return b;
}

/** The listed (domain, prefix) pairs of a compiled policy: alarms recompile the same policy often. */
const ENTRIES = new WeakMap<CompiledPolicy, Map<string, string[]>>();

/** The DNR rules that enforce `compiled` for this employee at `now`. */
export function compileDnrRules(compiled: CompiledPolicy, employee: Employee, now: number, opts: CompileOptions): DnrRule[] {
  const entries: Entry[] = [];
  let listed = ENTRIES.get(compiled);
  if (!listed) ENTRIES.set(compiled, (listed = entriesOf(compiled.tools.values())));
  for (const [domain, prefixes] of listed) {
    for (const prefix of prefixes) {
      // decide() is the one source of truth for who wins this (domain, prefix) and what it gets.
      const d = decide(compiled, employee, `https://${domain}${prefix || '/'}`, now);
      let kind: Kind = d.action === 'block' ? 'block' : d.action === 'warn' ? 'warn' : 'allow';
      if (kind === 'warn' && d.toolId !== null && (opts.acknowledged?.[d.toolId] ?? 0) > now) kind = 'allow';
      entries.push({ domain, prefix, priority: specificity(domain, prefix), kind });
    }
  }
  const b = build(entries, opts);
  // Tenant headers: on every request to the tool's hosts wherever the tool is not blocked.
  for (const [toolId, { action }] of actionsByTool(compiled, employee, now)) {
    const tool = compiled.tools.get(toolId)!;
    if (action === 'block' || !tool.tenantHeaders || Object.keys(tool.tenantHeaders).length === 0) continue;
    b.add(`tenant:${toolId}`, PRIORITY_TENANT_HEADERS, {
      type: 'modifyHeaders',
      requestHeaders: Object.entries(tool.tenantHeaders).map(([header, value]) => ({ header, operation: 'set' as const, value })),
    }, undefined, ALL_TYPES, [...new Set(tool.domains.map(normalizeHost).filter(Boolean))]);
  }
  return b.rules;
}

/** With no valid policy and `failMode: closed`: block every catalogue tool. */
export function compileFailClosedRules(opts: CompileOptions): DnrRule[] {
  const entries: Entry[] = [];
  for (const [domain, prefixes] of entriesOf(Object.values(CATALOGUE))) {
    for (const prefix of prefixes) entries.push({ domain, prefix, priority: specificity(domain, prefix), kind: 'block' });
  }
  return build(entries, opts).rules;
}
