import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import {
  AUDIT_BACKOFF_BASE_MS,
  AUDIT_BACKOFF_CAP_MS,
  AUDIT_BATCH_MAX_EVENTS,
  AuditEventSchema,
  acknowledgeAuditBatch,
  appendAuditEvent,
  backoffDelay,
  classifyDelivery,
  droppedAuditDetail,
  emptyAuditQueue,
  HEARTBEAT_INTERVAL_MS,
  heartbeatDetail,
  heartbeatDue,
  heartbeatMark,
  prependDroppedReport,
  encodeAuditBatch,
  makeAuditEvent,
  parseAuditQueue,
  parseRetryAfter,
  recordAuditFailure,
  reduceAuditUrl,
  reportDropped,
  takeAuditBatch,
  type AuditEvent,
  type AuditInput,
  type AuditQueueState,
} from './audit.ts';

const NOW = Date.parse('2026-11-20T09:00:00Z');
const CONTEXT = { office: 'HK', groups: ['traders'], policySerial: 42, urlDetail: 'path' as const };
let counter = 0;
function uuid(): string {
  counter += 1;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
}
function event(input: Partial<AuditInput> = {}, now = NOW): AuditEvent {
  return makeAuditEvent(
    { type: 'block', tool: 'claude', rule: 'HK-ANTHROPIC', url: 'https://claude.ai/new', ...input },
    CONTEXT,
    {
      id: uuid(),
      now,
      extensionVersion: '0.1.0',
    },
  );
}
function queueOf(n: number): AuditQueueState {
  let s = emptyAuditQueue();
  for (let i = 0; i < n; i++) s = appendAuditEvent(s, event(), { now: NOW });
  return s;
}

describe('reduceAuditUrl', () => {
  it('keeps origin and path, strips query, fragment and userinfo', () => {
    expect(reduceAuditUrl('https://user:pw@claude.ai/chat/abc?q=secret#frag', 'path')).toBe(
      'https://claude.ai/chat/abc',
    );
  });
  it('keeps only the origin when asked', () => {
    expect(reduceAuditUrl('https://claude.ai:8443/chat/abc?q=1', 'origin')).toBe('https://claude.ai:8443');
  });
  it('never records content carried by data: or javascript: URLs', () => {
    expect(reduceAuditUrl('data:text/html,<h1>client list</h1>', 'path')).toBe('data:');
    expect(reduceAuditUrl('javascript:alert(1)', 'path')).toBe('javascript:');
  });
  it('gives null for missing or unparseable URLs', () => {
    expect(reduceAuditUrl(null, 'path')).toBeNull();
    expect(reduceAuditUrl('not a url', 'path')).toBeNull();
  });
});

describe('makeAuditEvent', () => {
  it('fills every field of the schema from the input and the context', () => {
    const e = event({ type: 'warn-proceeded', detail: { justification: 'approved by desk head' } });
    expect(v.safeParse(AuditEventSchema, e).success).toBe(true);
    expect(e).toMatchObject({
      time: '2026-11-20T09:00:00.000Z',
      type: 'warn-proceeded',
      office: 'HK',
      groups: ['traders'],
      tool: 'claude',
      rule: 'HK-ANTHROPIC',
      policySerial: 42,
      extensionVersion: '0.1.0',
      url: 'https://claude.ai/new',
      detail: { justification: 'approved by desk head' },
    });
  });
  it('defaults tool, rule and url to null and omits an absent detail', () => {
    const e = makeAuditEvent({ type: 'fail-closed-entered' }, CONTEXT, { id: uuid(), now: NOW, extensionVersion: '1' });
    expect(e.tool).toBeNull();
    expect(e.rule).toBeNull();
    expect(e.url).toBeNull();
    expect('detail' in e).toBe(false);
  });
  it('bounds free text so a pasted essay cannot bloat the queue', () => {
    const e = event({ detail: { justification: 'x'.repeat(50_000) } });
    expect(String(e.detail?.justification).length).toBeLessThanOrEqual(1001);
    const huge = event({
      detail: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'y'.repeat(900)])),
    });
    expect(huge.detail).toEqual({ truncated: true, bytes: expect.any(Number) });
  });
  it('rejects an unknown event type at runtime', () => {
    expect(v.safeParse(AuditEventSchema, { ...event(), type: 'exfiltrated' }).success).toBe(false);
  });
});

