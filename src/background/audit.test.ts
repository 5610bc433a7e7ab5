import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { heartbeatDetail, type AuditContext, type AuditEvent } from '../core/audit/audit.ts';
import { auditEventHash, parseEventLines, verifyLedger } from '../core/audit/ledger.ts';
import { fake, resetFakeBrowser } from '../../test/fakes/browser.ts';

type AuditModule = typeof import('./audit.ts');

vi.mock('../platform/browser.ts', async () => ({
  browser: (await import('../../test/fakes/browser.ts')).fake.browser,
}));

const URL_ = 'http://127.0.0.1:8787/collect?token=secret';
const CONTEXT: AuditContext = {
  office: 'HK',
  groups: ['traders'],
  policySerial: 42,
  auditUrl: URL_,
  format: 'json',
  urlDetail: 'path',
};

/** A scripted collector: each request gets the next answer; what it accepted is kept by id. */
interface Answer {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  networkError?: boolean;
  hang?: boolean;
}
let answers: Answer[] = [];
let requests: { url: string; body: string; contentType: string | null; headers: Headers; gzipped: boolean }[] = [];
let accepted: string[] = [];

function eventsOf(body: string): AuditEvent[] {
  if (body.startsWith('{"events"')) return (JSON.parse(body) as { events: AuditEvent[] }).events;
  if (body.startsWith('{"resourceLogs"')) {
    const doc = JSON.parse(body) as {
      resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body: { stringValue: string } }> }> }>;
    };
    return doc.resourceLogs.flatMap((r) =>
      r.scopeLogs.flatMap((sl) => sl.logRecords.map((l) => JSON.parse(l.body.stringValue) as AuditEvent)),
    );
  }
  return body.split('\n').map((line) => (JSON.parse(line) as { event: AuditEvent }).event); // Splunk HEC
}

