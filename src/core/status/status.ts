/**
 * The enforcement status: what the worker reports about itself to the popup, the notice pages and
 * the help-desk details (mode, policy in force, last fetch and refusal, rules installed, audit
 * queue, exceptions, location). Plain data, so pure code such as policy-in-force.ts and
 * notice-snapshot.ts can read it.
 */
import type { ManagedConfig } from '../config/managed-config.ts';
import type { OfficeProblem } from '../config/office-check.ts';
import type { LocationStatus } from '../location/location.ts';
import type { RefusalCode } from '../policy/verify.ts';

/** What the extension is doing right now. */
export type EnforcementMode =
  | 'enforcing' // a verified, unexpired policy is in force
  | 'fail-closed' // no valid policy: every catalogue tool is blocked
  | 'fail-open' // no valid policy: everything allowed, and the popup says so
  | 'waiting-config'; // no (valid) managed configuration yet

export interface PolicySummary {
  serial: number;
  issuer: string | null;
  contact: string | null;
  issued: string;
  expires: string;
  payloadHash: string;
  signers: string[];
  verifiedAt: string;
  /** true once `expires` has passed (the policy no longer counts; fail mode applies). */
  expired: boolean;
  /**
   * Past `maxStalenessHours` (docs/compliance.md#stale-policies) since the last successful fetch — since when, and what this
   * office does about it (`closed`: restricted tools blocked; `open`: the last policy still enforced).
   */
  stale?: { since: string; failMode: 'closed' | 'open' } | null;
}

export interface Problem {
  at: string;
  code: RefusalCode | 'fetch-failed' | 'config-invalid' | 'timeout' | 'http-error' | 'too-large';
  message: string;
}

export interface Status {
  mode: EnforcementMode;
  extensionVersion: string;
  config: Partial<ManagedConfig> | null;
  configErrors: string[];
  /**
   * The configured office is not one the policy in force defines (src/core/config/office-check.ts): a
   * configuration error, enforced as with no valid policy. Null (or absent) when it is.
   */
  officeProblem?: OfficeProblem | null;
  policy: PolicySummary | null;
  /** The last attempt to fetch the policy, successful or not. */
  lastFetch: { at: string; ok: boolean; message: string } | null;
  /** The last refused document (signature, rollback, expiry, schema…), kept until a good one arrives. */
  lastRefusal: Problem | null;
  /** Number of installed DNR rules, for diagnostics. */
  ruleCount: number;
  /**
   * The last installation of network rules: the policy serial they enforce (null: none, e.g. fail
   * closed) and the browser's refusal of the latest update, if it refused it (the rules before stay).
   * A verified `policy` is in force only once its serial is here (src/core/policy/policy-in-force.ts).
   */
  applied?: { serial: number | null; error: string | null } | null;
  audit: { queued: number; lastDelivery: { at: string; ok: boolean; message: string } | null };
  /**
   * The signed exceptions document (docs/compliance.md#signed-exceptions), when IT configured `exceptionsUrl` (null otherwise):
   * the one in force (serial, when verified, when it expires), how many apply to this employee, and
   * the last attempt to fetch it — a failure keeps the document in force and is shown, never silent.
   */
  exceptions?: {
    url: string;
    serial: number | null;
    verifiedAt: string | null;
    expires: string | null;
    forYou: number;
    lastFetch: { at: string; ok: boolean; message: string } | null;
  } | null;
  /** Where the browser is, and how that was established. */
  location?: LocationStatus;
}
