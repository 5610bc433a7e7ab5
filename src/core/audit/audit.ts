/**
 * The audit trail's pure half: the event schema (one valibot schema gives the type and the
 * runtime check), URL reduction, the bounded queue, batching, backoff and response classification.
 * No browser API here; src/background/audit.ts stores the queue and talks to the collector.
 *
 * Delivery is at-least-once: a batch whose answer was lost is sent again, so every event carries
 * a unique `id` for the collector to de-duplicate on. Wire format: docs/audit.md.
 */
import * as v from 'valibot';
import { encodeOtlpLogs, OTLP_ENVELOPE_OVERHEAD, otlpLogRecord } from './otlp.ts';

export const AUDIT_EVENT_TYPES = [
  'block',
  'warn-shown',
  'warn-proceeded',
  'monitor-visit',
  'policy-applied',
  'policy-refused',
  'config-invalid',
  'fail-closed-entered',
  'fail-closed-left',
  // Data controls (docs/data-controls.md#the-audit-event): a paste, upload or sensitive send was warned or blocked.
  'data-control',
  'dropped',
  // Compliance evidence (docs/compliance.md).
  'notice-acknowledged',
  'exceptions-applied',
  'exceptions-refused',
  'stale-closed-entered',
  'stale-closed-left',
  'heartbeat',
  // Discovery (docs/beyond-domains.md#discovery-of-unlisted-ai-tools): a page recognised as an AI tool that neither the policy nor the catalogue lists.
  'discovered-tool',
  // Where the browser is: the verified location changed (or lapsed), or an answer was refused.
  'location-changed',
  'location-refused',
] as const;

export const AuditEventTypeSchema = v.picklist(AUDIT_EVENT_TYPES);
export type AuditEventType = v.InferOutput<typeof AuditEventTypeSchema>;

export const AuditFormatSchema = v.picklist(['json', 'splunk-hec', 'otlp']);
export const AuditCompressionSchema = v.picklist(['gzip', 'none']);
export type AuditCompression = v.InferOutput<typeof AuditCompressionSchema>;
export type AuditFormat = v.InferOutput<typeof AuditFormatSchema>;
export type AuditUrlDetail = 'path' | 'origin';

const nullableString = v.nullable(v.pipe(v.string(), v.maxLength(2048)));
const sha256HexString = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex SHA-256'));

/** One audit event as stored and as sent (the `event` of docs/audit.md). */
export const AuditEventSchema = v.object({
  id: v.pipe(v.string(), v.uuid()),
  time: v.pipe(v.string(), v.isoTimestamp()),
  type: AuditEventTypeSchema,
  office: nullableString,
  groups: v.array(v.string()),
  tool: nullableString,
  rule: nullableString,
  policySerial: v.nullable(v.pipe(v.number(), v.integer())),
  extensionVersion: v.string(),
  url: nullableString,
  detail: v.optional(v.record(v.string(), v.unknown())),
  // The tamper-evident ledger (src/core/audit/ledger.ts). Optional only so that events queued by an older
  // version survive an update; every event recorded now carries all four. They must be listed here:
  // valibot drops unknown keys, and a dropped key would change the event's hash.
  /** SHA-256 of the policy payload in force (the `payloadHash` of `policy-applied`), or null. */
  policyHash: v.optional(v.nullable(sha256HexString)),
  /** This browser's ledger id: a random UUID made once and kept with the queue. */
  source: v.optional(v.pipe(v.string(), v.uuid())),
  /** Position in this browser's ledger, from 0. */
  seq: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /** SHA-256 of the previous event's canonical JSON in this ledger; null for the first (genesis). */
  prev: v.optional(v.nullable(sha256HexString)),
  /** Where the browser was, as verified by the location service (country, zone if any); absent when not verified. */
  location: v.optional(
    v.object({ country: v.pipe(v.string(), v.maxLength(2)), zone: v.optional(v.pipe(v.string(), v.maxLength(64))) }),
  ),
});
export type AuditEvent = v.InferOutput<typeof AuditEventSchema>;

