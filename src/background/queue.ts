/**
 * The worker's one update queue: install, startup, alarms, configuration changes and messages all
 * change the model through it, so two updates never interleave (reading the installed rules and
 * then updating them races otherwise: "Rule with id 1 does not have a unique ID", docs/enforcement.md).
 */
let queue: Promise<unknown> = Promise.resolve();

/** Run `task` after every task queued before it; a failed task does not stop the next. */
export function serial<T>(task: () => Promise<T>): Promise<T> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
}
