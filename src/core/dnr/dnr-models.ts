/**
 * Network rules for model-level blocks (docs/beyond-domains.md#model-level-rules), where a URL can tell the model: a `block` rule
 * naming a model whose `match` has a query parameter (`{"model": "o3"}`) or path prefixes
 * (`/v1beta/models/gemini-2.5-pro`) also stops the requests a page makes for that model — API
 * calls, streams, frames — before they leave the browser. Pure, like src/core/dnr/dnr.ts.
 *
 * The vendor's page itself (main frame) is not blocked: the overlay covers it and the rest of the
 * vendor stays usable. Limits: a model recognised only by the picker's text has no
 * network rule (the request does not say which model — typically it is in the POST body, which
 * DNR cannot read); a query with several parameters is matched by the overlay only; percent-encoded
 * spellings of the parameter or path are caught by the overlay (it decodes), not by these rules.
 */
import { ruleActiveAt, ruleTargets, subjectFor, type CompiledPolicy, type Employee } from '../decide/decide.ts';
import {
  escapeRegex,
  filterPrefix,
  FIREFOX_UNKNOWN_TYPES,
  SUBRESOURCE_TYPES,
  type DnrRule,
  type ResourceType,
} from './dnr.ts';
import { normalizeHost } from '../catalogue/hosts.ts';

/** Above every rule of compileDnrRules (tenant headers included): a model block must win over an allowed tool. */
export const PRIORITY_MODEL_BLOCK = 1_000_001;

/** Every request type but the vendor's own page (main_frame), which shows the overlay. */
const MODEL_TYPES: readonly ResourceType[] = ['sub_frame', ...SUBRESOURCE_TYPES];
/** Longest query value put into a filter (RE2's 2 KB per filter, as MAX_FILTER_PREFIX for paths). */
const MAX_QUERY_VALUE = 48;

/** `?param=valuePrefix` anywhere in the query (parameter order is free; the value is a prefix). */
export function queryFilter(param: string, valuePrefix: string): string {
  return `^[^?#]*\\?(?:[^#]*&)?${escapeRegex(param)}=${escapeRegex(valuePrefix.slice(0, MAX_QUERY_VALUE))}`;
}

/** A path prefix as modelsInUse matches it (`startsWith`, not only at a segment boundary); `//` merged. */
export function modelPathFilter(prefix: string): string | null {
  const p = filterPrefix(prefix.toLowerCase());
  const segments = p.split('/');
  const last = segments.pop() ?? '';
  const path = `${segments
    .filter(Boolean)
    .map((s) => `/+${escapeRegex(s)}`)
    .join('')}/+${escapeRegex(last)}`;
  return p.startsWith('/') && p.length > 1 ? `^[a-z][a-z0-9+.-]*://[^/?#]+${path}` : null;
}

/**
 * The extra rules for this employee at `now`: for each tool, each model whose first model-level
 * rule (policy order, targeting, window) is a `block`, one rule per URL marker. `firstId` is the
 * first free rule id. Tools whose URL-level decision is already `block` need none.
 */
export function compileModelDnrRules(
  compiled: CompiledPolicy,
  employee: Employee,
  now: number,
  firstId: number,
  opts: { browser?: 'chrome' | 'firefox'; blockedTools?: ReadonlySet<string> } = {},
): DnrRule[] {
  const subject = subjectFor(compiled.policy, employee);
  const types =
    opts.browser === 'firefox' ? MODEL_TYPES.filter((t) => !FIREFOX_UNKNOWN_TYPES.has(t)) : [...MODEL_TYPES];
  const decided = new Map<string, 'block' | 'other'>(); // "tool\u0000model" → its first rule's verdict
  for (const [i, rule] of compiled.policy.rules.entries()) {
    if (!rule.models || !ruleActiveAt(rule, now) || !ruleTargets(rule, subject)) continue;
    for (const toolId of compiled.ruleTools[i]!) {
      for (const model of rule.models) {
        const key = `${toolId}\u0000${model}`;
        if (!decided.has(key)) decided.set(key, rule.action === 'block' ? 'block' : 'other');
      }
    }
  }
  const out: DnrRule[] = [];
  const seen = new Set<string>();
  for (const [key, verdict] of decided) {
    if (verdict !== 'block') continue;
    const [toolId, model] = key.split('\u0000') as [string, string];
    if (opts.blockedTools?.has(toolId)) continue;
    const tool = compiled.tools.get(toolId);
    const match = tool?.models?.[model]?.match;
    if (!tool || !match) continue;
    const domains = [...new Set(tool.domains.map(normalizeHost).filter(Boolean))].sort();
    if (domains.length === 0) continue;
    const filters: string[] = [];
    const query = Object.entries(match.query ?? {});
    if (query.length === 1 && query[0]![0] && query[0]![1]) filters.push(queryFilter(query[0]![0], query[0]![1]));
    for (const p of match.pathPrefixes ?? []) {
      const f = modelPathFilter(p);
      if (f) filters.push(f);
    }
    for (const regexFilter of filters) {
      const dedupe = `${domains.join(',')} ${regexFilter}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      out.push({
        id: firstId + out.length,
        priority: PRIORITY_MODEL_BLOCK,
        action: { type: 'block' },
        condition: { requestDomains: domains, regexFilter, resourceTypes: [...types] },
      });
    }
  }
  return out;
}