describe('queue cap', () => {
  it('drops the oldest events past the cap and counts them', () => {
    let s = emptyAuditQueue();
    const all: AuditEvent[] = [];
    for (let i = 0; i < 7; i++) {
      const e = event();
      all.push(e);
      s = appendAuditEvent(s, e, { cap: 5, now: NOW });
    }
    expect(s.events.map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id));
    expect(s.dropped).toBe(2);
    expect(s.droppedSince).toBe('2026-11-20T09:00:00.000Z');
  });
  it('reports the count in a dropped event at the head, then resets it', () => {
    let s = emptyAuditQueue();
    for (let i = 0; i < 8; i++) s = appendAuditEvent(s, event(), { cap: 5, now: NOW });
    const report = event({ type: 'dropped', tool: null, rule: null, url: null }, NOW + 1000);
    s = reportDropped(s, report);
    expect(s.dropped).toBe(0);
    expect(s.events[0]).toMatchObject({
      id: report.id,
      type: 'dropped',
      detail: { count: 3, since: '2026-11-20T09:00:00.000Z', until: report.time },
    });
    expect(reportDropped(s, event({ type: 'dropped' }))).toBe(s); // nothing pending: unchanged
  });
  it('never drops a dropped event or an event in flight', () => {
    let s = queueOf(3);
    s = { ...s, dropped: 4, droppedSince: new Date(NOW).toISOString() };
    s = reportDropped(s, event({ type: 'dropped' }));
    const inFlight = s.events[1]!.id;
    for (let i = 0; i < 3; i++) s = appendAuditEvent(s, event(), { cap: 4, now: NOW, protect: new Set([inFlight]) });
    expect(s.events[0]!.type).toBe('dropped');
    expect(s.events.map((e) => e.id)).toContain(inFlight);
    expect(s.events).toHaveLength(4);
    expect(s.dropped).toBe(3);
  });
  it('uses the default cap of 10,000', () => {
    const s = queueOf(10_001);
    expect(s.events).toHaveLength(10_000);
    expect(s.dropped).toBe(1);
  });
});

describe('batches', () => {
  it('takes at most 100 events, oldest first', () => {
    const s = queueOf(250);
    const batch = takeAuditBatch(s, 'json');
    expect(batch).toHaveLength(AUDIT_BATCH_MAX_EVENTS);
    expect(batch[0]!.id).toBe(s.events[0]!.id);
  });
  it('keeps the encoded body under the byte limit', () => {
    let s = emptyAuditQueue();
    for (let i = 0; i < 100; i++)
      s = appendAuditEvent(s, event({ detail: { justification: 'é'.repeat(900) } }), { now: NOW });
    for (const format of ['json', 'splunk-hec'] as const) {
      const batch = takeAuditBatch(s, format, { maxBytes: 20_000 });
      expect(batch.length).toBeGreaterThan(1);
      expect(batch.length).toBeLessThan(100);
      const { body } = encodeAuditBatch(batch, format);
      expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(20_000);
      const next = takeAuditBatch({ ...s, events: s.events.slice(0, batch.length + 1) }, format, { maxBytes: 20_000 });
      expect(next).toHaveLength(batch.length); // one more would not have fitted
    }
  });
  it('sends an oversized single event alone rather than blocking the queue', () => {
    const s = queueOf(3);
    expect(takeAuditBatch(s, 'json', { maxBytes: 10 })).toHaveLength(1);
  });
  it('encodes the JSON body as {"events": [...]}', () => {
    const batch = queueOf(2).events;
    const { body, contentType } = encodeAuditBatch(batch, 'json');
    expect(contentType).toBe('application/json');
    expect(JSON.parse(body)).toEqual({ events: batch });
  });
  it('encodes Splunk HEC as newline-separated objects with epoch-second time', () => {
    const batch = queueOf(2).events;
    const lines = encodeAuditBatch(batch, 'splunk-hec')
      .body.split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual(batch.map((e) => ({ time: NOW / 1000, sourcetype: 'ai-geofence', event: e })));
  });
  it('acknowledges by id, keeping events appended meanwhile, and clears the backoff', () => {
    let s = queueOf(3);
    const third = s.events[2]!.id;
    const batch = takeAuditBatch(s, 'json', { maxEvents: 2 });
    s = { ...s, attempt: 4, nextAttemptAt: NOW + 5000 };
    const late = event();
    s = appendAuditEvent(s, late, { now: NOW });
    s = acknowledgeAuditBatch(
      s,
      batch.map((e) => e.id),
      NOW,
      'delivered 2 event(s)',
    );
    expect(s.events.map((e) => e.id)).toEqual([third, late.id]);
    expect(s).toMatchObject({
      attempt: 0,
      nextAttemptAt: null,
      lastDelivery: { ok: true, message: 'delivered 2 event(s)' },
    });
  });
});

