/**
 * Compile a decision table into declarativeNetRequest rules (pure; the background applies them in
 * one atomic `updateDynamicRules`). Domains are grouped into `requestDomains` lists, so rule count
 * depends on how many distinct (action, specificity) groups exist, not on how many domains.
 *
 * Specificity: decide() lets the most specific listed domain win (an allowed `llm.bank.example`
 * under a blocked `bank.example`). DNR has no such notion, so priority grows with the number of
 * labels in the domain.
 */
import { actionsByTool, type CompiledPolicy, type Employee } from './decide.ts';
import { CATALOGUE } from './catalogue.ts';
import { hostMatchesDomain, normalizeHost } from './hosts.ts';
import type { Tool } from './policy-schema.ts';

/** Our dynamic rules live in [1, RULE_ID_MAX]; nothing else in the extension uses DNR ids. */
export const RULE_ID_MAX = 1_000_000;
/** Headers must beat our own allow rules: DNR skips modifyHeaders below a matching allow. */
export const PRIORITY_TENANT_HEADERS = 100_000;
const PRIORITY_PER_LABEL = 10;
const PRIORITY_OFFSET = { warn: 1, block: 2, acknowledged: 5, allow: 6 } as const;

export type ResourceType =
  | 'main_frame' | 'sub_frame' | 'stylesheet' | 'script' | 'image' | 'font' | 'object' | 'xmlhttprequest'
  | 'ping' | 'csp_report' | 'media' | 'websocket' | 'webtransport' | 'webbundle' | 'other';

const SUBRESOURCE_TYPES: readonly ResourceType[] = [
  'sub_frame', 'stylesheet', 'script', 'image', 'font', 'object', 'xmlhttprequest', 'ping', 'csp_report',
  'media', 'websocket', 'webtransport', 'webbundle', 'other',
];
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
    resourceTypes: ResourceType[];
  };
}

export interface CompileOptions {
  /** `chrome-extension://ID/block.html` — the original URL is appended as the fragment. */
  blockPageUrl: string;
  warnPageUrl: string;
  browser: 'chrome' | 'firefox';
  /** tool id → acknowledgement expiry (ms); only those still in the future count. */
  acknowledged?: Readonly<Record<string, number>>;
}

type Kind = keyof typeof PRIORITY_OFFSET;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** RE2 filter for a tool's `paths`, or the catch-all; matched against the whole URL. */
function urlFilter(paths: readonly string[] | undefined): string {
  if (!paths || paths.length === 0) return '^https?://.*';
  const alts = paths.map((p) => escapeRegex(p.endsWith('/') ? p.slice(0, -1) : p)).join('|');
  return `^https?://[^/]+(?:${alts})(?:[/?#].*)?$`;
}

function labels(domain: string): number {
  return domain.split('.').length;
}

class RuleBuilder {
  rules: DnrRule[] = [];
  // group key → rule, so that same-shaped entries share one requestDomains list
  private groups = new Map<string, { rule: DnrRule; domains: Set<string> }>();
  constructor(private readonly types: (t: readonly ResourceType[]) => ResourceType[]) {}

  add(key: string, priority: number, action: DnrRule['action'], filter: string | undefined, resourceTypes: readonly ResourceType[], domains: string[]): void {
    if (domains.length === 0) return;
    const k = `${key}|${priority}|${filter ?? ''}|${resourceTypes.join(',')}`;
    const existing = this.groups.get(k);
    if (existing) {
      for (const d of domains) {
        if (existing.domains.has(d)) continue;
        existing.domains.add(d);
        existing.rule.condition.requestDomains.push(d);
      }
      return;
    }
    const rule: DnrRule = {
      id: this.rules.length + 1,
      priority,
      action,
      condition: { requestDomains: [...new Set(domains)], resourceTypes: this.types(resourceTypes), ...(filter ? { regexFilter: filter } : {}) },
    };
    this.groups.set(k, { rule, domains: new Set(rule.condition.requestDomains) });
    this.rules.push(rule);
  }
}

