/**
 * Which policy serial is in force, as the pages must say it. A verified policy is stored before
 * its network rules are installed (installing tens of thousands of rules takes measurable time),
 * so "verified" is not "in force": only the serial whose rules the browser accepted is. Pure.
 */
import type { Status } from '../status/status.ts';

/** A verified policy whose rules are not (yet) in force: being installed, or refused by the browser. */
export interface PendingPolicy {
  serial: number;
  /** Why the browser refused its rules, or null while they are still being installed. */
  error: string | null;
}

export interface InForce {
  /** The serial whose network rules are installed; null when none is. */
  serial: number | null;
  pending: PendingPolicy | null;
}

/**
 * From a Status: the serial in force, and the verified one waiting for its rules. Without a record
 * of installed rules (`applied` absent: an older worker) or outside enforcing mode (fail-closed and
 * fail-open install their own rules and say so), the verified policy is what the pages name.
 */
export function policyInForce(status: Pick<Status, 'mode' | 'policy' | 'applied'>): InForce {
  const verified = status.policy?.serial ?? null;
  const applied = status.applied;
  if (verified === null || applied === undefined || status.mode !== 'enforcing' || status.policy?.expired) {
    return { serial: verified, pending: null };
  }
  // The same serial re-installed (a rule window, an acknowledgement) is still that policy in force.
  if (applied && applied.serial === verified) return { serial: verified, pending: null };
  return { serial: applied?.serial ?? null, pending: { serial: verified, error: applied?.error ?? null } };
}
