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
import { hostSuffixes, normalizeHost } from './hosts.ts';
import type { Explanation, Status } from './messages.ts';

/** One (tool, rule) explanation without its URL; `index` entries point at these. */
export type SnapshotExplanation = Omit<Explanation, 'url'>;

export interface NoticeSnapshot {
  v: 1;
  /** Policy serial and payload hash it was made from, for diagnostics. */
  serial: number;
  payloadHash: string;
  /** `\t<domain>=<n>` for every entry, `n` an index into `explanations` or `?` (ask the worker). */
  index: string;
  explanations: SnapshotExplanation[];
  /** The worker's status at that moment, for the page's policy facts until the worker answers. */
  status: Status;
}

/** Where the worker keeps it in storage.local (read by the pages directly, no worker needed). */
export const NOTICE_SNAPSHOT_KEY = 'noticeSnapshot';

/**
 * The explanation the snapshot gives for `url`, or null when only the worker can say (not
 * restricted there, a path-scoped tool, an address that is not a plain http(s) host).
 */
export function explainFromSnapshot(snapshot: NoticeSnapshot | null | undefined, url: string): Explanation | null {
  if (!snapshot || snapshot.v !== 1 || typeof snapshot.index !== 'string') return null;
  let host: string;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    host = normalizeHost(u.hostname);
  } catch {
    return null;
  }
  if (!host) return null;
  for (const suffix of hostSuffixes(host)) {
    const at = snapshot.index.indexOf(`\t${suffix}=`);
    if (at < 0) continue;
    const start = at + suffix.length + 2;
    const value = snapshot.index.slice(start, snapshot.index.indexOf('\t', start));
    if (value === '?') return null;
    const ex = snapshot.explanations[Number(value)];
    return ex ? { ...ex, url } : null;
  }
  return null;
}
