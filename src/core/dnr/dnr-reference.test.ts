/**
 * The DNR compiler against its straightforward predecessor: `referenceCompileDnrRules` below is the
 * compiler as it was before it was made fast (docs/benchmarks.md#decision-engine-npm-run-benchengine) — it normalises every listed domain again,
 * asks decide() about a URL for every (domain, prefix) and groups with string keys — kept as an
 * oracle. Its semantics follow decide(): when several tools cover a URL, decide() itself says what
 * the entry gets; and a subdomain's allow is kept wherever a parent's restriction, whatever its
 * path, could cover the same URL (`prefixesOverlap`). The fast compiler must produce exactly the
 * same rules (ids, priorities, domains and their order), on random policies and on a large
 * generated one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../catalogue/catalogue.ts';
import { actionsByTool, compilePolicy, decide, type CompiledPolicy, type Employee } from '../decide/decide.ts';
import {
  compileDnrRules,
  ENCODED_PATH_FILTER,
  filterPrefix,
  MAX_PROXY_SUBHOST_RULES,
  prefixFilter,
  PRIORITY_TENANT_HEADERS,
  type CompileOptions,
  type DnrRule,
  type ResourceType,
} from './dnr.ts';
import { normalizeHost, normalizePrefixes } from '../catalogue/hosts.ts';
import { encodeTranslateHost } from '../catalogue/proxies.ts';
import { LOGGED_OUT_ROUTES } from '../catalogue/tenant-guard.ts';
import { parsePolicy, type Policy, type PolicyInput, type Tool } from '../policy/policy-schema.ts';

// ---- the reference: src/core/dnr/dnr.ts before it was made fast, unchanged but for the function's name ----

const PATH_SLOTS = 1024;

const SUBRESOURCE_TYPES: readonly ResourceType[] = [
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
const FIREFOX_UNKNOWN_TYPES: ReadonlySet<ResourceType> = new Set(['webtransport', 'webbundle']);

type Kind = 'block' | 'warn' | 'allow';

interface Entry {
  domain: string;
  /** Normalised path prefix (`/blocked-area`), or '' for the whole host. */
  prefix: string;
  priority: number;
  kind: Kind;
}

/** Redirects need a regexFilter for regexSubstitution; `\0` is then the whole URL. */
const WHOLE_URL = '^.+$';

