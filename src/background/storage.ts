/**
 * The storage registry: every key the worker keeps is declared here once, with its area, its
 * schema and its value when absent. The worker may be stopped at any moment, so storage is the
 * truth and memory only a cache of it (https://developer.chrome.com/docs/extensions/develop/concepts/service-workers/lifecycle).
 *
 * Values read back are validated, never cast: a value that does not match its schema (written by an
 * older version, or by hand) is treated as absent and named in the worker's console — never a
 * crash, and never weaker enforcement than the defaults. Key NAMES are stable: existing profiles
 * and the end-to-end tests read them.
 */
import * as v from 'valibot';
import { browser } from '../platform/browser.ts';
import { DISCOVERY_SIGNALS } from '../core/discovery/discovery.ts';
import type { Problem } from '../core/status/status.ts';
import { AuditContextSchema, parseAuditQueue } from '../core/audit/audit.ts';

const Iso = v.string();
const Fetch = v.nullable(v.object({ at: Iso, ok: v.boolean(), message: v.string() }));

/** What the worker keeps of a verified signed document: the JWS as signed, and what verifying it found. */
const SIGNED_RECORD = {
  jws: v.string(),
  payloadHash: v.string(),
  serial: v.number(),
  signers: v.array(v.string()),
  verifiedAt: Iso,
};

const PolicyRecordSchema = v.object({
  ...SIGNED_RECORD,
  etag: v.nullable(v.string()),
  lastModified: v.nullable(v.string()),
  /** Where it was fetched: validators are sent back only to the same URL (absent in older records). */
  url: v.optional(v.string()),
});
/** The last verified policy, as signed: re-verified on load so a retired key stops counting. */
export type PolicyRecord = v.InferOutput<typeof PolicyRecordSchema>;

const ExceptionsRecordSchema = v.object({
  ...SIGNED_RECORD,
  /** The managed `exceptionsUrl` it came from: a record from another URL (or none configured) is dropped. */
  url: v.string(),
});
/** The last verified signed exceptions document, as signed: re-verified on load, like the policy. */
export type ExceptionsRecord = v.InferOutput<typeof ExceptionsRecordSchema>;

const ProblemSchema = v.object({
  at: Iso,
  code: v.custom<Problem['code']>((c) => typeof c === 'string'),
  message: v.string(),
});

const LocationRecordSchema = v.object({
  country: v.string(),
  zone: v.optional(v.string()),
  issued: Iso,
  expires: Iso,
  verifiedAt: Iso,
  kid: v.string(),
  url: v.string(),
  since: Iso,
});

const DiscoveredEntrySchema = v.object({
  origin: v.string(),
  firstSeen: v.number(),
  lastSeen: v.number(),
  lastReported: v.number(),
  signals: v.array(v.picklist(DISCOVERY_SIGNALS)),
});

const finite = v.pipe(v.number(), v.finite());

/**
 * storage.local, key by key: schema and value when absent — the worker's state.
 */
const LOCAL = {
  policyRecord: [v.nullable(PolicyRecordSchema), null],
  lastFetch: [Fetch, null],
  lastRefusal: [v.nullable(ProblemSchema), null],
  /** tool id → acknowledgement expiry (ms since epoch) for warn rules. */
  acknowledged: [v.record(v.string(), finite), {}],
  /** The mode at the last apply, for fail-closed enter/leave audit events. */
  lastMode: [v.nullable(v.string()), null],
  /** The office problem (office and policy hash) last recorded as an audit event, or null. */
  lastOfficeProblem: [v.nullable(v.string()), null],
  /** The employee the rules were last compiled for, kept for when managed config goes missing. */
  lastEmployee: [v.nullable(v.object({ office: v.string(), groups: v.array(v.string()) })), null],
  /** What the banner script is registered for (src/background/apply-scripts.ts). */
  contentScriptKey: [v.nullable(v.string()), null],
  /** True when the policy's warned/monitored hosts are too many to register: inject on demand. */
  contentOnDemand: [v.boolean(), false],
  /** What the data-controls guard is registered for. */
  guardScriptKey: [v.nullable(v.string()), null],
  /** What the models script is registered for. */
  modelsScriptKey: [v.nullable(v.string()), null],
  /** Tool ids blocked at the last apply: a newly blocked tool's service workers are evicted once. */
  blockedTools: [v.array(v.string()), []],
  /** What the last apply installed: the status, tests and diagnostics wait on it. */
  lastApplied: [
    v.nullable(
      v.object({
        serial: v.nullable(v.number()),
        mode: v.string(),
        ruleCount: v.number(),
        at: Iso,
        error: v.optional(v.string()),
      }),
    ),
    null,
  ],
  /** The last time the policy server confirmed the policy in force (verified, or 304), ISO. */
  lastConfirmedAt: [
    v.nullable(
      v.pipe(
        v.string(),
        v.check((s) => Number.isFinite(Date.parse(s))),
      ),
    ),
    null,
  ],
  /** Whether stale-closed was in force at the last apply, for enter/leave audit events. */
  lastStaleClosed: [v.nullable(v.boolean()), null],
  exceptionsRecord: [v.nullable(ExceptionsRecordSchema), null],
  /** The last attempt to fetch the exceptions document, successful or not (the popup says it). */
  exceptionsFetch: [Fetch, null],
  /** Versioned notice acknowledgements, keyed by ackKey; pruned when the policy changes. */
  noticeAcks: [
    v.record(v.string(), v.object({ ruleId: v.string(), version: v.number(), serial: v.number(), at: Iso })),
    {},
  ],
  /** Hosts recognised as unlisted AI tools (domain → entry); bounded and expiring. */
  discovered: [v.record(v.string(), DiscoveredEntrySchema), {}],
  /** The last verified location of the browser (src/background/location.ts), or null. */
  location: [v.nullable(LocationRecordSchema), null],
  /** The last attempt to establish the location, successful or not (the popup says it). */
  locationFetch: [
    v.nullable(
      v.object({
        at: Iso,
        ok: v.boolean(),
        message: v.string(),
        ms: v.optional(v.number()),
        totalMs: v.optional(v.number()),
      }),
    ),
    null,
  ],
} as const satisfies Record<string, readonly [v.GenericSchema, unknown]>;