export const AUDIT_QUEUE_CAP = 10_000;
export const AUDIT_BATCH_MAX_EVENTS = 100;
export const AUDIT_BATCH_MAX_BYTES = 256 * 1024;
export const AUDIT_BACKOFF_BASE_MS = 30_000;
export const AUDIT_BACKOFF_CAP_MS = 60 * 60_000;
/** Longest string kept in `detail` (a justification is the only free text we record). */
export const AUDIT_DETAIL_MAX_CHARS = 1000;
const AUDIT_DETAIL_MAX_BYTES = 8 * 1024;

/** Reduce a URL to what compliance needs: origin + path, or origin only. Never query, fragment or userinfo. */
export function reduceAuditUrl(url: string | null | undefined, detail: AuditUrlDetail): string | null {
  if (!url) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  // data:, blob:, javascript: and the like can carry page content itself: keep the scheme only.
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return u.protocol;
  return detail === 'origin' ? u.origin : u.origin + u.pathname;
}

/** Who and what every event is about; kept by the background from the managed config and the policy. */
export interface AuditContext {
  office: string | null;
  groups: string[];
  policySerial: number | null;
  auditUrl: string | null;
  format: AuditFormat;
  urlDetail: AuditUrlDetail;
  /** SHA-256 of the policy payload in force (docs/compliance.md#the-tamper-evident-ledger); absent or null when none. */
  policyHash?: string | null;
  /** Extra request headers for the collector (managed `auditHeaders`, e.g. Authorization). */
  headers?: Record<string, string>;
  /** Body compression (managed `auditCompression`); absent means gzip. */
  compression?: AuditCompression;
  /** Where the browser is, when the location service verified it: country and zone, never an address. */
  location?: { country: string; zone?: string } | null;
}

export const AuditContextSchema = v.object({
  office: v.nullable(v.string()),
  groups: v.array(v.string()),
  policySerial: v.nullable(v.number()),
  policyHash: v.optional(v.nullable(v.string())),
  auditUrl: v.nullable(v.string()),
  format: AuditFormatSchema,
  urlDetail: v.picklist(['path', 'origin']),
  headers: v.optional(v.record(v.string(), v.string())),
  compression: v.optional(AuditCompressionSchema),
});

export interface AuditInput {
  type: AuditEventType;
  tool?: string | null;
  rule?: string | null;
  url?: string | null;
  detail?: Record<string, unknown>;
}

/** Keep `detail` small and JSON-safe: long strings are cut, an oversized whole is replaced by a marker. */
function boundDetail(detail: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!detail) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(detail, (_key, value: unknown) =>
      typeof value === 'string' && value.length > AUDIT_DETAIL_MAX_CHARS
        ? `${value.slice(0, AUDIT_DETAIL_MAX_CHARS)}…`
        : value,
    );
  } catch {
    return { unserialisable: true };
  }
  if (json === undefined) return undefined;
  if (json.length > AUDIT_DETAIL_MAX_BYTES) return { truncated: true, bytes: json.length };
  return JSON.parse(json) as Record<string, unknown>;
}

/** Build a complete event from what the caller knows plus the context; `id` and `now` are injected. */
export function makeAuditEvent(
  input: AuditInput,
  context: Pick<AuditContext, 'office' | 'groups' | 'policySerial' | 'urlDetail' | 'policyHash' | 'location'>,
  meta: { id: string; now: number; extensionVersion: string },
): AuditEvent {
  const event: AuditEvent = {
    id: meta.id,
    time: new Date(meta.now).toISOString(),
    type: input.type,
    office: context.office,
    groups: [...context.groups],
    tool: input.tool ?? null,
    rule: input.rule ?? null,
    policySerial: context.policySerial,
    extensionVersion: meta.extensionVersion,
    url: reduceAuditUrl(input.url, context.urlDetail),
    policyHash: context.policyHash ?? null,
  };
  const detail = boundDetail(input.detail);
  if (detail) event.detail = detail;
  if (context.location)
    event.location = context.location.zone
      ? { country: context.location.country, zone: context.location.zone }
      : { country: context.location.country };
  return event;
}

