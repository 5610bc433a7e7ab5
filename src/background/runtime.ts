/**
 * The worker's in-memory model for one worker life — a cache of the storage registry
 * (src/background/storage.ts) plus what was verified from it — and the questions every part asks
 * of it, answered by the pure planner (src/core/plan/plan.ts) so that all parts agree.
 */
import type { CompiledPolicy } from '../core/decide/decide.ts';
import type { ExceptionsDoc } from '../core/exceptions/exceptions.ts';
import type { ManagedConfig } from '../core/config/managed-config.ts';
import { enforcementState, type EnforcementState, type PlanInput } from '../core/plan/plan.ts';
import type { StoredState } from './storage.ts';

export interface Runtime {
  config: ManagedConfig | null;
  configErrors: string[];
  partialConfig: Partial<ManagedConfig> | null;
  state: StoredState;
  /** The verified policy in force, compiled once when loaded or verified (its `.policy` is the document). */
  policy: CompiledPolicy | null;
  /** What `policy` was verified with (record hash, keys, threshold): re-verified only when that changes. */
  policyLoadedFrom: string | null;
  ruleCount: number;
  /** The verified signed exceptions in force, or null. */
  exceptions: ExceptionsDoc | null;
}

/** What the planner needs, from the runtime. */
export function planInputOf(r: Runtime, now = Date.now()): PlanInput {
  return {
    config: r.config,
    lastEmployee: r.state.lastEmployee,
    policy: r.policy,
    payloadHash: r.state.policyRecord?.payloadHash ?? null,
    confirmedAt: r.state.lastConfirmedAt ?? r.state.policyRecord?.verifiedAt ?? null,
    exceptions: r.exceptions,
    location: r.state.location,
    discovered: r.state.discovered,
    acknowledged: r.state.acknowledged,
    now,
  };
}

/** Who, which policy, valid or not, at `now`. */
export function stateOf(r: Runtime, now = Date.now()): EnforcementState {
  return enforcementState(planInputOf(r, now));
}
