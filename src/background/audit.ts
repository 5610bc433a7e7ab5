/**
 * The audit trail's browser half: the queue lives in `storage.local` and every change to it goes
 * through one promise chain, so an event is on disk before recordAudit resolves and concurrent
 * calls never overwrite each other. Delivery is a POST to the managed `auditUrl`; retries are
 * driven by `browser.alarms` so they survive the worker being stopped and the browser restarting.
 * The pure logic (schema, cap, batches, backoff, classification) is in src/core/audit/audit.ts.
 *
 * Every event is chained into this browser's tamper-evident ledger (src/core/audit/ledger.ts) inside the
 * same serialised task that stores it, and the ledger's head lives in the same storage value as the
 * queue: one `storage.local.set` writes both, so a worker killed mid-way leaves either the old
 * state or the new one, never an event without its link or a head without its event.
 */
import { browser } from '../platform/browser.ts';
import {
  AUDIT_QUEUE_CAP,
  acknowledgeAuditBatch,
  appendAuditEvent,
  classifyDelivery,
  droppedAuditDetail,
  encodeAuditBatch,
  heartbeatDue,
  heartbeatMark,
  makeAuditEvent,
  prependDroppedReport,
  recordAuditFailure,
  takeAuditBatch,
  type AuditContext,
  type AuditEvent,
  type AuditEventType,
  type AuditLedger,
  type AuditQueueState,
  type DeliveryOutcome,
  type HeartbeatDetail,
  type LastDelivery,
} from '../core/audit/audit.ts';
import { sealAuditEvent, startLedger } from '../core/audit/ledger.ts';
import { createQueue } from './queue.ts';
import { readKey, saveState } from './storage.ts';

export type { AuditContext, AuditEventType, AuditLedger, HeartbeatDetail };

/** The alarm that drives (re)delivery; the background's alarms.onAlarm routes it to handleAuditAlarm. */
export const AUDIT_ALARM = 'audit-delivery';
/**
 * The alarm the background creates for coverage heartbeats (e.g. every 60 minutes) and routes to
 * recordHeartbeat; a heartbeat is recorded only when due (daily, or when what it reports changed).
 */
export const HEARTBEAT_ALARM = 'audit-heartbeat';

/** Coalesce a burst of events (a block page plus its visit report…) into one request. */
const DEBOUNCE_MS = 2_000;
const FETCH_TIMEOUT_MS = 15_000;
/** Chrome will not fire an alarm sooner than 30 s (Chrome 120+); the debounce covers the first seconds. */
const FALLBACK_ALARM_MS = 30_000;
/** Bound one delivery run; if more is left an alarm brings us back. */
const MAX_BATCHES_PER_RUN = 200;

const DEFAULT_CONTEXT: AuditContext = {
  office: null,
  groups: [],
  policySerial: null,
  policyHash: null,
  auditUrl: null,
  format: 'json',
  urlDetail: 'path',
};

let queue: AuditQueueState | null = null; // cache of what is on disk; null until first read
let context: AuditContext | null = null;
let inFlight: ReadonlySet<string> = new Set();
let delivering: Promise<void> | null = null;
// biome-ignore lint/correctness/noUnusedVariables: read by the `??=` in scheduleDelivery (Biome counts it as a write only)
let debounceTimer: ReturnType<typeof setTimeout> | null = null;

/** Run storage work one task at a time, in call order; a failed task does not stop the next. */
const serialise = createQueue();

async function readQueue(): Promise<AuditQueueState> {
  if (!queue) {
    const stored = await readKey('auditQueue');
    queue ??= stored;
  }
  return queue;
}

/** Apply `change` and write the result; only inside a serialised task. The cache moves only once the write succeeded. */
async function changeQueue(
  change: (state: AuditQueueState) => AuditQueueState | Promise<AuditQueueState>,
): Promise<AuditQueueState> {
  const current = await readQueue();
  const next = await change(current);
  if (next === current) return current;
  await saveState({ auditQueue: next });
  queue = next;
  return next;
}