describe('backoff', () => {
  it('is full jitter under an exponential ceiling', () => {
    expect(backoffDelay(0, () => 0.999999)).toBe(AUDIT_BACKOFF_BASE_MS - 1);
    expect(backoffDelay(3, () => 0.5)).toBe(4 * AUDIT_BACKOFF_BASE_MS);
    expect(backoffDelay(0, () => 0)).toBe(0);
  });
  it('never exceeds the cap of one hour, even after many attempts', () => {
    expect(backoffDelay(10, () => 0.999999)).toBeLessThan(AUDIT_BACKOFF_CAP_MS);
    expect(backoffDelay(5000, () => 0.999999)).toBeLessThan(AUDIT_BACKOFF_CAP_MS);
    expect(backoffDelay(10, () => 0.999999)).toBeGreaterThan(AUDIT_BACKOFF_CAP_MS - 10);
  });
});

describe('classifyDelivery', () => {
  const at = { now: NOW };
  it('treats 2xx as delivered', () => {
    expect(classifyDelivery({ status: 200 }, at)).toEqual({ kind: 'delivered' });
    expect(classifyDelivery({ status: 204 }, at)).toEqual({ kind: 'delivered' });
  });
  it('retries 408, 429, 5xx and network errors', () => {
    for (const status of [408, 429, 500, 502, 503]) expect(classifyDelivery({ status }, at).kind).toBe('retry');
    expect(classifyDelivery(null, { now: NOW, error: 'timed out after 15 s' })).toEqual({
      kind: 'retry',
      message: 'timed out after 15 s',
      retryAfterMs: null,
    });
  });
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(classifyDelivery({ status: 429, retryAfter: '120' }, at)).toMatchObject({ retryAfterMs: 120_000 });
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter('soon', NOW)).toBeNull();
  });
  it('reports other 4xx as a rejected batch with what the collector said', () => {
    const outcome = classifyDelivery({ status: 400, bodyText: '{"error":\n "missing field"}' }, at);
    expect(outcome).toEqual({
      kind: 'rejected',
      message: 'collector rejected the batch with HTTP 400: {"error": "missing field"}',
    });
    expect(classifyDelivery({ status: 413 }, at).kind).toBe('rejected');
    expect(classifyDelivery({ status: 401 }, at).kind).toBe('rejected');
  });
});

describe('recordAuditFailure', () => {
  it('keeps the events and schedules the next attempt with jitter', () => {
    const s = recordAuditFailure(
      queueOf(2),
      { kind: 'retry', message: 'collector answered HTTP 503', retryAfterMs: null },
      NOW,
      () => 0.5,
    );
    expect(s.events).toHaveLength(2);
    expect(s.attempt).toBe(1);
    expect(s.nextAttemptAt).toBe(NOW + AUDIT_BACKOFF_BASE_MS / 2);
    expect(s.lastDelivery).toMatchObject({ ok: false, message: expect.stringContaining('HTTP 503; 2 event(s) kept') });
    const again = recordAuditFailure(s, { kind: 'retry', message: 'x', retryAfterMs: null }, NOW, () => 0.5);
    expect(again.nextAttemptAt).toBe(NOW + AUDIT_BACKOFF_BASE_MS);
  });
  it('waits at least as long as Retry-After asks, up to the cap', () => {
    expect(
      recordAuditFailure(queueOf(1), { kind: 'retry', message: 'x', retryAfterMs: 600_000 }, NOW, () => 0)
        .nextAttemptAt,
    ).toBe(NOW + 600_000);
    expect(
      recordAuditFailure(queueOf(1), { kind: 'retry', message: 'x', retryAfterMs: 86_400_000 }, NOW, () => 0)
        .nextAttemptAt,
    ).toBe(NOW + AUDIT_BACKOFF_CAP_MS);
  });
  it('backs a rejected batch off to the cap and keeps it', () => {
    const s = recordAuditFailure(
      queueOf(3),
      { kind: 'rejected', message: 'collector rejected the batch with HTTP 400' },
      NOW,
      () => 0,
    );
    expect(s.events).toHaveLength(3);
    expect(s.nextAttemptAt).toBe(NOW + AUDIT_BACKOFF_CAP_MS);
    expect(s.lastDelivery?.message).toMatch(/^collector rejected the batch with HTTP 400; 3 event\(s\) kept/);
  });
});