function toolDomains(tool: Tool): string[] {
  return tool.domains.map(normalizeHost).filter(Boolean);
}

function emitTool(b: RuleBuilder, kind: Kind, tool: Tool, opts: CompileOptions): void {
  const filter = tool.paths?.length ? urlFilter(tool.paths) : undefined;
  const byDepth = new Map<number, string[]>();
  for (const d of toolDomains(tool)) byDepth.set(labels(d), [...(byDepth.get(labels(d)) ?? []), d]);
  for (const [depth, domains] of byDepth) {
    const priority = depth * PRIORITY_PER_LABEL + PRIORITY_OFFSET[kind];
    // Redirect needs a regexFilter for regexSubstitution; paths narrow it further.
    const redirectFilter = filter ?? urlFilter(undefined);
    if (kind === 'block') {
      b.add('block-main', priority, { type: 'redirect', redirect: { regexSubstitution: `${opts.blockPageUrl}#\\0` } }, redirectFilter, ['main_frame'], domains);
      b.add('block-sub', priority, { type: 'block' }, filter, SUBRESOURCE_TYPES, domains);
    } else if (kind === 'warn') {
      b.add('warn-main', priority, { type: 'redirect', redirect: { regexSubstitution: `${opts.warnPageUrl}#\\0` } }, redirectFilter, ['main_frame'], domains);
    } else {
      b.add(kind, priority, { type: 'allow' }, filter, ['main_frame', ...SUBRESOURCE_TYPES], domains);
    }
  }
}

/** Does any domain of `tool` sit under (or equal) a domain that is blocked or warned? */
function nestedUnder(tool: Tool, restricted: readonly string[]): boolean {
  return toolDomains(tool).some((d) => restricted.some((r) => hostMatchesDomain(d, r)));
}

function typeFilter(browser: CompileOptions['browser']) {
  return (types: readonly ResourceType[]) =>
    browser === 'firefox' ? types.filter((t) => !FIREFOX_UNKNOWN_TYPES.has(t)) : [...types];
}

/** The DNR rules that enforce `compiled` for this employee at `now`. */
export function compileDnrRules(compiled: CompiledPolicy, employee: Employee, now: number, opts: CompileOptions): DnrRule[] {
  const b = new RuleBuilder(typeFilter(opts.browser));
  const actions = actionsByTool(compiled, employee, now);
  const restricted: string[] = [];
  for (const [toolId, { action }] of actions) {
    if (action === 'block' || action === 'warn') restricted.push(...toolDomains(compiled.tools.get(toolId)!));
  }
  for (const [toolId, { action }] of actions) {
    const tool = compiled.tools.get(toolId)!;
    if (action === 'block') emitTool(b, 'block', tool, opts);
    else if (action === 'warn') {
      const until = opts.acknowledged?.[toolId];
      emitTool(b, until !== undefined && until > now ? 'acknowledged' : 'warn', tool, opts);
    } else if (nestedUnder(tool, restricted)) {
      emitTool(b, 'allow', tool, opts);
    }
  }
  // Tenant headers: on every request to the tool's hosts wherever the tool is not blocked.
  for (const [toolId, { action }] of actions) {
    const tool = compiled.tools.get(toolId)!;
    if (action === 'block' || !tool.tenantHeaders || Object.keys(tool.tenantHeaders).length === 0) continue;
    b.add(`tenant:${toolId}`, PRIORITY_TENANT_HEADERS, {
      type: 'modifyHeaders',
      requestHeaders: Object.entries(tool.tenantHeaders).map(([header, value]) => ({ header, operation: 'set' as const, value })),
    }, undefined, ['main_frame', ...SUBRESOURCE_TYPES], toolDomains(tool));
  }
  return b.rules;
}

/** With no valid policy and `failMode: closed`: block every catalogue tool. */
export function compileFailClosedRules(opts: CompileOptions): DnrRule[] {
  const b = new RuleBuilder(typeFilter(opts.browser));
  for (const tool of Object.values(CATALOGUE)) emitTool(b, 'block', tool, opts);
  return b.rules;
}