// ---------------------------------------------------------------------------------------------
// The queue

export interface LastDelivery {
  at: string;
  ok: boolean;
  message: string;
}

/** Everything the queue keeps across worker restarts (one storage value). */
export interface AuditQueueState {
  events: AuditEvent[];
  /** Events dropped past the cap and not yet reported by a `dropped` event. */
  dropped: number;
  /** When the first of those was dropped (ISO), for the `dropped` event. */
  droppedSince: string | null;
  /** Consecutive failed delivery attempts. */
  attempt: number;
  /** Not before this instant (ms since epoch) unless asked explicitly; null = no backoff. */
  nextAttemptAt: number | null;
  lastDelivery: LastDelivery | null;
  /** The ledger's head, written with every event so a killed worker cannot break the chain; null until the first event. */
  ledger: AuditLedger | null;
  /** Lowest and highest `seq` among the dropped events, for the `dropped` report (the verifier accepts that gap). */
  droppedSeqs: { first: number; last: number } | null;
  /** The last heartbeat recorded, to tell when the next is due. */
  lastHeartbeat: HeartbeatMark | null;
}

/** Where this browser's ledger stands: its id, the next `seq`, the hash of the last event. */
export interface AuditLedger {
  source: string;
  seq: number;
  head: string | null;
}

/** An empty queue. */
export function emptyAuditQueue(): AuditQueueState {
  return {
    events: [],
    dropped: 0,
    droppedSince: null,
    attempt: 0,
    nextAttemptAt: null,
    lastDelivery: null,
    ledger: null,
    droppedSeqs: null,
    lastHeartbeat: null,
  };
}

const LastDeliverySchema = v.object({ at: v.string(), ok: v.boolean(), message: v.string() });
const SeqSchema = v.pipe(v.number(), v.integer(), v.minValue(0));
const LedgerSchema = v.object({
  source: v.pipe(v.string(), v.uuid()),
  seq: SeqSchema,
  head: v.nullable(sha256HexString),
});
const DroppedSeqsSchema = v.object({ first: SeqSchema, last: SeqSchema });
const HeartbeatMarkSchema = v.object({ at: v.number(), key: v.string() });

/**
 * Read a stored queue. Valid events are salvaged one by one from a damaged value, so a single bad
 * entry (or a schema change) never costs the others; what was unreadable is counted as dropped.
 */
export function parseAuditQueue(raw: unknown): AuditQueueState {
  const state = emptyAuditQueue();
  if (!raw || typeof raw !== 'object') return state;
  const r = raw as Record<string, unknown>;
  if (Array.isArray(r.events)) {
    for (const e of r.events) {
      const parsed = v.safeParse(AuditEventSchema, e);
      if (parsed.success) state.events.push(parsed.output);
      else state.dropped += 1;
    }
  }
  if (typeof r.dropped === 'number' && Number.isInteger(r.dropped) && r.dropped > 0) state.dropped += r.dropped;
  if (state.dropped > 0)
    state.droppedSince = typeof r.droppedSince === 'string' ? r.droppedSince : new Date(0).toISOString();
  if (typeof r.attempt === 'number' && Number.isInteger(r.attempt) && r.attempt >= 0) state.attempt = r.attempt;
  if (typeof r.nextAttemptAt === 'number' && Number.isFinite(r.nextAttemptAt)) state.nextAttemptAt = r.nextAttemptAt;
  const last = v.safeParse(LastDeliverySchema, r.lastDelivery);
  if (last.success) state.lastDelivery = last.output;
  const ledger = v.safeParse(LedgerSchema, r.ledger);
  if (ledger.success) state.ledger = ledger.output;
  const seqs = v.safeParse(DroppedSeqsSchema, r.droppedSeqs);
  if (seqs.success) state.droppedSeqs = seqs.output;
  const beat = v.safeParse(HeartbeatMarkSchema, r.lastHeartbeat);
  if (beat.success) state.lastHeartbeat = beat.output;
  return state;
}