function updateQueue(
  change: (state: AuditQueueState) => AuditQueueState | Promise<AuditQueueState>,
): Promise<AuditQueueState> {
  return serialise(() => changeQueue(change));
}

async function readStoredContext(): Promise<AuditContext | null> {
  return readKey('auditContext');
}

/** The context in memory, or the one persisted before the worker was stopped. */
async function getContext(): Promise<AuditContext> {
  if (context) return context;
  const stored = await readStoredContext();
  // setAuditContext may have run while we were reading: it wins.
  context ??= stored ?? DEFAULT_CONTEXT;
  return context;
}

function extensionVersion(): string {
  try {
    return browser.runtime.getManifest().version;
  } catch {
    return 'unknown';
  }
}

/** Where the browser is now (src/background/location.ts sets it); events carry it, never an address. */
let locationSource: () => AuditContext['location'] = () => null;

/** Set how events learn the browser's verified location. */
export function setAuditLocationSource(source: () => AuditContext['location']): void {
  locationSource = source;
}

function newEvent(input: Parameters<typeof recordAudit>[0], ctx: AuditContext): AuditEvent {
  return makeAuditEvent(
    input,
    { ...ctx, location: locationSource() },
    { id: crypto.randomUUID(), now: Date.now(), extensionVersion: extensionVersion() },
  );
}

/** Chain `event` into the ledger carried by `state` (starting one, with a new source id, the first time). */
async function seal(state: AuditQueueState, event: AuditEvent): Promise<{ state: AuditQueueState; event: AuditEvent }> {
  const sealed = await sealAuditEvent(state.ledger ?? startLedger(crypto.randomUUID()), event);
  return { state: { ...state, ledger: sealed.ledger }, event: sealed.event };
}

/** Seal and append in one write: the event and the ledger head that points at it land together. */
async function appendSealed(state: AuditQueueState, event: AuditEvent): Promise<AuditQueueState> {
  const sealed = await seal(state, event);
  return appendAuditEvent(sealed.state, sealed.event, { cap: AUDIT_QUEUE_CAP, protect: inFlight, now: Date.now() });
}

/** Where we post, for messages: never the query, which may hold a collector token. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return url;
  }
}

/** Make sure an alarm will fire no later than `when` (an earlier one is kept: delivery re-checks the backoff). */
async function ensureAlarm(when: number): Promise<void> {
  const existing = await browser.alarms.get(AUDIT_ALARM);
  if (!existing || existing.scheduledTime > when + 1_000) await browser.alarms.create(AUDIT_ALARM, { when });
}

/** After a change: deliver in a couple of seconds while awake, with an alarm behind it in case we are not. */
async function scheduleDelivery(): Promise<void> {
  const ctx = await getContext();
  const state = await readQueue();
  if (!ctx.auditUrl || (state.events.length === 0 && state.dropped === 0)) return;
  const now = Date.now();
  if (state.nextAttemptAt !== null && state.nextAttemptAt > now) {
    await ensureAlarm(state.nextAttemptAt); // backing off: the alarm decides
    return;
  }
  await ensureAlarm(now + FALLBACK_ALARM_MS);
  debounceTimer ??= setTimeout(() => {
    debounceTimer = null;
    void deliver(false);
  }, DEBOUNCE_MS);
}

function scheduleQuietly(): void {
  scheduleDelivery().catch((err: unknown) => console.warn('[audit] could not schedule delivery', err));
}

