/** Building the notice snapshot (src/core/decide/notice-snapshot.ts) in the worker, after each apply. */
import { decide, type CompiledPolicy, type Employee } from './decide.ts';
import { explainDecision } from './explain.ts';
import { exceptionRequestBase } from '../exceptions/exception-request.ts';
import { hostSuffixes } from '../catalogue/hosts.ts';
import type { Explanation } from './explain.ts';
import type { Status } from '../status/status.ts';
import {
  shardOf,
  type NoticeSnapshotMeta,
  type NoticeSnapshotShard,
  type SnapshotRule,
  type SnapshotTool,
} from './notice-snapshot.ts';

/** Entries per shard the builder aims at (a page reads one shard). */
const SHARD_TARGET = 200;
const MAX_SHARDS = 1024;
/**
 * No snapshot above this size: it is an optimisation, and storage.local is shared with the policy
 * and the audit queue. (2.1 MB for the 100,000-domain benchmark policy.)
 */
export const SNAPSHOT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Build the snapshot for this employee at `now`, or null when it would exceed `maxBytes`.
 * `compiled` is the policy as enforced (staleness, exceptions, discovered tools); `explainCompiled`
 * the one the worker explains with (alternatives, office names) — the same pair handlers.ts uses.
 */
export function buildNoticeSnapshot(
  compiled: CompiledPolicy,
  explainCompiled: CompiledPolicy,
  employee: Employee,
  now: number,
  status: Status,
  shardTarget = SHARD_TARGET,
  maxBytes = SNAPSHOT_MAX_BYTES,
): { meta: NoticeSnapshotMeta; shards: NoticeSnapshotShard[] } | null {
  const byDomain = compiled.byDomain;
  const rules: SnapshotRule[] = [];
  const ruleSlot = new Map<string, number>();
  const toolRefs = new Map<string, SnapshotTool>();
  let common: Pick<Explanation, 'office' | 'issuer' | 'policySerial'> | null = null;
  const entries: Array<[domain: string, tool: string | null, rule: number]> = [];
  const pathScoped = (ids: readonly string[]) => ids.some((id) => (compiled.tools.get(id)?.paths?.length ?? 0) > 0);
  for (const [domain, ids] of byDomain) {
    if (pathScoped(ids)) {
      entries.push([domain, null, -1]);
      continue;
    }
    const url = `https://${domain}/`;
    const d = decide(compiled, employee, url, now);
    if ((d.action === 'block' || d.action === 'warn') && d.toolId) {
      const key = `${d.rule?.id ?? ''}\u0000${d.action}`;
      let r = ruleSlot.get(key);
      if (r === undefined || !toolRefs.has(d.toolId)) {
        const ex = explainDecision(url, d, { compiled: explainCompiled, employee, acknowledgedUntil: null });
        common ??= { office: ex.office, issuer: ex.issuer, policySerial: ex.policySerial };
        if (r === undefined) {
          const {
            action,
            basis,
            ruleId,
            notice,
            alternatives,
            contact,
            allowForMinutes,
            requireJustification,
            location,
          } = ex;
          const base = exceptionRequestBase(d, explainCompiled.policy);
          r =
            rules.push({
              action,
              basis,
              ruleId,
              notice,
              alternatives,
              contact,
              allowForMinutes,
              requireJustification,
              exceptionRequestBase: base,
              ...(location ? { location } : {}),
            }) - 1;
          ruleSlot.set(key, r);
        }
        if (ex.tool) toolRefs.set(d.toolId, ex.selectedBy ? { ...ex.tool, selectedBy: ex.selectedBy } : ex.tool);
      }
      entries.push([domain, d.toolId, r]);
    } else if (
      hostSuffixes(domain)
        .slice(1)
        .some((s) => byDomain.has(s))
    ) {
      // Allowed (or monitored) but nested under a listed domain: a URL there must not fall through
      // to the parent's notice.
      entries.push([domain, null, -1]);
    }
  }
  const count = Math.min(MAX_SHARDS, Math.max(1, Math.ceil(entries.length / shardTarget)));
  const parts: string[][] = Array.from({ length: count }, () => []);
  const local: Array<Map<string, number>> = Array.from({ length: count }, () => new Map());
  const shards: NoticeSnapshotShard[] = Array.from({ length: count }, () => ({ index: '', tools: [] }));
  for (const [domain, toolId, r] of entries) {
    const i = shardOf(domain, count);
    let value = '?';
    if (toolId !== null) {
      let t = local[i]!.get(toolId);
      if (t === undefined) {
        t = shards[i]!.tools.push(toolRefs.get(toolId)!) - 1;
        local[i]!.set(toolId, t);
      }
      value = `${t},${r}`;
    }
    parts[i]!.push(`\t${domain}=${value}`);
  }
  parts.forEach((p, i) => {
    shards[i]!.index = `${p.join('')}\t`;
  });
  const policy = explainCompiled.policy;
  const meta: NoticeSnapshotMeta = {
    v: 3,
    serial: compiled.policy.serial,
    payloadHash: status.policy?.payloadHash ?? '',
    shards: count,
    office: common?.office ?? null,
    issuer: common?.issuer ?? policy.issuer ?? null,
    policySerial: common?.policySerial ?? policy.serial,
    rules,
    status,
  };
  let bytes = JSON.stringify(meta).length;
  for (const shard of shards) {
    bytes += shard.index.length + JSON.stringify(shard.tools).length;
    if (bytes > maxBytes) return null;
  }
  return { meta, shards };
}