/**
 * Append an event; past `cap` the oldest events are dropped and counted. `dropped` events are never
 * dropped (they carry the count), nor are ids in `protect` (the batch in flight, about to be acked).
 */
export function appendAuditEvent(
  state: AuditQueueState,
  event: AuditEvent,
  options: { cap?: number; protect?: ReadonlySet<string>; now: number },
): AuditQueueState {
  const cap = options.cap ?? AUDIT_QUEUE_CAP;
  const events = [...state.events, event];
  let excess = events.length - cap;
  if (excess <= 0) return { ...state, events };
  const kept: AuditEvent[] = [];
  let dropped = 0;
  let droppedSeqs = state.droppedSeqs;
  for (const e of events) {
    if (excess > 0 && e.type !== 'dropped' && e !== event && !options.protect?.has(e.id)) {
      excess -= 1;
      dropped += 1;
      if (e.seq !== undefined) {
        droppedSeqs = droppedSeqs
          ? { first: Math.min(droppedSeqs.first, e.seq), last: Math.max(droppedSeqs.last, e.seq) }
          : { first: e.seq, last: e.seq };
      }
    } else {
      kept.push(e);
    }
  }
  return {
    ...state,
    events: kept,
    dropped: state.dropped + dropped,
    droppedSince: dropped > 0 ? (state.droppedSince ?? new Date(options.now).toISOString()) : state.droppedSince,
    droppedSeqs,
  };
}

/**
 * Turn the pending drop count into a `dropped` event at the head of the queue (it reports on events
 * older than any still queued). Call before taking a batch; `event` comes from makeAuditEvent.
 */
export function reportDropped(state: AuditQueueState, event: AuditEvent): AuditQueueState {
  if (state.dropped <= 0) return state;
  const report: AuditEvent = {
    ...event,
    type: 'dropped',
    detail: { ...event.detail, ...droppedAuditDetail(state, Date.parse(event.time)) },
  };
  return prependDroppedReport(state, report);
}

/**
 * The `detail` of the `dropped` report: count and time span, and the `seq` range lost from the
 * ledger (so audit-verify can tell reported loss from deleted lines).
 */
export function droppedAuditDetail(state: AuditQueueState, now: number): Record<string, unknown> {
  const detail: Record<string, unknown> = {
    count: state.dropped,
    since: state.droppedSince,
    until: new Date(now).toISOString(),
  };
  if (state.droppedSeqs) {
    detail.firstSeq = state.droppedSeqs.first;
    detail.lastSeq = state.droppedSeqs.last;
  }
  return detail;
}

