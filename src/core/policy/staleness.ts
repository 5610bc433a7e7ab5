/**
 * Stale-policy fail mode per office (docs/compliance.md#stale-policies). A policy may say how old it may get
 * (`maxStalenessHours`, counted from the last time this browser fetched or verified it successfully
 * — a `304 Not Modified` counts: the server confirmed it is current). Past that, each office does
 * what the policy asks of it in `offices.<code>.failMode`:
 *
 * - `"closed"`: the office's **restricted tools** are blocked. A tool is restricted when the last
 *   verified policy gives this employee `block` or `warn` for it at that instant (first matching
 *   rule, else `defaultAction`; `unlistedAiAction` for unknown AI tools; model-level rules alike).
 *   So `warn` becomes `block`, `block` stays, `allow` and `monitor` are unchanged: approved tools
 *   keep working, and nothing that needed a warning is reachable on stale information.
 * - `"open"` or absent: the last policy keeps being enforced as it is (fail open for staleness).
 *
 * Staleness is not expiry: once `expires` has passed there is no valid policy at all and the managed
 * the managed `failMode` decides, which is what `effectiveFailMode` then reports. Pure.
 */
import type { Policy, Rule } from './policy-schema.ts';

export interface StalenessState {
  /** True when the policy is past `maxStalenessHours` (or expired). */
  stale: boolean;
  /** ISO instant since which it is stale (or expired); null while fresh. */
  since: string | null;
  /** The instant (ms) it becomes stale, for an alarm; null when the policy sets no `maxStalenessHours`. */
  staleAt: number | null;
  /** What applies to this office while stale: the office's `failMode`, else `open`; once expired, the managed `failMode`. */
  effectiveFailMode: 'closed' | 'open';
  reason: 'fresh' | 'stale' | 'expired';
}

const HOUR_MS = 3_600_000;

/** Whether the policy in force is stale for `office` at `now`, since when, and which fail mode applies. */
export function stalenessState(
  policy: Pick<Policy, 'maxStalenessHours' | 'offices' | 'issued' | 'expires'>,
  verifiedAtOrFetchedAt: number | string | null,
  office: string | null,
  managedFailMode: 'closed' | 'open',
  now: number,
): StalenessState {
  const expires = Date.parse(policy.expires);
  const maxHours = policy.maxStalenessHours;
  let confirmed =
    typeof verifiedAtOrFetchedAt === 'string'
      ? Date.parse(verifiedAtOrFetchedAt)
      : (verifiedAtOrFetchedAt ?? Number.NaN);
  // Unknown: assume the oldest it can be, the policy's own issue date (never fresher than the truth).
  if (!Number.isFinite(confirmed)) confirmed = Date.parse(policy.issued);
  const staleAt = maxHours === undefined ? null : confirmed + maxHours * HOUR_MS;
  if (expires <= now) {
    return {
      stale: true,
      since: new Date(expires).toISOString(),
      staleAt,
      effectiveFailMode: managedFailMode,
      reason: 'expired',
    };
  }
  const officeEntry = office !== null && Object.hasOwn(policy.offices, office) ? policy.offices[office] : undefined;
  const effectiveFailMode = officeEntry?.failMode ?? 'open';
  if (staleAt !== null && now >= staleAt) {
    return { stale: true, since: new Date(staleAt).toISOString(), staleAt, effectiveFailMode, reason: 'stale' };
  }
  return { stale: false, since: null, staleAt, effectiveFailMode, reason: 'fresh' };
}

/** True when stale-closed enforcement applies (stale, not expired, office fails closed). */
export function isStaleClosed(state: StalenessState): boolean {
  return state.reason === 'stale' && state.effectiveFailMode === 'closed';
}

/**
 * The policy as a stale-closed office must enforce it: every `warn` (rules, `defaultAction`,
 * `unlistedAiAction`) becomes `block`; everything else is unchanged. Returns `policy` itself when
 * stale-closed does not apply. Compile the result for DNR rules and decisions alike.
 */
export function applyStaleness(policy: Policy, state: StalenessState): Policy {
  if (!isStaleClosed(state)) return policy;
  const rules = policy.rules.map((r): Rule => {
    if (r.action !== 'warn') return r;
    // Data controls exist only on rules that let the employee in; a block has none.
    const { dataControls: _dc, ...rest } = r;
    return { ...rest, action: 'block' };
  });
  return {
    ...policy,
    rules,
    defaultAction: policy.defaultAction === 'warn' ? 'block' : policy.defaultAction,
    unlistedAiAction: policy.unlistedAiAction === 'warn' ? 'block' : policy.unlistedAiAction,
  };
}