describe('parseAuditQueue', () => {
  it('round-trips a stored queue', () => {
    const s = recordAuditFailure(queueOf(3), { kind: 'retry', message: 'x', retryAfterMs: null }, NOW, () => 0.5);
    expect(parseAuditQueue(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });
  it('salvages valid events from a damaged value and counts the rest as dropped', () => {
    const good = queueOf(2).events;
    const s = parseAuditQueue({ events: [good[0], { id: 'nope' }, good[1]], dropped: 'many', attempt: -1 });
    expect(s.events).toEqual(good);
    expect(s.dropped).toBe(1);
    expect(s.attempt).toBe(0);
  });
  it('starts empty from nothing', () => {
    expect(parseAuditQueue(undefined)).toEqual(emptyAuditQueue());
  });
});

describe('ledger fields in the queue', () => {
  it('stamps the policy hash of the context on every event, null when none', () => {
    const hash = 'b'.repeat(64);
    expect(
      makeAuditEvent(
        { type: 'block' },
        { ...CONTEXT, policyHash: hash },
        { id: uuid(), now: NOW, extensionVersion: '1' },
      ).policyHash,
    ).toBe(hash);
    expect(event().policyHash).toBeNull();
  });
  it('tracks the seq range of dropped events for the dropped report', () => {
    let s = emptyAuditQueue();
    for (let i = 0; i < 7; i++) s = appendAuditEvent(s, { ...event(), seq: i }, { cap: 4, now: NOW });
    expect(s.droppedSeqs).toEqual({ first: 0, last: 2 });
    const detail = droppedAuditDetail(s, NOW + 1000);
    expect(detail).toEqual({
      count: 3,
      since: '2026-11-20T09:00:00.000Z',
      until: '2026-11-20T09:00:01.000Z',
      firstSeq: 0,
      lastSeq: 2,
    });
    const report = { ...event({ type: 'dropped', detail }), seq: 7 };
    s = prependDroppedReport(s, report);
    expect(s.events[0]).toBe(report);
    expect(s).toMatchObject({ dropped: 0, droppedSince: null, droppedSeqs: null });
  });
  it('round-trips the ledger head and the last heartbeat through storage, and ignores damaged ones', () => {
    const s = {
      ...queueOf(1),
      ledger: { source: '11111111-1111-4111-8111-111111111111', seq: 12, head: 'c'.repeat(64) },
      droppedSeqs: { first: 3, last: 5 },
      lastHeartbeat: { at: NOW, key: '["HK",42]' },
    };
    expect(parseAuditQueue(JSON.parse(JSON.stringify(s)))).toEqual(s);
    const damaged = parseAuditQueue({
      ...s,
      ledger: { source: 'x', seq: -1, head: 'nope' },
      lastHeartbeat: 'yesterday',
    });
    expect(damaged).toMatchObject({ ledger: null, lastHeartbeat: null });
  });
});

describe('heartbeats', () => {
  const detail = heartbeatDetail({
    office: 'HK',
    policySerial: 42,
    policyHash: 'd'.repeat(64),
    rulesInstalled: 9,
    incognitoAllowed: true,
    extensionVersion: '0.2.0',
    mode: 'enforcing',
  });
  it('builds the detail with every field, missing values as null', () => {
    expect(heartbeatDetail({ extensionVersion: '0.2.0', mode: 'waiting-config' })).toEqual({
      office: null,
      policySerial: null,
      policyHash: null,
      rulesInstalled: 0,
      incognitoAllowed: null,
      extensionVersion: '0.2.0',
      mode: 'waiting-config',
    });
  });
  it('is due first, then daily', () => {
    expect(heartbeatDue(null, detail, NOW)).toBe(true);
    const mark = heartbeatMark(detail, NOW);
    expect(heartbeatDue(mark, detail, NOW + HEARTBEAT_INTERVAL_MS - 1)).toBe(false);
    expect(heartbeatDue(mark, detail, NOW + HEARTBEAT_INTERVAL_MS)).toBe(true);
  });
  it('is due at once when the policy, office, mode or incognito access changes, not for a rule count', () => {
    const mark = heartbeatMark(detail, NOW);
    expect(heartbeatDue(mark, { ...detail, policySerial: 43, policyHash: 'e'.repeat(64) }, NOW + 1)).toBe(true);
    expect(heartbeatDue(mark, { ...detail, office: 'LDN' }, NOW + 1)).toBe(true);
    expect(heartbeatDue(mark, { ...detail, mode: 'fail-closed' }, NOW + 1)).toBe(true);
    expect(heartbeatDue(mark, { ...detail, incognitoAllowed: false }, NOW + 1)).toBe(true);
    expect(heartbeatDue(mark, { ...detail, rulesInstalled: 11 }, NOW + 1)).toBe(false);
  });
  it('is due when the clock went back, rather than going quiet until it catches up', () => {
    expect(heartbeatDue(heartbeatMark(detail, NOW), detail, NOW - 60_000)).toBe(true);
  });
});
