/**
 * Serialised work. The worker has one update queue: install, startup, alarms, configuration
 * changes and messages all change the model through it, so two updates never interleave (reading
 * the installed rules and then updating them races otherwise: "Rule with id 1 does not have a
 * unique ID", docs/enforcement.md). Two lanes use the same helper beside it, each for a reason:
 * the audit trail's storage (recordAudit is called from inside update tasks, and waiting on the
 * update queue there would deadlock), and the notice snapshot (seconds of work for a large policy
 * that no refresh may wait for).
 */

/** A queue: each task runs after every task queued before it; a failed task does not stop the next. */
export function createQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const next = tail.then(task, task);
    tail = next.catch(() => undefined);
    return next;
  };
}

/** The worker's update queue. */
export const serial = createQueue();
