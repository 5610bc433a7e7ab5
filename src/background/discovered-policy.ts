/**
 * Discovery of unlisted AI tools (issue 10): which discovered hosts the enforced policy gains as
 * tools of the synthetic unlisted rule (src/core/discovery/discovery.ts `withDiscoveredTools`), memoised so
 * that decisions between two discoveries cost nothing extra. enforcement.ts `enforcedPolicy` calls it.
 */
import type { CompiledPolicy } from '../core/decide/decide.ts';
import { coveredByListed, discoveredDomain, withDiscoveredTools } from '../core/discovery/discovery.ts';
import { noticesFor } from '../core/decide/explain.ts';
import type { Policy } from '../core/policy/policy-schema.ts';
import { employeeOf, type Runtime } from './runtime.ts';

/** Whether IT leaves the detector of unlisted AI tools on (managed `discovery`, default on). */
export function discoveryEnabled(r: Runtime): boolean {
  return !!r.config && r.config.discovery !== false;
}

let discoveredMemo: { compiled: CompiledPolicy; register: unknown; domains: string[] } | null = null;

/**
 * The discovered hosts `unlistedAiAction` applies to now: none while it is `allow` or discovery is
 * off; hosts a listed tool covers (the policy may have listed them since) are left out.
 */
export function discoveredToEnforce(r: Runtime): string[] {
  if (!r.policy || !r.compiled || r.policy.unlistedAiAction === 'allow' || !discoveryEnabled(r)) return [];
  const register = r.state.discovered;
  if (discoveredMemo?.compiled === r.compiled && discoveredMemo.register === register) return discoveredMemo.domains;
  const byDomain = r.compiled.byDomain;
  // IP addresses and single-label hosts are remembered for the audit but cannot be a domain rule.
  const wanted = Object.keys(register ?? {}).filter((d) => d && discoveredDomain(d) === d && !coveredByListed(d, byDomain)).sort();
  discoveredMemo = { compiled: r.compiled, register, domains: wanted };
  return wanted;
}

let withDiscoveredMemo: { base: Policy; key: string; out: Policy } | null = null;

/** `policy` with the discovered hosts as tools of the synthetic unlisted rule (memoised per key). */
export function withDiscovered(r: Runtime, policy: Policy, domains: string[], key: string, now: number): Policy {
  if (domains.length === 0) return policy;
  if (withDiscoveredMemo?.base === policy && withDiscoveredMemo.key === key) return withDiscoveredMemo.out;
  const employee = employeeOf(r);
  // The notice's alternatives: tools this employee may use that have a link.
  const approved = r.compiled && employee ? noticesFor(r.compiled, employee, now).approved.filter((t) => t.url).slice(0, 5).map((t) => t.id) : [];
  const out = withDiscoveredTools(policy, domains, r.compiled!.byDomain, approved);
  withDiscoveredMemo = { base: policy, key, out };
  return out;
}