/**
 * storage.local keys of the audit trail (src/background/audit.ts), read on their own: the queue
 * can be large, and is not part of the state every worker life loads.
 */
const AUDIT = {
  /** The queue, the ledger head and the delivery state, in one value so one write changes them together. */
  auditQueue: [v.pipe(v.unknown(), v.transform(parseAuditQueue)), parseAuditQueue(undefined)],
  /** Who and what events are recorded for, and where they go (kept for delivery after a restart). */
  auditContext: [v.nullable(AuditContextSchema), null],
  /** The last collector configured, to tell a new one from a passing gap in the config. */
  auditCollector: [v.nullable(v.string()), null],
} as const satisfies Record<string, readonly [v.GenericSchema, unknown]>;

/*
 * Beside these, two areas and keys have owners of their own, named here so this file lists them all:
 * - storage.local `noticeSnapshot` and its shards `noticeSnapshot.<n>`: written only by
 *   snapshot-store.ts, read by the block and warn pages (src/core/decide/notice-snapshot.ts
 *   validates what they read);
 * - storage.managed: the configuration IT pushes, read-only, validated by
 *   src/core/config/managed-config.ts (docs/deploy.md).
 */

const REGISTRY = { ...LOCAL, ...AUDIT };
type Registry = typeof REGISTRY;
export type LocalKey = keyof Registry;
type Values = { -readonly [K in LocalKey]: v.InferOutput<Registry[K][0]> };
/** The worker's state: every key of `LOCAL`, loaded together once per worker life. */
export type StoredState = Pick<Values, keyof typeof LOCAL>;

const LOCAL_KEYS = Object.keys(LOCAL) as Array<keyof typeof LOCAL>;

/** A stored value checked against its key's schema; a mismatch is absent, and named. */
function validated<K extends LocalKey>(key: K, raw: unknown): Values[K] {
  const [schema, fallback] = REGISTRY[key];
  if (raw === undefined) return structuredClone(fallback) as Values[K];
  const parsed = v.safeParse(schema, raw);
  if (parsed.success) return parsed.output as Values[K];
  console.warn(`[storage] ignoring the stored "${key}": ${parsed.issues[0]?.message ?? 'not the expected shape'}`);
  return structuredClone(fallback) as Values[K];
}

/** Read the whole state; missing or invalid keys get their defaults. */
export async function loadState(): Promise<StoredState> {
  const got = (await browser.storage.local.get(LOCAL_KEYS)) as Record<string, unknown>;
  return Object.fromEntries(LOCAL_KEYS.map((k) => [k, validated(k, got[k])])) as StoredState;
}

/** Read one key, validated. */
export async function readKey<K extends LocalKey>(key: K): Promise<Values[K]> {
  const got = (await browser.storage.local.get(key)) as Record<string, unknown>;
  return validated(key, got[key]);
}

/** Persist some keys. */
export async function saveState(patch: Partial<Values>): Promise<void> {
  await browser.storage.local.set(patch);
}
