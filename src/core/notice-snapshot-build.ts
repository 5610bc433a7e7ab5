/** Building the notice snapshot (src/core/notice-snapshot.ts) in the worker, after each apply. */
import { decide, type CompiledPolicy, type Employee } from './decide.ts';
import { explainDecision } from './explain.ts';
import { hostSuffixes } from './hosts.ts';
import type { Status } from './messages.ts';
import type { NoticeSnapshot, SnapshotExplanation } from './notice-snapshot.ts';

/**
 * Build the snapshot for this employee at `now`. `compiled` is the policy as enforced (staleness,
 * exceptions, discovered tools); `explainCompiled` the one the worker explains with (alternatives,
 * office names) — the same pair handlers.ts uses.
 */
export function buildNoticeSnapshot(
  compiled: CompiledPolicy, explainCompiled: CompiledPolicy, employee: Employee, now: number, status: Status,
): NoticeSnapshot {
  const byDomain = compiled.byDomain;
  const explanations: SnapshotExplanation[] = [];
  const slot = new Map<string, number>();
  const restricted = new Map<string, number>();
  const unknown = new Set<string>();
  const pathScoped = (ids: readonly string[]) => ids.some((id) => (compiled.tools.get(id)?.paths?.length ?? 0) > 0);
  for (const [domain, ids] of byDomain) {
    if (pathScoped(ids)) {
      unknown.add(domain);
      continue;
    }
    const url = `https://${domain}/`;
    const d = decide(compiled, employee, url, now);
    if (d.action !== 'block' && d.action !== 'warn') continue;
    const key = `${d.toolId}\u0000${d.rule?.id ?? ''}\u0000${d.action}`;
    let n = slot.get(key);
    if (n === undefined) {
      const { url: _url, ...rest } = explainDecision(url, d, { compiled: explainCompiled, employee, acknowledgedUntil: null });
      n = explanations.push(rest) - 1;
      slot.set(key, n);
    }
    restricted.set(domain, n);
  }
  // An allowed (or monitored) domain nested under a listed one: a URL there must not fall through
  // to the parent's notice.
  for (const domain of byDomain.keys()) {
    if (restricted.has(domain) || unknown.has(domain)) continue;
    if (hostSuffixes(domain).slice(1).some((s) => byDomain.has(s))) unknown.add(domain);
  }
  const parts: string[] = [];
  for (const [domain, n] of restricted) parts.push(`\t${domain}=${n}`);
  for (const domain of unknown) parts.push(`\t${domain}=?`);
  return { v: 1, serial: compiled.policy.serial, payloadHash: status.policy?.payloadHash ?? '', index: `${parts.join('')}\t`, explanations, status };
}