const fetchFake = vi.fn(async (url: string, init: RequestInit): Promise<Response> => {
  const headers = new Headers(init.headers);
  const gzipped = headers.get('Content-Encoding') === 'gzip';
  // A gzip body is decoded as a collector would; anything else must be the text itself.
  const body = gzipped
    ? await new Response(
        new Blob([init.body as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip')),
      ).text()
    : String(init.body);
  requests.push({ url, body, contentType: headers.get('Content-Type'), headers, gzipped });
  const answer = answers.shift() ?? { status: 200 };
  if (answer.networkError) throw new TypeError('Failed to fetch');
  if (answer.hang) {
    return new Promise((_resolve, reject) => {
      init.signal?.addEventListener('abort', () =>
        reject(new DOMException('The operation was aborted.', 'AbortError')),
      );
    });
  }
  const status = answer.status ?? 200;
  if (status >= 200 && status < 300) accepted.push(...eventsOf(body).map((e) => e.id));
  return new Response(answer.body ?? '{}', { status, headers: answer.headers });
});

/** Start (or restart) the worker: a stopped worker's timers die with it; storage and alarms remain. */
async function freshWorker(): Promise<AuditModule> {
  await settle();
  vi.clearAllTimers();
  vi.resetModules();
  return import('./audit.ts');
}

function storedEvents(): AuditEvent[] {
  return (fake.local.auditQueue as { events?: AuditEvent[] } | undefined)?.events ?? [];
}

/** Let pending storage ticks and promise chains settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.parse('2026-11-20T09:00:00Z') });
  resetFakeBrowser();
  // A macrotask per storage call, so concurrent callers really interleave as in the browser.
  fake.slowStorage = true;
  answers = [];
  requests = [];
  accepted = [];
  fetchFake.mockClear();
  vi.stubGlobal('fetch', fetchFake);
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function configured(ctx: Partial<AuditContext> = {}): Promise<AuditModule> {
  const audit = await freshWorker();
  audit.setAuditContext({ ...CONTEXT, ...ctx });
  await settle();
  return audit;
}

describe('recordAudit', () => {
  it('has the event in storage when it resolves, with the context and a reduced URL', async () => {
    const audit = await configured();
    await audit.recordAudit({
      type: 'block',
      tool: 'claude',
      rule: 'HK-ANTHROPIC',
      url: 'https://u:p@claude.ai/chat/1?q=secret#x',
    });
    const [event] = storedEvents();
    expect(event).toMatchObject({
      type: 'block',
      office: 'HK',
      groups: ['traders'],
      tool: 'claude',
      rule: 'HK-ANTHROPIC',
      policySerial: 42,
      extensionVersion: '0.0.0',
      url: 'https://claude.ai/chat/1',
      time: '2026-11-20T09:00:00.000Z',
    });
    expect(event?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reduces URLs to the origin when IT asks for it', async () => {
    const audit = await configured({ urlDetail: 'origin' });
    await audit.recordAudit({ type: 'monitor-visit', url: 'https://chatgpt.com/c/123' });
    expect(storedEvents()[0]?.url).toBe('https://chatgpt.com');
  });

  it('persists both of two concurrent calls', async () => {
    const audit = await configured();
    await Promise.all([
      audit.recordAudit({ type: 'warn-shown', tool: 'claude' }),
      audit.recordAudit({ type: 'warn-proceeded', tool: 'claude', detail: { justification: 'client request' } }),
    ]);
    const events = storedEvents();
    expect(events.map((e) => e.type).sort()).toEqual(['warn-proceeded', 'warn-shown']);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  });

  it('persists every one of many concurrent calls across a delivery in flight', async () => {
    const audit = await configured();
    await audit.recordAudit({ type: 'block' });
    answers = [{ status: 200 }];
    const delivery = audit.deliverAuditNow();
    await Promise.all(Array.from({ length: 20 }, () => audit.recordAudit({ type: 'block' })));
    await delivery;
    await audit.deliverAuditNow();
    expect(accepted).toHaveLength(21);
    expect(new Set(accepted).size).toBe(21);
    expect(storedEvents()).toHaveLength(0);
  });

  it('rejects (the event is not recorded) when storage refuses the write', async () => {
    const audit = await configured();
    fake.failWrites = true;
    await expect(audit.recordAudit({ type: 'block' })).rejects.toThrow(/quota/);
    fake.failWrites = false;
    await audit.recordAudit({ type: 'monitor-visit' });
    expect(storedEvents().map((e) => e.type)).toEqual(['monitor-visit']);
    expect((await audit.getAuditStatus()).queued).toBe(1);
  });
});

describe('delivery', () => {
  it('posts a debounced batch and arms a durable alarm behind it', async () => {
    const audit = await configured();
    await audit.recordAudit({ type: 'block' });
    await audit.recordAudit({ type: 'block' });
    await settle();
    expect(fake.alarms.get(audit.AUDIT_ALARM)?.when).toBe(Date.now() + 30_000);
    expect(fetchFake).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ url: URL_, contentType: 'application/json' });
    expect(eventsOf(requests[0]!.body)).toHaveLength(2);
    expect(storedEvents()).toHaveLength(0);
    expect(fake.alarms.has(audit.AUDIT_ALARM)).toBe(false);
    expect((await audit.getAuditStatus()).lastDelivery).toMatchObject({
      ok: true,
      message: 'delivered 2 event(s) to http://127.0.0.1:8787/collect',
    });
  });

  it('keeps the events when the collector is unreachable and schedules the retry on an alarm', async () => {
    const audit = await configured();
    await audit.recordAudit({ type: 'block' });
    answers = [{ networkError: true }];
    await audit.deliverAuditNow();
    expect(storedEvents()).toHaveLength(1);
    // attempt 0, random 0.5: half of the 30 s base
    expect(fake.alarms.get(audit.AUDIT_ALARM)?.when).toBe(Date.now() + 15_000);
    const status = await audit.getAuditStatus();
    expect(status.queued).toBe(1);
    expect(status.lastDelivery).toMatchObject({
      ok: false,
      message: expect.stringContaining('unreachable (Failed to fetch); 1 event(s) kept'),
    });
    expect(status.lastDelivery?.message).not.toContain('secret');
  });

  it('delivers exactly once after a 500 then a 200', async () => {
    const audit = await configured();
    await audit.recordAudit({ type: 'block' });
    await audit.recordAudit({ type: 'policy-applied' });
    answers = [{ status: 500, body: 'upstream down' }, { status: 200 }];
    await audit.handleAuditAlarm();
    expect(accepted).toEqual([]);
    expect(storedEvents()).toHaveLength(2);

    // The alarm fires early (e.g. an older one): still backing off, nothing is sent.
    await audit.handleAuditAlarm();
    expect(requests).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(15_000);
    await audit.handleAuditAlarm();
    expect(requests).toHaveLength(2);
    expect(accepted).toHaveLength(2);
    expect(new Set(accepted)).toEqual(new Set(eventsOf(requests[0]!.body).map((e) => e.id)));
    expect(storedEvents()).toHaveLength(0);

    await audit.handleAuditAlarm();
    expect(requests).toHaveLength(2); // nothing left to send
  });

  it('keeps a batch the collector rejects with 400, reports why, and backs off to an hour', async () => {
    const audit = await configured();
    await audit.recordAudit({ type: 'block' });
    answers = [{ status: 400, body: '{"error":"unknown field tool"}' }];
    await audit.deliverAuditNow();
    expect(storedEvents()).toHaveLength(1);
    expect(fake.alarms.get(audit.AUDIT_ALARM)?.when).toBe(Date.now() + 3_600_000);
    const status = await audit.getAuditStatus();
    expect(status.lastDelivery).toMatchObject({
      ok: false,
      message: expect.stringContaining('rejected the batch with HTTP 400: {"error":"unknown field tool"}'),
    });
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    await audit.handleAuditAlarm();
    expect(requests).toHaveLength(1);
  });

  it('sends the managed headers, OTLP logs and gzip bodies; says a 401 plainly and keeps every event', async () => {
    const audit = await configured({ format: 'otlp', headers: { Authorization: 'Bearer s3cret-token-value' } });
    for (let i = 0; i < 5; i++)
      await audit.recordAudit({ type: 'block', tool: 'claude', rule: 'HK-ANTHROPIC', url: 'https://claude.ai/' });
    answers = [{ status: 401, body: '{"error":"a valid token is required"}' }];
    await audit.deliverAuditNow();
    expect(requests[0]!.headers.get('Authorization')).toBe('Bearer s3cret-token-value');
    expect(requests[0]!.gzipped).toBe(true);
    expect(eventsOf(requests[0]!.body)).toHaveLength(5);
    expect(storedEvents()).toHaveLength(5);
    const status = await audit.getAuditStatus();
    expect(status.lastDelivery!.message).toMatch(
      /^the collector requires credentials \(HTTP 401 Unauthorized: .*\): check the managed key auditHeaders .*; 5 event\(s\) kept/,
    );
    expect(status.lastDelivery!.message).not.toContain('s3cret');
    // Not retried every few seconds as if transient: the next attempt is an hour away...
    expect(fake.alarms.get(audit.AUDIT_ALARM)?.when).toBe(Date.now() + 3_600_000);
    // ...unless IT fixes the header: a new collector identity, no inherited backoff.
    audit.setAuditContext({ ...CONTEXT, format: 'otlp', headers: { Authorization: 'Bearer the-right-token' } });
    await settle();
    await vi.advanceTimersByTimeAsync(3_000);
    await audit.handleAuditAlarm(); // joins the delivery the debounce started (gzip is not timer-driven)
    expect(requests).toHaveLength(2);
    expect(requests[1]!.headers.get('Authorization')).toBe('Bearer the-right-token');
    expect(storedEvents()).toHaveLength(0);
    expect(new Set(accepted).size).toBe(5);
  });

  it('sends small bodies, and every body when compression is "none", uncompressed', async () => {
    const audit = await configured({ compression: 'none' });
    for (let i = 0; i < 5; i++) await audit.recordAudit({ type: 'block', tool: 'claude' });
    await audit.deliverAuditNow();
    expect(requests[0]!.gzipped).toBe(false);
    expect(requests[0]!.headers.get('Content-Encoding')).toBeNull();
    const small = await configured();
    await small.recordAudit({ type: 'stale-closed-left' });
    await small.deliverAuditNow();
    expect(requests[1]!.body.length).toBeLessThan(1024);
    expect(requests[1]!.gzipped).toBe(false);
  });

  it('honours Retry-After on 429', async () => {
    const audit = await configured();
    await audit.recordAudit({ type: 'block' });
    answers = [{ status: 429, headers: { 'Retry-After': '600' } }];
    await audit.deliverAuditNow();
    expect(fake.alarms.get(audit.AUDIT_ALARM)?.when).toBe(Date.now() + 600_000);
  });

  it('gives up on a collector that does not answer within 15 s and keeps the events', async () => {
    const audit = await configured();
    await audit.recordAudit({ type: 'block' });
    answers = [{ hang: true }];
    const delivery = audit.deliverAuditNow();
    await vi.advanceTimersByTimeAsync(15_000);
    await delivery;
    expect(storedEvents()).toHaveLength(1);
    expect((await audit.getAuditStatus()).lastDelivery?.message).toMatch(/did not answer within 15 s/);
  });

  it('resumes after a worker restart from storage alone', async () => {
    let audit = await configured();
    await audit.recordAudit({ type: 'block' });
    await audit.recordAudit({ type: 'warn-shown' });
    answers = [{ status: 503 }];
    await audit.deliverAuditNow();
    const ids = storedEvents().map((e) => e.id);

    // The worker is stopped: a new module instance, same storage and alarms, no setAuditContext yet.
    audit = await freshWorker();
    await vi.advanceTimersByTimeAsync(15_000);
    await audit.handleAuditAlarm();
    expect(accepted).toEqual(ids);
    expect(requests[1]?.url).toBe(URL_);
    expect((await audit.getAuditStatus()).queued).toBe(0);
  });

  it('re-arms delivery when the context is set again after a browser restart lost the alarm', async () => {
    let audit = await configured();
    await audit.recordAudit({ type: 'block' });
    fake.alarms.clear();
    audit = await freshWorker();
    audit.setAuditContext(CONTEXT);
    await settle();
    expect(fake.alarms.has(audit.AUDIT_ALARM)).toBe(true);
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(accepted).toHaveLength(1);
  });

  it('sends Splunk HEC lines when configured', async () => {
    const audit = await configured({ format: 'splunk-hec' });
    await audit.recordAudit({ type: 'block' });
    await audit.recordAudit({ type: 'monitor-visit' });
    answers = [{ status: 200, body: '{"text":"Success","code":0}' }];
    await audit.deliverAuditNow();
    const lines = requests[0]!.body
      .split('\n')
      .map((l) => JSON.parse(l) as { time: number; sourcetype: string; event: AuditEvent });
    expect(lines.map((l) => l.event.type)).toEqual(['block', 'monitor-visit']);
    expect(lines[0]).toMatchObject({ time: Date.now() / 1000, sourcetype: 'ai-geofence' });
    expect(accepted).toHaveLength(2);
    expect(storedEvents()).toHaveLength(0);
  });

  it('reports events dropped past the cap in a dropped event delivered first', async () => {
    const audit = await configured({ auditUrl: null });
    const queued = Array.from({ length: 3 }, () => ({ type: 'block' as const }));
    for (const e of queued) await audit.recordAudit(e);
    // Simulate an overflow recorded by an earlier worker.
    const stored = fake.local.auditQueue as Record<string, unknown>;
    fake.local.auditQueue = { ...stored, dropped: 7, droppedSince: '2026-11-19T00:00:00.000Z' };
    const restarted = await freshWorker();
    restarted.setAuditContext(CONTEXT);
    await settle();
    await restarted.deliverAuditNow();
    const sent = eventsOf(requests[0]!.body);
    expect(sent[0]).toMatchObject({
      type: 'dropped',
      office: 'HK',
      detail: { count: 7, since: '2026-11-19T00:00:00.000Z' },
    });
    expect(sent).toHaveLength(4);
  });
});

describe('without a collector', () => {
  it('queues events, sends nothing, says so, and delivers once IT configures one', async () => {
    const audit = await configured({ auditUrl: null });
    await audit.recordAudit({
      type: 'config-invalid',
      detail: { errors: ['managed key "office": must not be empty'] },
    });
    await vi.advanceTimersByTimeAsync(60_000);
    await audit.handleAuditAlarm();
    expect(fetchFake).not.toHaveBeenCalled();
    expect(fake.alarms.size).toBe(0);
    const status = await audit.getAuditStatus();
    expect(status).toMatchObject({
      queued: 1,
      lastDelivery: { ok: false, message: expect.stringContaining('no audit collector configured') },
    });

    audit.setAuditContext(CONTEXT);
    await settle();
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(accepted).toHaveLength(1);
    expect((await audit.getAuditStatus()).queued).toBe(0);
  });

  it('keeps the backoff when the config only passes through "no collector" at startup', async () => {
    let audit = await configured();
    await audit.recordAudit({ type: 'block' });
    answers = [{ status: 400 }];
    await audit.deliverAuditNow();
    audit = await freshWorker();
    audit.setAuditContext({ ...CONTEXT, auditUrl: null }); // managed storage not delivered yet
    audit.setAuditContext(CONTEXT);
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(requests).toHaveLength(1);
    expect(fake.alarms.get(audit.AUDIT_ALARM)?.when).toBe(Date.parse('2026-11-20T10:00:00Z'));
  });

  it('lets a new collector skip the backoff earned by the previous one', async () => {
    const audit = await configured();
    await audit.recordAudit({ type: 'block' });
    answers = [{ status: 404 }];
    await audit.deliverAuditNow();
    audit.setAuditContext({ ...CONTEXT, auditUrl: 'http://127.0.0.1:9999/' });
    await settle();
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(requests.map((r) => r.url)).toEqual([URL_, 'http://127.0.0.1:9999/']);
    expect(storedEvents()).toHaveLength(0);
  });
});

/** Verify events as audit-verify would, from the JSON lines a collector would have written. */
async function verifyEvents(events: readonly AuditEvent[]) {
  return verifyLedger(parseEventLines(events.map((e) => JSON.stringify(e)).join('\n')).events);
}

describe('the tamper-evident ledger', () => {
  const HASH = 'ab'.repeat(32);

  it('chains every stored event to the previous one under one source id, with the policy hash', async () => {
    const audit = await configured({ policyHash: HASH });
    await audit.recordAudit({ type: 'block' });
    await Promise.all([audit.recordAudit({ type: 'warn-shown' }), audit.recordAudit({ type: 'monitor-visit' })]);
    const events = storedEvents();
    expect(events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(new Set(events.map((e) => e.source)).size).toBe(1);
    expect(events[0]).toMatchObject({ prev: null, policyHash: HASH });
    expect(events[2]!.prev).toBe(await auditEventHash(events[1]));
    expect(await audit.getAuditLedger()).toEqual({
      source: events[0]!.source,
      seq: 3,
      head: await auditEventHash(events[2]),
    });
    expect((await verifyEvents(events)).problems).toEqual([]);
  });

  it('continues the same chain after the worker is stopped, from storage alone', async () => {
    let audit = await configured();
    await audit.recordAudit({ type: 'block' });
    audit = await freshWorker();
    await audit.recordAudit({ type: 'block' });
    const [a, b] = storedEvents();
    expect(b).toMatchObject({ source: a!.source, seq: 1, prev: await auditEventHash(a) });
  });

  it('does not advance the chain when storage refuses the event', async () => {
    const audit = await configured();
    await audit.recordAudit({ type: 'block' });
    fake.failWrites = true;
    await expect(audit.recordAudit({ type: 'warn-shown' })).rejects.toThrow(/quota/);
    fake.failWrites = false;
    await audit.recordAudit({ type: 'monitor-visit' });
    const events = storedEvents();
    expect(events.map((e) => [e.type, e.seq])).toEqual([
      ['block', 0],
      ['monitor-visit', 1],
    ]);
    expect((await verifyEvents(events)).problems).toEqual([]);
  });

  it('delivers a chain the collector can verify, across retries and batches', async () => {
    const audit = await configured();
    for (let i = 0; i < 150; i++) await audit.recordAudit({ type: 'block' });
    answers = [{ status: 503 }, { status: 200 }, { status: 200 }];
    await audit.deliverAuditNow();
    await vi.advanceTimersByTimeAsync(15_000);
    await audit.handleAuditAlarm();
    const delivered = requests.slice(1).flatMap((r) => eventsOf(r.body));
    expect(delivered).toHaveLength(150);
    const report = await verifyEvents(delivered);
    expect(report.problems).toEqual([]);
    expect(report.sources[0]).toMatchObject({ events: 150, firstSeq: 0, lastSeq: 149 });
  });

  it('seals the dropped report too, so the loss it reports verifies as reported', async () => {
    const audit = await configured({ auditUrl: null });
    for (let i = 0; i < 3; i++) await audit.recordAudit({ type: 'block' });
    // As if the queue had overflowed and dropped seq 1.
    const stored = fake.local.auditQueue as { events: AuditEvent[] } & Record<string, unknown>;
    fake.local.auditQueue = {
      ...stored,
      events: stored.events.filter((e) => e.seq !== 1),
      dropped: 1,
      droppedSince: '2026-11-20T08:00:00.000Z',
      droppedSeqs: { first: 1, last: 1 },
    };
    const restarted = await freshWorker();
    restarted.setAuditContext(CONTEXT);
    await settle();
    await restarted.deliverAuditNow();
    const sent = eventsOf(requests[0]!.body);
    expect(sent.map((e) => [e.type, e.seq])).toEqual([
      ['dropped', 3],
      ['block', 0],
      ['block', 2],
    ]);
    expect(sent[0]!.detail).toMatchObject({ count: 1, firstSeq: 1, lastSeq: 1 });
    const report = await verifyEvents(sent);
    expect(report.problems).toEqual([]);
    expect(report.warnings.map((w) => w.kind)).toEqual(['lost']);
  });
});

describe('recordHeartbeat', () => {
  const detail = heartbeatDetail({
    office: 'HK',
    policySerial: 42,
    policyHash: 'ab'.repeat(32),
    rulesInstalled: 7,
    incognitoAllowed: false,
    extensionVersion: '0.0.0',
    mode: 'enforcing',
  });

  it('records one when due, then not again until a day has passed or something changed', async () => {
    const audit = await configured({ auditUrl: null }); // nothing delivered: every heartbeat stays in the queue
    expect(await audit.recordHeartbeat(detail)).toBe(true);
    expect(await audit.recordHeartbeat(detail)).toBe(false);
    await vi.advanceTimersByTimeAsync(6 * 3_600_000);
    expect(await audit.recordHeartbeat({ ...detail, policySerial: 43 })).toBe(true);
    expect(await audit.recordHeartbeat({ ...detail, policySerial: 43 })).toBe(false);
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(await audit.recordHeartbeat({ ...detail, policySerial: 43 })).toBe(true);
    const beats = storedEvents().filter((e) => e.type === 'heartbeat');
    expect(beats).toHaveLength(3);
    expect(beats[0]).toMatchObject({ office: 'HK', detail });
  });

  it('sends one heartbeat for concurrent calls, and remembers it across a worker restart', async () => {
    let audit = await configured();
    const results = await Promise.all([
      audit.recordHeartbeat(detail),
      audit.recordHeartbeat(detail),
      audit.recordHeartbeat(detail),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    audit = await freshWorker();
    expect(await audit.recordHeartbeat(detail)).toBe(false);
    expect(storedEvents().filter((e) => e.type === 'heartbeat')).toHaveLength(1);
  });
});