/** Marks the group of encoded-path entries (a real prefix always starts with `/`). */
const ENCODED = '%';

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
  private groups = new Map<string, { rule: DnrRule; domains: Set<string> }>();
  private subhostRules = 0;
  constructor(private readonly browser: CompileOptions['browser']) {}

  /** Added with the translate proxy: one urlFilter rule per domain for its sub-hosts' proxy forms, capped. */
  addProxySubhosts(priority: number, action: DnrRule['action'], domains: readonly string[]): void {
    for (const d of domains) {
      if (this.subhostRules >= MAX_PROXY_SUBHOST_RULES) return;
      const form = encodeTranslateHost(d);
      if (!form) continue;
      this.subhostRules++;
      const types =
        this.browser === 'firefox' ? ALL_TYPES.filter((t) => !FIREFOX_UNKNOWN_TYPES.has(t)) : [...ALL_TYPES];
      this.rules.push({
        id: this.rules.length + 1,
        priority,
        action,
        condition: { requestDomains: ['translate.goog'], urlFilter: `-${form}^`, resourceTypes: types },
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
      for (const d of domains) {
        if (existing.domains.has(d)) continue;
        existing.domains.add(d);
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

/** Added with the translate proxy (proxies.ts): each domain, then its proxy form where one exists. */
function withProxyForms(domains: readonly string[]): string[] {
  return [...domains, ...domains.map(encodeTranslateHost).filter((d): d is string => d !== null)];
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
  if (g.prefix === '' && g.kind !== 'warn')
    b.addProxySubhosts(g.priority, { type: g.kind === 'block' ? 'block' : 'allow' }, g.domains);
}

/** Does a less specific restricted entry (this domain or a parent) cover some URL of `e`? */
function overridesRestriction(e: Entry, restricted: ReadonlyMap<string, Entry[]>): boolean {
  for (let start = 0; ; ) {
    const list = restricted.get(start === 0 ? e.domain : e.domain.slice(start));
    if (list?.some((r) => r.priority < e.priority && prefixesOverlap(e.prefix, r.prefix))) return true;
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
    if (list.some((r) => r.prefix !== ''))
      encoded.push({ domain, prefix: ENCODED, priority: specificity(domain, ENCODED), kind: 'block' });
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
  const ordered = [...groups.values()].sort(
    (x, y) =>
      x.priority - y.priority ||
      KIND_ORDER[x.kind] - KIND_ORDER[y.kind] ||
      (x.prefix < y.prefix ? -1 : x.prefix > y.prefix ? 1 : 0),
  );
  for (const g of ordered) emit(b, g, opts);
  return b;
}

/** The listed (domain, prefix) pairs of a compiled policy: alarms recompile the same policy often. */
const ENTRIES = new WeakMap<CompiledPolicy, Map<string, string[]>>();

/**
 * What each tool covers, tool by tool: a policy tool with a catalogue id and `paths` of its own
 * covers its own domains with them and the catalogue's with the catalogue's (two candidates).
 */
function scopesOf(compiled: CompiledPolicy): Tool[] {
  return [...compiled.tools.keys()].flatMap((toolId) =>
    compiled.candidates.flatMap((c, i) =>
      c.toolId !== toolId
        ? []
        : [
            {
              ...c.tool,
              domains: compiled.listedDomains.slice(compiled.domainStart[i], compiled.domainStart[i + 1]),
              paths: c.prefixes ? [...c.prefixes] : undefined,
            },
          ],
    ),
  );
}

/** The DNR rules that enforce `compiled` for this employee at `now`. */
function referenceCompileDnrRules(
  compiled: CompiledPolicy,
  employee: Employee,
  now: number,
  opts: CompileOptions,
): DnrRule[] {
  const entries: Entry[] = [];
  let listed = ENTRIES.get(compiled);
  if (!listed) ENTRIES.set(compiled, (listed = entriesOf(scopesOf(compiled))));
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
    // Added with the logged-out routes (tenant-guard.ts): blocked where the tool carries a tenant header.
    for (const route of LOGGED_OUT_ROUTES) {
      if (!Object.keys(tool.tenantHeaders).some((h) => route.headers.includes(h.toLowerCase()))) continue;
      b.add('logged-out', PRIORITY_TENANT_HEADERS + 1, { type: 'block' }, prefixFilter(route.prefix), ALL_TYPES, [
        route.domain,
      ]);
    }
  }
  return b.rules;
}

// ---- the comparison ----

const OPTS: CompileOptions = {
  blockPageUrl: 'chrome-extension://id/block.html',
  warnPageUrl: 'chrome-extension://id/warn.html',
  browser: 'chrome',
};
const OFFICES = ['HK', 'NY', 'LDN'];
const GROUPS = ['ops', 'legal', 'it'];
const CATALOGUE_IDS = Object.keys(CATALOGUE).slice(0, 4);
const TOOL_IDS = ['claude', 'bank', 'firm-llm', 'hub', 'extra', ...CATALOGUE_IDS];
/** Overlapping on purpose: parents and children, duplicates, spellings that normalise alike or not at all. */
const DOMAINS = [
  'claude.ai',
  'www.claude.ai',
  'a.b.claude.ai',
  'bank.example',
  'llm.bank.example',
  'a.llm.bank.example',
  'example',
  'Mixed.Case.example',
  'mixed.case.example.',
  'bücher.de',
  'xn--bcher-kva.de',
  'x_y.example',
  '1.2.3.4',
  'claude.ai:443',
  '0x7f\uff0e.', // normalises to `0x7f`, which no URL has as its host (a URL reads it as IPv4)
  ...Object.values(CATALOGUE)
    .slice(0, 6)
    .flatMap((t) => t.domains.slice(0, 2)),
];
const PATHS = [
  '/chat',
  '/Chat',
  '/chat/',
  '/g/firm',
  '/api/',
  '/',
  '//api//v1',
  '/%63hat',
  '/a b',
  `/${'segment/'.repeat(8)}end`,
];
const TIMES = ['2026-11-21T00:00:00Z', '2026-11-25T00:00:00Z'];
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });

const ruleArb = fc.record(
  {
    id: fc.stringMatching(/^R[0-9]{1,3}$/),
    tools: fc.subarray(TOOL_IDS, { minLength: 1 }),
    action: fc.constantFrom('block', 'warn', 'monitor', 'allow'),
    offices: maybe(fc.subarray(OFFICES)),
    groups: maybe(fc.subarray(GROUPS)),
    exceptOffices: maybe(fc.subarray(OFFICES)),
    from: maybe(fc.constantFrom(...TIMES)),
    until: maybe(fc.constantFrom(...TIMES)),
    models: fc.option(fc.constant(['m1']), { nil: undefined, freq: 8 }),
  },
  { requiredKeys: ['id', 'tools', 'action'] },
);

const toolArb = fc.record(
  {
    name: fc.constant('T'),
    domains: fc.subarray(DOMAINS, { minLength: 1, maxLength: 4 }),
    paths: maybe(fc.subarray(PATHS, { minLength: 1, maxLength: 3 })),
    tenantHeaders: maybe(fc.constant({ 'X-Tenant': 't-1' })),
  },
  { requiredKeys: ['name', 'domains'] },
);

/**
 * Validated when the schema accepts it; otherwise (domains such as `claude.ai:443` or `1.2.3.4`,
 * which the schema refuses) compiled as is, as both compilers must still agree on what they skip.
 */
function compiledOf(input: Partial<PolicyInput>): CompiledPolicy {
  const raw = {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 1,
    issued: '2026-11-01T00:00:00Z',
    expires: '2027-01-01T00:00:00Z',
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK' },
      NY: { name: 'New York', jurisdiction: 'US' },
      LDN: { name: 'London', jurisdiction: 'GB' },
    },
    tools: {},
    rules: [],
    defaultAction: 'allow',
    ...input,
  };
  const p = parsePolicy(raw);
  return compilePolicy(p.ok ? p.policy : (raw as unknown as Policy));
}

const policyArb = fc
  .record({
    tools: fc.dictionary(fc.constantFrom(...TOOL_IDS), toolArb, { maxKeys: 6 }),
    rules: fc.array(ruleArb, { maxLength: 10 }),
    defaultAction: fc.constantFrom('allow', 'block', 'warn', 'monitor'),
  })
  .map((p) => JSON.parse(JSON.stringify(p)) as Partial<PolicyInput>);

const optsArb = fc.record({
  browser: fc.constantFrom('chrome' as const, 'firefox' as const),
  embedded: fc.boolean(),
  acknowledged: fc.dictionary(fc.constantFrom(...TOOL_IDS), fc.constantFrom(-60_000, 60_000), { maxKeys: 3 }),
});
const employeeArb = fc.record({ office: fc.constantFrom(...OFFICES, 'XX'), groups: fc.subarray(GROUPS) });
const nowArb = fc.constantFrom(...TIMES.map(Date.parse), Date.parse('2026-11-23T00:00:00Z'));

function optionsFor(
  o: { browser: 'chrome' | 'firefox'; embedded: boolean; acknowledged: Record<string, number> },
  now: number,
): CompileOptions {
  const acknowledged = Object.fromEntries(Object.entries(o.acknowledged).map(([id, delta]) => [id, now + delta]));
  return {
    ...OPTS,
    browser: o.browser,
    acknowledged,
    ...(o.embedded ? { embeddedPageUrl: 'chrome-extension://id/embedded-block.html' } : {}),
  };
}

describe('compileDnrRules equals the reference compiler', () => {
  it('on random policies, employees, instants and options, compiled once or reused (property)', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(fc.tuple(employeeArb, nowArb, optsArb), { minLength: 1, maxLength: 3 }),
        (input, cases) => {
          const fast = compiledOf(input);
          const reference = compiledOf(input);
          // The same compiled policy again and again, as the extension's alarms do: caches must not leak across employees.
          for (const [employee, now, o] of cases) {
            const opts = optionsFor(o, now);
            expect(compileDnrRules(fast, employee, now, opts)).toEqual(
              referenceCompileDnrRules(reference, employee, now, opts),
            );
          }
        },
      ),
      { numRuns: 400 },
    );
    // Every compile covers the whole built-in catalogue (over a hundred tools, each domain with its translation
    // proxy form), and the reference asks decide() for each: seconds, not milliseconds, on a busy machine.
  }, 60_000);

  it('on a large generated policy with nested domains, paths and acknowledgements', () => {
    const tools: PolicyInput['tools'] = {};
    for (let i = 0; i < 1500; i++) {
      const domains = [
        `vendor${i % 200}.example`,
        `app${i}.vendor${i % 200}.example`,
        `tool${i}.example`,
        `www.tool${i}.example`,
        `x.app${i}.vendor${i % 200}.example`,
      ];
      tools[`tool-${i}`] = {
        name: `Tool ${i}`,
        domains,
        ...(i % 7 === 0 ? { paths: ['/chat', '/api/v1'] } : {}),
        ...(i % 11 === 0 ? { tenantHeaders: { 'X-Tenant': `t${i}` } } : {}),
      };
    }
    const ids = Object.keys(tools);
    const actions = ['block', 'warn', 'monitor', 'allow'] as const;
    const rules: PolicyInput['rules'] = Array.from({ length: 300 }, (_, r) => ({
      id: `R-${r}`,
      tools: ids.filter((_, i) => (i * 31 + r * 17) % 97 === 0),
      action: actions[r % 4]!,
      ...(r % 3 === 0 ? { offices: [OFFICES[r % 3]!] } : {}),
      ...(r % 5 === 0 ? { groups: ['it'] } : {}),
    }));
    const input = { tools, rules, defaultAction: 'allow' as const };
    const fast = compiledOf(input);
    const reference = compiledOf(input);
    const now = Date.parse('2026-11-25T00:00:00Z');
    for (const [employee, opts] of [
      [{ office: 'HK', groups: ['it'] }, OPTS],
      [
        { office: 'NY' },
        { ...OPTS, browser: 'firefox' as const, acknowledged: { 'tool-3': now + 1, 'tool-8': now + 1 } },
      ],
      [
        { office: 'LDN', groups: ['ops'] },
        { ...OPTS, embeddedPageUrl: 'chrome-extension://id/embedded-block.html' },
      ],
    ] as const) {
      const got = compileDnrRules(fast, employee, now, opts);
      expect(got.length).toBeGreaterThan(3);
      expect(got).toEqual(referenceCompileDnrRules(reference, employee, now, opts));
    }
  });
});