/** Put a finished (sealed) `dropped` report at the head of the queue and clear the pending count. */
export function prependDroppedReport(state: AuditQueueState, report: AuditEvent): AuditQueueState {
  if (state.dropped <= 0) return state;
  return { ...state, events: [report, ...state.events], dropped: 0, droppedSince: null, droppedSeqs: null };
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/**
 * The next batch, oldest first: at most `maxEvents` and `maxBytes` of encoded body. A single event
 * larger than `maxBytes` still goes alone, or it would block the queue forever.
 */
export function takeAuditBatch(
  state: AuditQueueState,
  format: AuditFormat,
  limits: { maxEvents?: number; maxBytes?: number } = {},
): AuditEvent[] {
  const maxEvents = limits.maxEvents ?? AUDIT_BATCH_MAX_EVENTS;
  const maxBytes = limits.maxBytes ?? AUDIT_BATCH_MAX_BYTES;
  const batch: AuditEvent[] = [];
  let bytes = format === 'json' ? utf8Length('{"events":[]}') : format === 'otlp' ? OTLP_ENVELOPE_OVERHEAD : 0;
  for (const event of state.events) {
    if (batch.length >= maxEvents) break;
    const size = utf8Length(encodeAuditEvent(event, format)) + 1; // comma or newline
    if (batch.length > 0 && bytes + size > maxBytes) break;
    batch.push(event);
    bytes += size;
  }
  return batch;
}

function encodeAuditEvent(event: AuditEvent, format: AuditFormat): string {
  if (format === 'json') return JSON.stringify(event);
  if (format === 'otlp') return JSON.stringify(otlpLogRecord(event));
  return JSON.stringify({ time: Date.parse(event.time) / 1000, sourcetype: 'ai-geofence', event });
}

/** The request body and content type for a batch in the collector's format (docs/audit.md). */
export function encodeAuditBatch(
  events: readonly AuditEvent[],
  format: AuditFormat,
): { body: string; contentType: string } {
  if (format === 'json') return { body: JSON.stringify({ events }), contentType: 'application/json' };
  if (format === 'otlp') return { body: encodeOtlpLogs(events), contentType: 'application/json' };
  // Splunk HEC's /services/collector/event takes several event objects, one after the other.
  return { body: events.map((e) => encodeAuditEvent(e, format)).join('\n'), contentType: 'application/json' };
}

/** Remove delivered events by id and clear the backoff. */
export function acknowledgeAuditBatch(
  state: AuditQueueState,
  ids: readonly string[],
  now: number,
  message: string,
): AuditQueueState {
  const done = new Set(ids);
  return {
    ...state,
    events: state.events.filter((e) => !done.has(e.id)),
    attempt: 0,
    nextAttemptAt: null,
    lastDelivery: { at: new Date(now).toISOString(), ok: true, message },
  };
}

/** Full-jitter exponential backoff: a uniform delay in [0, min(cap, base · 2^attempt)). */
export function backoffDelay(
  attempt: number,
  random: () => number,
  base = AUDIT_BACKOFF_BASE_MS,
  cap = AUDIT_BACKOFF_CAP_MS,
): number {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** What the collector's answer (or its absence) means for the batch. */
export type DeliveryOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; message: string; retryAfterMs: number | null }
  | { kind: 'rejected'; message: string };

/** Retry-After in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** Classify one delivery attempt. `response` is null for a network error or timeout. */
export function classifyDelivery(
  response: { status: number; retryAfter?: string | null; bodyText?: string } | null,
  options: { now: number; error?: string },
): DeliveryOutcome {
  if (!response) return { kind: 'retry', message: options.error ?? 'collector unreachable', retryAfterMs: null };
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const snippet = (response.bodyText ?? '').replace(/\s+/g, ' ').trim().slice(0, 200);
  const said = snippet ? `: ${snippet}` : '';
  if (status === 408 || status === 429 || status >= 500 || status < 200 || (status >= 300 && status < 400)) {
    return {
      kind: 'retry',
      message: `collector answered HTTP ${status}${said}`,
      retryAfterMs: parseRetryAfter(response.retryAfter, options.now),
    };
  }
  // Credentials: not transient, and not the batch's fault. Said plainly, with the key that fixes it.
  if (status === 401 || status === 403) {
    const what = status === 401 ? 'the collector requires credentials' : 'the collector refused the credentials';
    return {
      kind: 'rejected',
      message: `${what} (HTTP ${status}${status === 401 ? ' Unauthorized' : ' Forbidden'}${said}): check the managed key auditHeaders (e.g. "Authorization")`,
    };
  }
  if (status === 415) {
    return {
      kind: 'rejected',
      message: `collector does not accept this body (HTTP 415${said}): check the managed keys auditFormat and auditCompression ("none" if it cannot read gzip)`,
    };
  }
  // Any other 4xx: this collector will refuse the same batch again. Keep it and say so loudly.
  return { kind: 'rejected', message: `collector rejected the batch with HTTP ${status}${said}` };
}

/** Record a failed attempt: the events stay, the next attempt is pushed back, the popup learns why. */
export function recordAuditFailure(
  state: AuditQueueState,
  outcome: Exclude<DeliveryOutcome, { kind: 'delivered' }>,
  now: number,
  random: () => number,
): AuditQueueState {
  let delay: number;
  if (outcome.kind === 'rejected') {
    delay = AUDIT_BACKOFF_CAP_MS;
  } else {
    delay = backoffDelay(state.attempt, random);
    if (outcome.retryAfterMs !== null) delay = Math.max(delay, Math.min(outcome.retryAfterMs, AUDIT_BACKOFF_CAP_MS));
  }
  const nextAttemptAt = now + delay;
  const kept = `${state.events.length} event(s) kept, next attempt ${new Date(nextAttemptAt).toISOString()}`;
  return {
    ...state,
    attempt: state.attempt + 1,
    nextAttemptAt,
    lastDelivery: { at: new Date(now).toISOString(), ok: false, message: `${outcome.message}; ${kept}` },
  };
}

// ---------------------------------------------------------------------------------------------
// Coverage heartbeats (docs/compliance.md#coverage-heartbeats): evidence that a browser is enforcing, and which policy.

/** At least one heartbeat a day from every running browser. */
export const HEARTBEAT_INTERVAL_MS = 24 * 60 * 60_000;

/** The `detail` of a `heartbeat` event. */
export interface HeartbeatDetail {
  office: string | null;
  policySerial: number | null;
  policyHash: string | null;
  /** Network rules installed (DNR dynamic rules of ours). */
  rulesInstalled: number;
  /** Whether the extension may run in incognito windows (null when the browser cannot say). */
  incognitoAllowed: boolean | null;
  extensionVersion: string;
  /** The EnforcementMode: enforcing, fail-closed, fail-open, waiting-config (or stale-closed). */
  mode: string;
}

/** When the last heartbeat was recorded and what it said (the fields whose change makes one due). */
export interface HeartbeatMark {
  at: number;
  key: string;
}

/** Build a heartbeat's `detail` from what the background knows; missing values become null. */
export function heartbeatDetail(input: {
  office?: string | null;
  policySerial?: number | null;
  policyHash?: string | null;
  rulesInstalled?: number;
  incognitoAllowed?: boolean | null;
  extensionVersion: string;
  mode: string;
}): HeartbeatDetail {
  return {
    office: input.office ?? null,
    policySerial: input.policySerial ?? null,
    policyHash: input.policyHash ?? null,
    rulesInstalled: input.rulesInstalled ?? 0,
    incognitoAllowed: input.incognitoAllowed ?? null,
    extensionVersion: input.extensionVersion,
    mode: input.mode,
  };
}

/** What a heartbeat says that matters for coverage; the rule count is left out (it moves with rule windows). */
function heartbeatKey(d: HeartbeatDetail): string {
  return JSON.stringify([d.office, d.policySerial, d.policyHash, d.mode, d.incognitoAllowed, d.extensionVersion]);
}

/** The mark to keep after recording `detail` at `now`. */
export function heartbeatMark(detail: HeartbeatDetail, now: number): HeartbeatMark {
  return { at: now, key: heartbeatKey(detail) };
}

/**
 * True when a heartbeat is due: never sent, a day since the last, or something coverage cares
 * about changed (policy, office, mode, incognito access, extension version). A clock set back
 * also makes one due, rather than going silent until it catches up.
 */
export function heartbeatDue(last: HeartbeatMark | null, detail: HeartbeatDetail, now: number): boolean {
  if (!last) return true;
  if (now < last.at || now - last.at >= HEARTBEAT_INTERVAL_MS) return true;
  return last.key !== heartbeatKey(detail);
}
