/**
 * The worker's in-memory model of the world for one worker life (src/background/enforcement.ts
 * builds it and keeps it in step with storage), and the small questions every part asks of it.
 */
import type { CompiledPolicy, Employee } from '../core/decide/decide.ts';
import type { ExceptionsDoc } from '../core/exceptions/exceptions.ts';
import type { ManagedConfig } from '../core/config/managed-config.ts';
import { checkOffice, type OfficeProblem } from '../core/config/office-check.ts';
import type { EnforcementMode } from '../core/status/status.ts';
import type { Policy } from '../core/policy/policy-schema.ts';
import type { StoredState } from './storage.ts';
import { currentLocation } from './location-state.ts';

export interface Runtime {
  config: ManagedConfig | null;
  configErrors: string[];
  partialConfig: Partial<ManagedConfig> | null;
  state: StoredState;
  policy: Policy | null;
  compiled: CompiledPolicy | null;
  mode: EnforcementMode;
  ruleCount: number;
  /** The verified signed exceptions in force (issue 11), or null. */
  exceptions: ExceptionsDoc | null;
  /** The policy compiled as enforced (staleness, exceptions), keyed by what it was derived from. */
  enforced: { policy: Policy; exceptions: ExceptionsDoc | null; key: string; compiled: CompiledPolicy } | null;
}

/** Who the rules are for: the configured employee, or the last one known while config is missing. */
export function employeeOf(r: Runtime): Employee | null {
  if (r.config) return { office: r.config.office, groups: r.config.groups, location: currentLocation(r) };
  return r.state.lastEmployee;
}

/** Whether a policy is in force and not expired at `now` (whoever the employee is). */
export function policyCurrent(r: Runtime, now = Date.now()): boolean {
  return !!r.policy && Date.parse(r.policy.expires) > now;
}

/**
 * The employee's office is not one the policy in force defines: a configuration error, enforced as
 * with no valid policy (src/core/config/office-check.ts). Null when it is, or with nothing to check.
 */
export function officeProblemOf(r: Runtime): OfficeProblem | null {
  const employee = employeeOf(r);
  return r.policy && employee ? checkOffice(r.policy, employee.office) : null;
}

/**
 * Whether a policy is in force for this employee at `now`: current, and defining their office.
 * Everything that enforces asks this; without it the fail mode applies.
 */
export function policyValid(r: Runtime, now = Date.now()): boolean {
  return policyCurrent(r, now) && !officeProblemOf(r);
}