/** Called whenever the managed config or the policy changes; persisted for delivery after a restart. */
export function setAuditContext(ctx: AuditContext): void {
  const next: AuditContext = { ...ctx, groups: [...ctx.groups] };
  context = next;
  void serialise(async () => {
    if (!next.auditUrl) {
      await saveState({ auditContext: next });
      await browser.alarms.clear(AUDIT_ALARM);
      return;
    }
    // A new collector does not inherit the backoff (or the rejection) of the previous one. Compared
    // with the last collector actually configured: managed storage often arrives late at startup,
    // and that passing "no auditUrl" must not wipe the backoff.
    // Headers are part of it: IT fixing a refused token must not wait out the previous backoff.
    const collector = JSON.stringify([next.format, next.auditUrl, next.headers ?? {}, next.compression ?? 'gzip']);
    const stored = await readKey('auditCollector');
    await saveState({ auditContext: next, auditCollector: collector });
    if (stored !== collector)
      await changeQueue((s) =>
        s.nextAttemptAt === null && s.attempt === 0 ? s : { ...s, attempt: 0, nextAttemptAt: null },
      );
  })
    // Also the startup path: alarms are not guaranteed to survive a browser restart.
    .then(scheduleQuietly)
    .catch((err: unknown) => console.warn('[audit] could not store the audit context', err));
}

/** Record one event; it is stored (and will be delivered) once the promise resolves. */
export async function recordAudit(event: {
  type: AuditEventType;
  tool?: string | null;
  rule?: string | null;
  url?: string | null;
  detail?: Record<string, unknown>;
}): Promise<void> {
  const ctx = context ?? (await getContext());
  const full = newEvent(event, ctx);
  await updateQueue((s) => appendSealed(s, full));
  scheduleQuietly();
}

/**
 * The HEARTBEAT_ALARM handler (and after each policy apply): record a `heartbeat` event when one is
 * due (src/core/audit/audit.ts heartbeatDue). Resolves to whether one was recorded. The due-check and the
 * write happen in one serialised task, so two callers never send two heartbeats.
 */
export async function recordHeartbeat(detail: HeartbeatDetail): Promise<boolean> {
  const ctx = context ?? (await getContext());
  let recorded = false;
  await updateQueue(async (s) => {
    const now = Date.now();
    if (!heartbeatDue(s.lastHeartbeat, detail, now)) return s;
    recorded = true;
    const next = await appendSealed(s, newEvent({ type: 'heartbeat', detail: { ...detail } }, ctx));
    return { ...next, lastHeartbeat: heartbeatMark(detail, now) };
  });
  if (recorded) scheduleQuietly();
  return recorded;
}

/** This browser's ledger head (source id, next seq, hash of the last event), for diagnostics; null before the first event. */
export async function getAuditLedger(): Promise<AuditLedger | null> {
  return serialise(async () => (await readQueue()).ledger);
}

/** The alarms.onAlarm handler for AUDIT_ALARM: deliver unless still backing off. */
export function handleAuditAlarm(): Promise<void> {
  return deliver(false);
}

/** Try delivering now, ignoring the backoff (a new collector, or "retry now" from the popup). */
export function deliverAuditNow(): Promise<void> {
  return deliver(true);
}

/** What the popup shows (Status.audit). */
export async function getAuditStatus(): Promise<{ queued: number; lastDelivery: LastDelivery | null }> {
  const [ctx, state] = await Promise.all([getContext(), readQueue()]);
  const queued = state.events.length;
  if (!ctx.auditUrl) {
    const message =
      `no audit collector configured (managed key auditUrl): ${queued} event(s) kept on this device ` +
      `(at most ${AUDIT_QUEUE_CAP.toLocaleString('en')}) until IT configures one`;
    return { queued, lastDelivery: { at: state.lastDelivery?.at ?? new Date().toISOString(), ok: false, message } };
  }
  return { queued, lastDelivery: state.lastDelivery };
}

/** One delivery run at a time; a second caller waits for the one in progress. */
function deliver(force: boolean): Promise<void> {
  delivering ??= runDelivery(force)
    .catch((err: unknown) => console.warn('[audit] delivery failed unexpectedly', err))
    .finally(() => {
      delivering = null;
    });
  return delivering;
}

