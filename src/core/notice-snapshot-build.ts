/** Building the notice snapshot (src/core/notice-snapshot.ts) in the worker, after each apply. */
import { decide, type CompiledPolicy, type Employee } from './decide.ts';
import { explainDecision } from './explain.ts';
import { hostSuffixes } from './hosts.ts';
import type { Status } from './messages.ts';
import { shardOf, type NoticeSnapshotMeta, type NoticeSnapshotShard, type SnapshotExplanation } from './notice-snapshot.ts';

/** Entries per shard the builder aims at (a page reads one shard). */
const SHARD_TARGET = 200;
const MAX_SHARDS = 1024;

/**
 * Build the snapshot for this employee at `now`. `compiled` is the policy as enforced (staleness,
 * exceptions, discovered tools); `explainCompiled` the one the worker explains with (alternatives,
 * office names) — the same pair handlers.ts uses.
 */
export function buildNoticeSnapshot(
  compiled: CompiledPolicy, explainCompiled: CompiledPolicy, employee: Employee, now: number, status: Status, shardTarget = SHARD_TARGET,
): { meta: NoticeSnapshotMeta; shards: NoticeSnapshotShard[] } {
  const byDomain = compiled.byDomain;
  const explained = new Map<string, SnapshotExplanation>();
  const entries: Array<[domain: string, key: string | null]> = [];
  const pathScoped = (ids: readonly string[]) => ids.some((id) => (compiled.tools.get(id)?.paths?.length ?? 0) > 0);
  for (const [domain, ids] of byDomain) {
    if (pathScoped(ids)) {
      entries.push([domain, null]);
      continue;
    }
    const url = `https://${domain}/`;
    const d = decide(compiled, employee, url, now);
    if (d.action === 'block' || d.action === 'warn') {
      const key = `${d.toolId}\u0000${d.rule?.id ?? ''}\u0000${d.action}`;
      if (!explained.has(key)) {
        const { url: _url, ...rest } = explainDecision(url, d, { compiled: explainCompiled, employee, acknowledgedUntil: null });
        explained.set(key, rest);
      }
      entries.push([domain, key]);
    } else if (hostSuffixes(domain).slice(1).some((s) => byDomain.has(s))) {
      // Allowed (or monitored) but nested under a listed domain: a URL there must not fall through
      // to the parent's notice.
      entries.push([domain, null]);
    }
  }
  const count = Math.min(MAX_SHARDS, Math.max(1, Math.ceil(entries.length / shardTarget)));
  const parts: string[][] = Array.from({ length: count }, () => []);
  const local: Array<Map<string, number>> = Array.from({ length: count }, () => new Map());
  const shards: NoticeSnapshotShard[] = Array.from({ length: count }, () => ({ index: '', explanations: [] }));
  for (const [domain, key] of entries) {
    const i = shardOf(domain, count);
    let n: number | '?' = '?';
    if (key !== null) {
      n = local[i]!.get(key) ?? -1;
      if (n < 0) {
        n = shards[i]!.explanations.push(explained.get(key)!) - 1;
        local[i]!.set(key, n);
      }
    }
    parts[i]!.push(`\t${domain}=${n}`);
  }
  parts.forEach((p, i) => (shards[i]!.index = `${p.join('')}\t`));
  const meta: NoticeSnapshotMeta = { v: 2, serial: compiled.policy.serial, payloadHash: status.policy?.payloadHash ?? '', shards: count, status };
  return { meta, shards };
}
