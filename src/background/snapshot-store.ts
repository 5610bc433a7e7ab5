/**
 * The notice snapshot: what the block and warn pages paint from before a sleeping worker has
 * re-verified the policy (src/core/decide/notice-snapshot.ts) — a small head and the shards a page
 * picks one of. Written last in each apply and beside the update queue, never delaying enforcement:
 * for a 100,000-domain policy it is seconds of work and megabytes of storage, so the shards are
 * rebuilt only when the plan's decisions can have changed (`plan.snapshotKey`); the head (status)
 * is rewritten when it changed. Removed when no policy is in force (the pages then wait for the worker).
 */
import { browser } from '../platform/browser.ts';
import type { Status } from '../core/status/status.ts';
import type { Plan } from '../core/plan/plan.ts';
import { NOTICE_SNAPSHOT_KEY, shardKey, type NoticeSnapshotMeta } from '../core/decide/notice-snapshot.ts';
import { buildNoticeSnapshot } from '../core/decide/notice-snapshot-build.ts';
import { createQueue } from './queue.ts';

const lane = createQueue();
let written: Promise<void> = Promise.resolve();
let generation = 0;

/** Write the snapshot for `plan` after the writes before it; one that a later plan superseded is skipped. */
export function scheduleNoticeSnapshot(plan: Plan, status: Promise<Status>): void {
  const mine = ++generation;
  // The status is taken now, with the plan: the write describes one state even if it runs later.
  status.catch(() => undefined);
  written = lane(async () => {
    if (mine === generation) await writeNoticeSnapshot(plan, status, Date.now());
  }).catch((err: unknown) => console.error('[snapshot] could not write the notice snapshot', err));
}

/** Resolves when the notice snapshots scheduled so far are written (for tests and diagnostics). */
export function noticeSnapshotWritten(): Promise<void> {
  return written;
}

/** What the stored snapshot was built from, and its head as written (both per worker life). */
let builtFrom = '';
let writtenHead = '';
/** Shards of the snapshot in storage (unknown in a new worker life until the head is read). */
let storedShards: number | null = null;

async function removeFrom(count: number, head: boolean): Promise<void> {
  // Callers read the stored head first (see below), so an unknown count is only ever none stored.
  const shards = storedShards ?? 0;
  if (head && (writtenHead !== '' || shards > 0)) await browser.storage.local.remove(NOTICE_SNAPSHOT_KEY);
  const stale = Array.from({ length: Math.max(0, shards - count) }, (_, i) => shardKey(count + i));
  if (stale.length) await browser.storage.local.remove(stale);
  storedShards = count;
}

async function writeNoticeSnapshot(plan: Plan, status: Promise<Status>, now: number): Promise<void> {
  if (storedShards === null) {
    const head = (await browser.storage.local.get(NOTICE_SNAPSHOT_KEY))[NOTICE_SNAPSHOT_KEY] as
      | Partial<NoticeSnapshotMeta>
      | undefined;
    storedShards =
      typeof head?.shards === 'number' && Number.isInteger(head.shards) && head.shards >= 0 ? head.shards : 0;
  }
  const { enforced, signed, employee } = plan;
  if (!plan.snapshotKey || !enforced || !signed || !employee) {
    await removeFrom(0, true);
    builtFrom = writtenHead = '';
    return;
  }
  const current: Status = { ...(await status), audit: { queued: 0, lastDelivery: null } };
  if (plan.snapshotKey !== builtFrom) {
    const built = buildNoticeSnapshot(enforced.compiled, signed, employee, now, current);
    builtFrom = plan.snapshotKey;
    if (!built) {
      // Too large to be worth its storage: the pages wait for the worker, as before.
      await removeFrom(0, true);
      writtenHead = '';
      return;
    }
    // In batches, so the worker answers messages between them.
    for (let i = 0; i < built.shards.length; i += 64) {
      await browser.storage.local.set(
        Object.fromEntries(built.shards.slice(i, i + 64).map((shard, j) => [shardKey(i + j), shard])),
      );
    }
    // The head last: a page never finds a head whose shards are not written yet.
    writtenHead = JSON.stringify(built.meta);
    await browser.storage.local.set({ [NOTICE_SNAPSHOT_KEY]: built.meta });
    await removeFrom(built.meta.shards, false);
    return;
  }
  if (writtenHead === '') return;
  const head: NoticeSnapshotMeta = { ...(JSON.parse(writtenHead) as NoticeSnapshotMeta), status: current };
  const text = JSON.stringify(head);
  if (text === writtenHead) return;
  writtenHead = text;
  await browser.storage.local.set({ [NOTICE_SNAPSHOT_KEY]: head });
}