async function runDelivery(force: boolean): Promise<void> {
  const ctx = await getContext();
  const url = ctx.auditUrl;
  if (!url) {
    await browser.alarms.clear(AUDIT_ALARM); // nothing to do until IT configures a collector
    return;
  }
  const state = await readQueue();
  if (!force && state.nextAttemptAt !== null && state.nextAttemptAt > Date.now()) {
    await ensureAlarm(state.nextAttemptAt);
    return;
  }
  for (let run = 0; run < MAX_BATCHES_PER_RUN; run++) {
    // In the chain, so an event appended meanwhile either is in this batch or finds the alarm cleared
    // before it schedules its own, and the cap never drops what is in flight.
    const batch = await serialise(async () => {
      const current = await changeQueue(async (s) => {
        if (s.dropped <= 0) return s;
        // Built complete before sealing: the report's hash must cover exactly what is sent.
        const sealed = await seal(s, newEvent({ type: 'dropped', detail: droppedAuditDetail(s, Date.now()) }, ctx));
        return prependDroppedReport(sealed.state, sealed.event);
      });
      const taken = takeAuditBatch(current, ctx.format);
      if (taken.length === 0) await browser.alarms.clear(AUDIT_ALARM);
      else inFlight = new Set(taken.map((e) => e.id));
      return taken;
    });
    if (batch.length === 0) return;
    const ids = batch.map((e) => e.id);
    try {
      const outcome = await post(url, ctx, batch);
      if (outcome.kind !== 'delivered') {
        if (outcome.kind === 'rejected') console.error(`[audit] ${outcome.message}`);
        const failed = await updateQueue((s) => recordAuditFailure(s, outcome, Date.now(), Math.random));
        await browser.alarms.create(AUDIT_ALARM, { when: failed.nextAttemptAt ?? Date.now() + FALLBACK_ALARM_MS });
        return;
      }
      const message = `delivered ${ids.length} event(s) to ${describeUrl(url)}`;
      await updateQueue((s) => acknowledgeAuditBatch(s, ids, Date.now(), message));
    } finally {
      inFlight = new Set();
    }
  }
  await ensureAlarm(Date.now() + FALLBACK_ALARM_MS);
}

/** Bodies smaller than this go uncompressed: gzip's header and the CPU cost more than they save. */
const GZIP_MIN_BYTES = 1024;

/** gzip with CompressionStream (worker-safe, no library): typically 6-10x smaller for event JSON. */
async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function post(url: string, ctx: AuditContext, batch: AuditEvent[]): Promise<DeliveryOutcome> {
  const { body: text, contentType } = encodeAuditBatch(batch, ctx.format);
  const compress = (ctx.compression ?? 'gzip') === 'gzip' && text.length >= GZIP_MIN_BYTES;
  const body = compress ? await gzip(text) : text;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: 'POST',
      // Managed headers first: Content-Type and Content-Encoding are ours (the config refuses them anyway).
      headers: { ...ctx.headers, 'Content-Type': contentType, ...(compress ? { 'Content-Encoding': 'gzip' } : {}) },
      body,
      signal: controller.signal,
      credentials: 'omit',
      cache: 'no-store',
    });
    // The body of an error says why (a HEC error code, a proxy page); the timeout still applies.
    const bodyText = response.ok ? '' : await response.text().catch(() => '');
    return classifyDelivery(
      { status: response.status, retryAfter: response.headers.get('Retry-After'), bodyText },
      { now: Date.now() },
    );
  } catch (err) {
    const error = controller.signal.aborted
      ? `collector at ${describeUrl(url)} did not answer within ${FETCH_TIMEOUT_MS / 1000} s`
      : `collector at ${describeUrl(url)} unreachable (${err instanceof Error ? err.message : String(err)})`;
    return classifyDelivery(null, { now: Date.now(), error });
  } finally {
    clearTimeout(timer);
  }
}
