/**
 * The notice snapshot: what the block and warn pages need to paint a notice before the service
 * worker answers. A worker that was asleep must first re-verify, parse and compile the policy in
 * force (about a second for a 3 MiB policy); the snapshot, written by the worker after each apply,
 * lets the page show the same explanation from storage at once, and the worker's own answer
 * replaces it when it arrives (with what only the worker knows: acknowledgements, exceptions,
 * staleness, and the audit event).
 *
 * Exactness: an entry is written only where one answer holds for every URL that reaches it —
 * `index` holds each listed domain whose whole-host decision is block or warn, and marks `?` the
 * listed domains for which the snapshot cannot know (a tool with `paths` lists it, or it is allowed
 * but nested under another listed domain, so a parent's notice must not be shown for it). Anything
 * else is left to the worker. A property test checks explainFromSnapshot against decide().
 *
 * This file is what the pages bundle (no decision engine, no catalogue); the worker builds the
 * snapshot with notice-snapshot-build.ts.
 */
import { hostOfUrl, hostSuffixes } from '../catalogue/hosts.ts';
import type { Explanation, ToolRef } from './explain.ts';
import type { Status } from '../status/status.ts';
import type { SelectedBy } from '../catalogue/tool-attributes.ts';

/** A tool as a shard keeps it: its deciding rule reached it by attribute when `selectedBy` is set. */
export type SnapshotTool = ToolRef & { selectedBy?: SelectedBy };
import { exceptionRequestHref } from '../exceptions/exception-request.ts';

/** What an explanation owes to its rule (or the policy default) and action, shared by every tool. */
export type SnapshotRule = Pick<
  Explanation,
  | 'action'
  | 'basis'
  | 'ruleId'
  | 'notice'
  | 'alternatives'
  | 'contact'
  | 'allowForMinutes'
  | 'requireJustification'
  | 'location'
> & {
  /** Where to request an exception, before the tool, rule and office are added (exception-request.ts). */
  exceptionRequestBase?: string | null;
};

/** The snapshot's head, at NOTICE_SNAPSHOT_KEY: read first. */
export interface NoticeSnapshotMeta {
  v: 3;
  /** Policy serial and payload hash it was made from, for diagnostics. */
  serial: number;
  payloadHash: string;
  /** How many shards (at `${NOTICE_SNAPSHOT_KEY}.${i}`) the entries are spread over. */
  shards: number;
  /** What every explanation shares. */
  office: Explanation['office'];
  issuer: string | null;
  policySerial: number | null;
  /** Rule parts, once each; shard entries point at them. */
  rules: SnapshotRule[];
  /** The worker's status at that moment, for the page's policy facts until the worker answers. */
  status: Status;
}

/**
 * One shard: the entries of the domains whose last two labels hash to it — every suffix of a host
 * a listed domain could be (two labels or more) lands in the host's own shard, so a page reads one
 * shard of a 100,000-domain policy, not the whole of it.
 */
export interface NoticeSnapshotShard {
  /** `\t<domain>=<tool>,<rule>` for every entry (`tools` and head `rules` indices), or `=?` (ask the worker). */
  index: string;
  tools: SnapshotTool[];
}

/** Where the worker keeps it in storage.local (read by the pages directly, no worker needed). */
export const NOTICE_SNAPSHOT_KEY = 'noticeSnapshot';
export const shardKey = (i: number) => `${NOTICE_SNAPSHOT_KEY}.${i}`;

/** The shard of a (normalised) host or domain: FNV-1a of its last two labels. */
export function shardOf(host: string, shards: number): number {
  const dot = host.lastIndexOf('.', host.lastIndexOf('.') - 1);
  const tail = dot < 0 ? host : host.slice(dot + 1);
  let h = 0x811c9dc5;
  for (let i = 0; i < tail.length; i++) h = Math.imul(h ^ tail.charCodeAt(i), 0x01000193);
  return (h >>> 0) % Math.max(1, shards);
}

/**
 * The explanation the snapshot gives for `url` from its head and the shard of its host, or null
 * when only the worker can say (not restricted there, a path-scoped tool, an address that is not a
 * plain http(s) host). A suffix kept in another shard (a single-label domain) is simply not found:
 * null, never a wrong answer.
 */
export function explainFromSnapshot(
  meta: NoticeSnapshotMeta | null | undefined,
  shard: NoticeSnapshotShard | null | undefined,
  url: string,
): Explanation | null {
  if (
    meta?.v !== 3 ||
    !Array.isArray(meta.rules) ||
    !shard ||
    typeof shard.index !== 'string' ||
    !Array.isArray(shard.tools)
  )
    return null;
  // The same host decide() matches on (hosts.ts hostOfUrl): http(s), a domain name, normalised.
  const host = hostOfUrl(url);
  if (!host) return null;
  for (const suffix of hostSuffixes(host)) {
    const at = shard.index.indexOf(`\t${suffix}=`);
    if (at < 0) continue;
    const start = at + suffix.length + 2;
    const value = shard.index.slice(start, shard.index.indexOf('\t', start));
    if (value === '?') return null;
    const [t, r] = value.split(',').map(Number);
    const entry = shard.tools[t!];
    const rule = meta.rules[r!];
    if (!entry || !rule) return null;
    const { selectedBy, ...tool } = entry;
    return {
      url,
      action: rule.action,
      basis: rule.basis,
      tool,
      ruleId: rule.ruleId,
      notice: rule.notice,
      alternatives: rule.alternatives,
      office: meta.office,
      contact: rule.contact,
      issuer: meta.issuer,
      policySerial: meta.policySerial,
      acknowledgedUntil: null,
      allowForMinutes: rule.allowForMinutes,
      requireJustification: rule.requireJustification,
      // A tool has one deciding rule for this employee, so the attribute that selected it is the tool's.
      ...(selectedBy ? { selectedBy } : {}),
      exceptionRequest: rule.ruleId
        ? exceptionRequestHref(rule.exceptionRequestBase, {
            tool: tool.id,
            rule: rule.ruleId,
            office: meta.office?.code ?? null,
          })
        : null,
      ...(rule.location ? { location: rule.location } : {}),
    };
  }
  return null;
}
