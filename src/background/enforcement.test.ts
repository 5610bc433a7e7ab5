/**
 * The worker's glue against a small in-memory fake of the browser APIs: how rules are installed
 * (one atomic call, only our ids), what survives a failed or conditional fetch, and that storage —
 * not the worker's memory — decides when an acknowledgement ends. Real Chromium proves the rest
 * (test/e2e/enforcement.spec.ts).
 */
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RULE_ID_MAX } from '../core/dnr/dnr.ts';
import { POLICY_JWS_TYP } from '../core/policy/policy-schema.ts';
import { CATALOGUE } from '../core/catalogue/catalogue.ts';
import { MAX_REGISTERED_PATTERNS } from '../core/plan/plan.ts';
import { fake, resetFakeBrowser } from '../../test/fakes/browser.ts';

vi.mock('../platform/browser.ts', async () => ({
  browser: (await import('../../test/fakes/browser.ts')).fake.browser,
}));

// The audit trail has its own tests; here it only has to accept events.
vi.mock('./audit.ts', () => ({
  recordAudit: vi.fn(async () => undefined),
  setAuditContext: vi.fn(),
  getAuditStatus: async () => ({ queued: 0, lastDelivery: null }),
  recordHeartbeat: vi.fn(async () => true),
  HEARTBEAT_ALARM: 'audit-heartbeat',
}));

vi.stubGlobal('__BROWSER__', 'chrome');

const DAY = 86_400_000;
let privateKey: CryptoKey;
let publicJwk: JWK & { kid: string };

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'compliance' };
});

function policyDoc(serial: number, rules: unknown[]): Record<string, unknown> {
  return {
    type: 'ai-geofence-policy',
    version: 1,
    serial,
    issued: new Date(Date.now() - DAY).toISOString(),
    expires: new Date(Date.now() + 30 * DAY).toISOString(),
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, LDN: { name: 'London', jurisdiction: 'GB' } },
    tools: { claude: { name: 'Claude', domains: ['claude.ai'] } },
    rules,
    defaultAction: 'allow',
  };
}

const sign = (doc: unknown) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(doc)))
    .setProtectedHeader({ alg: 'EdDSA', kid: 'compliance', typ: POLICY_JWS_TYP })
    .sign(privateKey);

const BLOCK_CLAUDE = [{ id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' }];
const WARN_CLAUDE = [{ id: 'WARN-CLAUDE', tools: ['claude'], action: 'warn', allowForMinutes: 1 }];

type Served = { status: number; body?: string; headers?: Record<string, string> } | Error;
let served: Served[] = [];
const requests: Array<{ url: string; headers: Record<string, string> }> = [];

vi.stubGlobal('fetch', async (url: string, init: { headers: Record<string, string> }) => {
  requests.push({ url, headers: init.headers });
  const next = served.shift();
  if (!next) throw new Error('no answer scripted');
  if (next instanceof Error) throw next;
  return new Response(next.status === 304 ? null : (next.body ?? ''), { status: next.status, headers: next.headers });
});

/** A new worker life: the update path and the modules tests read its effects through. */
async function load() {
  vi.resetModules();
  const enforcement = await import('./enforcement.ts');
  return {
    ...enforcement,
    ...(await import('./alarms.ts')),
    ...(await import('./decisions.ts')),
    ...(await import('./status.ts')),
    ...(await import('./snapshot-store.ts')),
  };
}

/** A value written to storage by something else (a test, another worker life): the worker's storage.onChanged listener. */
async function storeFromElsewhere(e: Awaited<ReturnType<typeof load>>, patch: Record<string, unknown>) {
  await fake.browser.storage.local.set(patch);
  await e.noteLocalChange(Object.keys(patch));
}

const redirectsTo = (page: string) =>
  fake.rules.some((r) => r.action?.redirect?.regexSubstitution.startsWith(`chrome-extension://test/${page}#`));

beforeEach(() => {
  resetFakeBrowser();
  fake.managed = {
    office: 'HK',
    policyUrl: 'https://policy.example/p.jws',
    trustedKeys: [publicJwk],
    refreshMinutes: 30,
  };
  served = [];
  requests.length = 0;
});

afterEach(() => {
  expect(served, 'every scripted answer was used').toEqual([]);
});

describe('installing rules', () => {
  it('replaces only our old rules, adding the new ones, in exactly one updateDynamicRules call', async () => {
    // Rules of an earlier policy (ours) and one outside our id range, which we must never touch.
    fake.rules = [{ id: 1 }, { id: 2 }, { id: 9 }, { id: RULE_ID_MAX + 5 }];
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)), headers: { etag: '"v42"' } }];
    const e = await load();
    await e.refreshPolicy('test');
    expect(fake.updates).toHaveLength(1);
    const [u] = fake.updates;
    expect(u!.removeRuleIds.sort()).toEqual([1, 2, 9]);
    expect(u!.addRules.length).toBeGreaterThan(0);
    expect(fake.rules.map((r) => r.id)).toContain(RULE_ID_MAX + 5);
    expect(redirectsTo('block.html')).toBe(true);
    expect(fake.alarms.get(e.REFRESH_ALARM)?.periodInMinutes).toBe(30);
  });

  it('makes no call at all when the compiled rules are already installed', async () => {
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) }];
    const e = await load();
    await e.refreshPolicy('test');
    await e.applyRules();
    expect(fake.updates).toHaveLength(1);
  });

  it('keeps the installed rules and says so when the browser refuses an update, and still schedules what comes next', async () => {
    served = [
      { status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) },
      {
        status: 200,
        body: await sign(policyDoc(43, [{ ...WARN_CLAUDE[0], until: new Date(Date.now() + 3_600_000).toISOString() }])),
      },
    ];
    const e = await load();
    await e.refreshPolicy('first');
    const installed = structuredClone(fake.rules);
    fake.failUpdate = 'Rule with id 1 specifies an incorrect value for the "regexFilter" key.';
    await e.refreshPolicy('scheduled refresh');
    expect(fake.rules).toEqual(installed);
    expect(redirectsTo('block.html')).toBe(true);
    expect(fake.local.lastApplied).toMatchObject({ serial: 42, error: expect.stringContaining('regexFilter') });
    expect(fake.alarms.has(e.RULES_ALARM)).toBe(true);
  });
});

describe('fetching', () => {
  it('verifies the stored policy again only when the record or the trusted keys changed', async () => {
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)), headers: { etag: '"v42"' } }];
    const e = await load();
    await e.refreshPolicy('first');
    const verify = vi.spyOn(crypto.subtle, 'verify');
    served = [{ status: 304 }];
    await e.refreshPolicy('scheduled refresh');
    expect(verify).not.toHaveBeenCalled();
    // IT retires the signing key: the stored policy no longer counts, and the fail mode applies.
    const other = await generateKeyPair('EdDSA', { extractable: true });
    fake.managed = { ...fake.managed, trustedKeys: [{ ...(await exportJWK(other.publicKey)), kid: 'compliance' }] };
    served = [new TypeError('Failed to fetch')];
    await e.refreshPolicy('managed configuration changed');
    expect(verify).toHaveBeenCalled();
    verify.mockRestore();
    expect((await e.statusOf(await e.ensureReady())).mode).toBe('fail-closed');
  });

  it('keeps the installed rules and the policy when a fetch fails, and says why', async () => {
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) }, new TypeError('Failed to fetch')];
    let e = await load();
    await e.refreshPolicy('first');
    const installed = structuredClone(fake.rules);
    // A new worker life (the old one was stopped), as after a restart: the fetch fails.
    e = await load();
    await e.refreshPolicy('browser started');
    expect(fake.updates).toHaveLength(1);
    expect(fake.rules).toEqual(installed);
    expect(fake.local.lastFetch).toMatchObject({
      ok: false,
      message: expect.stringContaining('cannot reach the policy server'),
    });
    expect((fake.local.lastApplied as { serial: number }).serial).toBe(42);
  });

  it('refuses a policy with a field it does not understand, keeps the last good one and names the field', async () => {
    const typo = [{ id: 'HK-CLAUDE', tools: ['claude'], exceptOffice: ['LDN'], action: 'block' }];
    served = [
      { status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) },
      { status: 200, body: await sign(policyDoc(43, typo)) },
    ];
    const { e, a } = await loadWithAudit();
    await e.refreshPolicy('first');
    await e.refreshPolicy('second');
    const status = await e.statusOf(await e.ensureReady());
    expect(status.policy?.serial).toBe(42);
    expect(status.lastRefusal).toMatchObject({
      code: 'invalid-policy',
      message: expect.stringContaining(
        '$.rules[0].exceptOffice: unknown field "exceptOffice"; did you mean "exceptOffices"?',
      ),
    });
    expect(e.decideNow(await e.ensureReady(), 'https://claude.ai/').rule?.id).toBe('HK-CLAUDE');
    expect(auditTypes(a)).toContain('policy-refused');
  });

  it('sends the stored validators back, keeps the policy on 304, and not to another URL', async () => {
    served = [
      {
        status: 200,
        body: await sign(policyDoc(42, BLOCK_CLAUDE)),
        headers: { etag: '"v42"', 'last-modified': 'Tue, 24 Nov 2026 00:00:00 GMT' },
      },
      { status: 304 },
    ];
    const e = await load();
    await e.refreshPolicy('first');
    await e.refreshPolicy('scheduled refresh');
    expect(requests[0]!.headers['If-None-Match']).toBeUndefined();
    expect(requests[1]!.headers).toMatchObject({
      'If-None-Match': '"v42"',
      'If-Modified-Since': 'Tue, 24 Nov 2026 00:00:00 GMT',
    });
    expect(fake.local.lastFetch).toMatchObject({ ok: true, message: expect.stringContaining('not modified') });
    expect(redirectsTo('block.html')).toBe(true);

    fake.managed = { ...fake.managed, policyUrl: 'https://elsewhere.example/p.jws' };
    served = [{ status: 500 }];
    await e.refreshPolicy('managed configuration changed');
    expect(requests[2]!.headers['If-None-Match']).toBeUndefined();
    expect(redirectsTo('block.html')).toBe(true);
  });

  it('treats a 304 to an unconditional request as a server fault', async () => {
    served = [{ status: 304 }];
    const e = await load();
    await e.refreshPolicy('first');
    expect(fake.local.lastFetch).toMatchObject({ ok: false, message: expect.stringContaining('304') });
  });
});

describe('time', () => {
  it('ends an acknowledgement from what storage says, even in a worker that saw it given', async () => {
    fake.managed = { ...fake.managed, office: 'LDN' };
    served = [{ status: 200, body: await sign(policyDoc(42, WARN_CLAUDE)) }];
    const e = await load();
    await e.refreshPolicy('first');
    expect(redirectsTo('warn.html')).toBe(true);
    const until = await e.acknowledge('claude', 1);
    expect(until).toBeGreaterThan(Date.now());
    expect(redirectsTo('warn.html')).toBe(false);
    expect(fake.alarms.get(e.RULES_ALARM)?.when).toBe(until + 500);
    // The minute is over: storage says so (written from elsewhere); the worker follows storage.
    fake.tabs = [{ id: 7, url: 'https://claude.ai/chat/1' }];
    await storeFromElsewhere(e, { acknowledged: { claude: Date.now() - 1 } });
    expect(redirectsTo('warn.html')).toBe(true);
    expect(fake.local.acknowledged).toEqual({});
    // The open tab goes back to the warning at once.
    expect(fake.moved).toEqual([{ tabId: 7, url: 'chrome-extension://test/warn.html#https://claude.ai/chat/1' }]);
  });

  it('schedules the rules alarm at the instant a rule window opens', async () => {
    const from = Date.now() + 3_600_000;
    served = [
      { status: 200, body: await sign(policyDoc(42, [{ ...BLOCK_CLAUDE[0], from: new Date(from).toISOString() }])) },
    ];
    const e = await load();
    await e.refreshPolicy('first');
    expect(redirectsTo('block.html')).toBe(false);
    expect(fake.alarms.get(e.RULES_ALARM)?.when).toBe(from + 500);
  });
});

describe('content scripts', () => {
  it('registers the banner script only on warned and monitored tools, in every frame', async () => {
    fake.managed = { ...fake.managed, office: 'LDN' };
    served = [{ status: 200, body: await sign(policyDoc(42, WARN_CLAUDE)) }];
    const e = await load();
    await e.refreshPolicy('first');
    // The policy lists claude.ai; the catalogue's Claude domains stay beside it.
    const matches = [...new Set(['claude.ai', ...CATALOGUE.claude!.domains])]
      .sort()
      .flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]);
    expect(fake.contentScripts).toEqual([
      expect.objectContaining({ id: 'ai-geofence-content', matches, allFrames: true }),
    ]);
  });

  it('injects on demand instead of registering thousands of patterns, and only into monitored or warned tools', async () => {
    const e = await load();
    const domains = Array.from({ length: MAX_REGISTERED_PATTERNS }, (_, i) => `ai${i}.example`);
    const doc = {
      ...policyDoc(42, [{ id: 'MON', tools: ['many'], action: 'monitor' }]),
      tools: { claude: { name: 'Claude', domains: ['claude.ai'] }, many: { name: 'Many', domains } },
    };
    served = [{ status: 200, body: await sign(doc) }];
    await e.refreshPolicy('first');
    expect(fake.contentScripts).toEqual([]);
    await e.injectOnDemand(7, 'https://www.ai12.example/chat');
    await e.injectOnDemand(8, 'https://claude.ai/');
    await e.injectOnDemand(9, 'https://news.example/');
    expect(fake.injected).toEqual([{ tabId: 7, files: ['content.js'] }]);
  });
});

describe('notice snapshot', () => {
  it('is written after an apply for the pages to paint from, and removed when no policy is in force', async () => {
    const { explainFromSnapshot, NOTICE_SNAPSHOT_KEY, shardKey, shardOf } = await import(
      '../core/decide/notice-snapshot.ts'
    );
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) }];
    const e = await load();
    await e.refreshPolicy('first');
    await e.noticeSnapshotWritten();
    const meta = fake.local[NOTICE_SNAPSHOT_KEY] as Parameters<typeof explainFromSnapshot>[0];
    expect(meta!.status.policy?.serial).toBe(42);
    const shard = fake.local[shardKey(shardOf('www.claude.ai', meta!.shards))] as Parameters<
      typeof explainFromSnapshot
    >[1];
    expect(explainFromSnapshot(meta, shard, 'https://www.claude.ai/new')).toMatchObject({
      action: 'block',
      ruleId: 'HK-CLAUDE',
      tool: { id: 'claude' },
      office: { code: 'HK' },
    });
    // An expired policy leaves no snapshot behind: fail-closed pages wait for the worker.
    served = [
      {
        status: 200,
        body: await sign({ ...policyDoc(43, BLOCK_CLAUDE), expires: new Date(Date.now() + 1000).toISOString() }),
      },
    ];
    await e.refreshPolicy('second');
    // Past its expiry on the clock alone: only Date is faked, the worker's promises run as usual.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 1100);
    await e.applyRules().finally(() => vi.useRealTimers());
    await e.noticeSnapshotWritten();
    expect(fake.local[NOTICE_SNAPSHOT_KEY]).toBeUndefined();
    expect(Object.keys(fake.local).filter((k) => k.startsWith(`${NOTICE_SNAPSHOT_KEY}.`))).toEqual([]);
  });
});

// What the background does with the discovery detector's report (docs/beyond-domains.md).
describe('discovery of unlisted AI tools', () => {
  async function setUp(unlistedAiAction: string, managed: Record<string, unknown> = {}) {
    vi.clearAllMocks();
    Object.assign(fake.managed, managed);
    served = [{ status: 200, body: await sign({ ...policyDoc(42, BLOCK_CLAUDE), unlistedAiAction }) }];
    const e = await load();
    const d = await import('./discovery.ts');
    const a = (await import('./audit.ts')) as unknown as { recordAudit: ReturnType<typeof vi.fn> };
    await e.refreshPolicy('first');
    const discovered = () =>
      a.recordAudit.mock.calls
        .map((c) => c[0] as { type: string; url: string; detail: Record<string, unknown> })
        .filter((x) => x.type === 'discovered-tool');
    return { e, d, discovered };
  }
  const blocksDomain = (domain: string) =>
    fake.rules.some((r) => r.action?.type === 'redirect' && r.condition?.requestDomains?.includes(domain));

  it('records an unlisted host once a day, blocks it by network rule and moves its open tab', async () => {
    const { d, discovered } = await setUp('block');
    // The detector goes into loaded web pages that are not a listed tool — not registered on every page.
    expect(fake.contentScripts).toEqual([]);
    await d.injectDetector(5, 'https://news.example/today');
    await d.injectDetector(6, 'https://claude.ai/new');
    await d.injectDetector(7, 'chrome-extension://test/block.html');
    expect(fake.injected).toEqual([{ tabId: 5, files: ['discovery.js'] }]);
    fake.tabs = [{ id: 3, url: 'https://chat.nova.example/c/1' }];
    expect(await d.reportDiscovered('https://chat.nova.example/c/1', ['chat-input', 'name', 'evil'])).toEqual({
      ok: true,
      listed: false,
      action: 'block',
    });
    expect(discovered()).toEqual([
      {
        type: 'discovered-tool',
        url: 'https://chat.nova.example',
        detail: {
          host: 'chat.nova.example',
          origin: 'https://chat.nova.example',
          signals: ['name', 'chat-input'],
          action: 'block',
          enforceable: true,
        },
      },
    ]);
    expect(blocksDomain('chat.nova.example')).toBe(true);
    expect(fake.moved).toContainEqual({
      tabId: 3,
      url: 'chrome-extension://test/block.html#https://chat.nova.example/c/1',
    });
    // Reported again the same day (a warn-acknowledged visit, another tab): remembered, not re-recorded.
    await d.reportDiscovered('https://chat.nova.example/other', ['name', 'chat-input']);
    expect(discovered()).toHaveLength(1);
    expect(Object.keys(fake.local.discovered as object)).toEqual(['chat.nova.example']);
  });

  it('ignores listed tools, and records but does not enforce under "allow", IP hosts and without a policy decision', async () => {
    const { d, discovered } = await setUp('allow');
    expect(await d.reportDiscovered('https://claude.ai/new', ['name', 'chat-input'])).toEqual({
      ok: true,
      listed: true,
      action: null,
    });
    expect(await d.reportDiscovered('https://chatgpt.com/', ['name', 'chat-input'])).toEqual({
      ok: true,
      listed: true,
      action: null,
    }); // the catalogue
    expect(await d.reportDiscovered('https://www.nova.example/', ['name', 'chat-input'])).toEqual({
      ok: true,
      listed: false,
      action: 'allow',
    });
    expect(await d.reportDiscovered('http://10.1.2.3:8080/', ['ai-endpoint', 'name'])).toMatchObject({
      ok: true,
      action: 'allow',
    });
    expect(discovered().map((x) => [x.detail.host, x.detail.enforceable])).toEqual([
      ['nova.example', true],
      ['10.1.2.3', false],
    ]);
    expect(blocksDomain('nova.example')).toBe(false);
    expect(await d.reportDiscovered('chrome-extension://test/block.html', ['name'])).toEqual({
      ok: false,
      listed: false,
      action: null,
    });
    expect(await d.reportDiscovered(undefined, ['name'])).toEqual({ ok: false, listed: false, action: null });
  });

  it('injects the detector only into a page that stayed loaded a moment, never into the next one', async () => {
    const { d } = await setUp('block');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      fake.tabs = [
        { id: 5, url: 'https://news.example/a', status: 'complete' },
        { id: 6, url: 'https://news.example/b', status: 'complete' },
        { id: 7, url: 'https://news.example/next', status: 'complete' },
      ];
      d.scheduleDetector(5, 'https://news.example/a'); // stays
      d.scheduleDetector(6, 'https://news.example/b'); // the employee moves on: a new document starts loading
      d.cancelDetector(6);
      d.scheduleDetector(7, 'https://news.example/c'); // the tab already shows another page when the time comes
      d.scheduleDetector(8, 'https://news.example/d'); // closed meanwhile
      await vi.advanceTimersByTimeAsync(d.DETECTOR_DELAY_MS - 1);
      expect(fake.injected).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      await vi.waitFor(() => expect(fake.injected).toEqual([{ tabId: 5, files: ['discovery.js'] }]));
    } finally {
      vi.useRealTimers();
    }
  });

  it('managed "discovery": false injects no detector and records nothing', async () => {
    const { d, discovered } = await setUp('block', { discovery: false });
    await d.injectDetector(5, 'https://nova.example/');
    expect(fake.injected).toEqual([]);
    expect(await d.reportDiscovered('https://nova.example/', ['name', 'chat-input'])).toEqual({
      ok: false,
      listed: false,
      action: null,
    });
    expect(discovered()).toEqual([]);
    expect(blocksDomain('nova.example')).toBe(false);
  });

  it('a host the next policy lists is decided by that policy, no longer as unlisted', async () => {
    const { e, d } = await setUp('block');
    await d.reportDiscovered('https://nova.example/', ['name', 'chat-input']);
    expect(blocksDomain('nova.example')).toBe(true);
    served = [
      {
        status: 200,
        body: await sign({
          ...policyDoc(43, BLOCK_CLAUDE),
          unlistedAiAction: 'block',
          tools: {
            claude: { name: 'Claude', domains: ['claude.ai'] },
            nova: { name: 'Nova', domains: ['nova.example'] },
          },
        }),
      },
    ];
    await e.refreshPolicy('second');
    expect(blocksDomain('nova.example')).toBe(false);
  });
});

// The background half of compliance evidence (docs/compliance.md).
async function loadWithAudit() {
  // The mocks outlive a test; only this test's calls count.
  vi.clearAllMocks();
  const e = await load();
  // After resetModules the mock is made anew; this import returns the instance enforcement.ts uses.
  const a = await import('./audit.ts');
  return {
    e,
    a: a as unknown as {
      recordAudit: ReturnType<typeof vi.fn>;
      recordHeartbeat: ReturnType<typeof vi.fn>;
      setAuditContext: ReturnType<typeof vi.fn>;
    },
  };
}

const auditTypes = (a: { recordAudit: ReturnType<typeof vi.fn> }) =>
  a.recordAudit.mock.calls.map((c) => (c[0] as { type: string }).type);

/** A policy that may be 24 hours stale; Hong Kong fails closed, London (no failMode) open. */
function stalePolicyDoc(serial: number): Record<string, unknown> {
  const doc = policyDoc(serial, WARN_CLAUDE);
  return {
    ...doc,
    maxStalenessHours: 24,
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK', failMode: 'closed' },
      LDN: { name: 'London', jurisdiction: 'GB' },
    },
  };
}

describe('a new policy put in force', () => {
  it('records policy-applied once its rules are installed, and names its serial once its record is stored', async () => {
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) }];
    const { e, a } = await loadWithAudit();
    a.recordAudit.mockImplementation(async (event: { type: string }) => void fake.calls.push(`audit:${event.type}`));
    await e.refreshPolicy('first');
    const at = (call: string) => fake.calls.indexOf(call);
    expect(at('audit:policy-applied')).toBeGreaterThan(at('updateDynamicRules'));
    expect(at('set:lastApplied')).toBeGreaterThan(at('set:policyRecord'));
    expect(at('set:lastApplied')).toBeGreaterThan(at('updateDynamicRules'));
    expect(fake.calls.filter((c) => c === 'audit:policy-applied')).toHaveLength(1);
  });

  it('records no policy-applied while the browser refuses its rules, and records it when they go in', async () => {
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) }];
    const { e, a } = await loadWithAudit();
    fake.failUpdate = 'Rule with id 1 specifies an incorrect value for the "regexFilter" key.';
    await e.refreshPolicy('first');
    expect(auditTypes(a)).not.toContain('policy-applied');
    fake.failUpdate = null;
    await e.applyRules();
    expect(auditTypes(a).filter((t) => t === 'policy-applied')).toHaveLength(1);
    expect((fake.local.lastApplied as { serial: number }).serial).toBe(42);
  });

  it('reads the installed rules back once per worker life, and after a refused update', async () => {
    served = [
      { status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) },
      { status: 200, body: await sign(policyDoc(43, WARN_CLAUDE)) },
    ];
    const e = await load();
    await e.refreshPolicy('first');
    await e.refreshPolicy('second');
    expect(fake.updates).toHaveLength(2);
    expect(fake.calls.filter((c) => c === 'getDynamicRules')).toHaveLength(1);
    expect(redirectsTo('warn.html')).toBe(true);
    fake.failUpdate = 'refused';
    await e.acknowledge('claude', 1);
    fake.failUpdate = null;
    await e.applyRules();
    expect(fake.calls.filter((c) => c === 'getDynamicRules')).toHaveLength(2);
  });
});

describe('audit context and heartbeats', () => {
  it('ties audit events to the policy hash and records a heartbeat after each apply, with an hourly alarm', async () => {
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) }];
    const { e, a } = await loadWithAudit();
    await e.refreshPolicy('first');
    const hash = (fake.local.policyRecord as { payloadHash: string }).payloadHash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.setAuditContext).toHaveBeenLastCalledWith(expect.objectContaining({ policySerial: 42, policyHash: hash }));
    expect(a.recordHeartbeat).toHaveBeenLastCalledWith({
      office: 'HK',
      policySerial: 42,
      policyHash: hash,
      rulesInstalled: fake.rules.length,
      incognitoAllowed: false,
      extensionVersion: '0.0.0',
      mode: 'enforcing',
    });
    expect(fake.alarms.get('audit-heartbeat')).toEqual({ periodInMinutes: 60 });
  });

  it('reports no policy hash in a heartbeat once the policy has expired', async () => {
    served = [
      {
        status: 200,
        body: await sign({ ...policyDoc(42, BLOCK_CLAUDE), expires: new Date(Date.now() + 1000).toISOString() }),
      },
    ];
    const { e, a } = await loadWithAudit();
    await e.refreshPolicy('first');
    vi.useFakeTimers({ now: Date.now() + 5000, toFake: ['Date'] });
    try {
      await e.applyRules();
    } finally {
      vi.useRealTimers();
    }
    expect(a.recordHeartbeat).toHaveBeenLastCalledWith(
      expect.objectContaining({ policySerial: null, policyHash: null, mode: 'fail-closed' }),
    );
  });
});

describe('an office the policy does not define', () => {
  it.each([
    ['closed', true],
    ['open', false],
  ] as const)('is a configuration error: fail-%s, named in the status and recorded once', async (failMode, blocks) => {
    fake.managed = { ...fake.managed, office: 'hk', failMode };
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) }, { status: 304 }];
    const { e, a } = await loadWithAudit();
    await e.refreshPolicy('first');
    const r = await e.ensureReady();
    const status = await e.statusOf(r);
    expect(status.mode).toBe(`fail-${failMode}`);
    expect(status.officeProblem).toMatchObject({ office: 'hk', valid: ['HK', 'LDN'], suggestion: 'HK' });
    expect(status.policy).toMatchObject({ serial: 42, expired: false });
    // Not the policy's rules for "no office" (which would allow Claude): the fail mode, on every catalogue tool.
    expect(redirectsTo('block.html')).toBe(blocks);
    expect(e.decideNow(r, 'https://claude.com/').action).toBe(blocks ? 'block' : 'allow');
    expect(e.decideNow(r, 'https://chatgpt.com/').basis).toBe(`fail-${failMode}`);
    const recorded = a.recordAudit.mock.calls
      .map((c) => c[0] as { type: string; detail: Record<string, unknown> })
      .filter((x) => x.type === 'config-invalid');
    expect(recorded).toEqual([
      {
        type: 'config-invalid',
        detail: expect.objectContaining({
          office: 'hk',
          validOffices: ['HK', 'LDN'],
          suggestion: 'HK',
          errors: [expect.stringContaining('did you mean "HK"')],
        }),
      },
    ]);
    await e.refreshPolicy('again');
    expect(auditTypes(a).filter((t) => t === 'config-invalid')).toHaveLength(1);
  });

  it('enforces the policy again once IT corrects the office', async () => {
    fake.managed = { ...fake.managed, office: 'HONGKONG' };
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) }, { status: 304 }];
    const e = await load();
    await e.refreshPolicy('first');
    expect((await e.statusOf(await e.ensureReady())).officeProblem?.suggestion).toBe('HK');
    fake.managed = { ...fake.managed, office: 'HK' };
    await e.refreshPolicy('corrected');
    const status = await e.statusOf(await e.ensureReady());
    expect([status.mode, status.officeProblem]).toEqual(['enforcing', null]);
    expect(e.decideNow(await e.ensureReady(), 'https://claude.ai/').rule?.id).toBe('HK-CLAUDE');
  });
});

describe('stale policies', () => {
  it('restarts the staleness clock on a verified policy and on a 304, never on an error', async () => {
    served = [{ status: 200, body: await sign(stalePolicyDoc(42)), headers: { etag: '"v42"' } }];
    const e = await load();
    await e.refreshPolicy('first');
    const first = fake.local.lastConfirmedAt as string;
    expect(Date.parse(first)).toBeGreaterThan(Date.now() - 60_000);
    await storeFromElsewhere(e, { lastConfirmedAt: new Date(Date.now() - 3_600_000).toISOString() });
    const before = fake.local.lastConfirmedAt as string;
    served = [new TypeError('Failed to fetch')];
    await e.refreshPolicy('scheduled refresh');
    expect(fake.local.lastConfirmedAt).toBe(before);
    served = [{ status: 304 }];
    await e.refreshPolicy('scheduled refresh');
    expect(Date.parse(fake.local.lastConfirmedAt as string)).toBeGreaterThan(Date.parse(before));
  });

  it('turns warn into block for a stale-closed office, says since when, and recovers on confirmation', async () => {
    served = [{ status: 200, body: await sign(stalePolicyDoc(42)), headers: { etag: '"v42"' } }];
    const { e, a } = await loadWithAudit();
    await e.refreshPolicy('first');
    expect(redirectsTo('warn.html')).toBe(true);
    // The rules alarm fires when the policy goes stale (24 h after confirmation), the earliest instant.
    const confirmed = Date.parse(fake.local.lastConfirmedAt as string);
    expect(fake.alarms.get(e.RULES_ALARM)?.when).toBe(confirmed + 24 * 3_600_000 + 500);

    // Two days without a successful fetch, as a worker woken by the alarm finds it in storage.
    const longAgo = new Date(Date.now() - 2 * DAY).toISOString();
    await storeFromElsewhere(e, { lastConfirmedAt: longAgo });
    expect(redirectsTo('warn.html')).toBe(false);
    expect(redirectsTo('block.html')).toBe(true);
    const r = await e.ensureReady();
    expect(e.decideNow(r, 'https://claude.ai/').action).toBe('block');
    const since = new Date(Date.parse(longAgo) + DAY).toISOString();
    expect((await e.statusOf(r)).policy?.stale).toEqual({ since, failMode: 'closed' });
    expect(a.recordAudit).toHaveBeenCalledWith({
      type: 'stale-closed-entered',
      detail: { since, maxStalenessHours: 24 },
    });
    expect(a.recordHeartbeat).toHaveBeenLastCalledWith(expect.objectContaining({ mode: 'stale-closed' }));
    // Applying again while still stale records nothing new.
    await e.applyRules();
    expect(auditTypes(a).filter((t) => t === 'stale-closed-entered')).toHaveLength(1);

    served = [{ status: 304 }];
    await e.refreshPolicy('scheduled refresh');
    expect(redirectsTo('warn.html')).toBe(true);
    expect((await e.statusOf(r)).policy?.stale).toBeNull();
    expect(auditTypes(a)).toContain('stale-closed-left');
  });

  it('keeps enforcing the last policy as it is in an office that does not fail closed', async () => {
    fake.managed = { ...fake.managed, office: 'LDN' };
    served = [{ status: 200, body: await sign(stalePolicyDoc(42)) }];
    const { e, a } = await loadWithAudit();
    await e.refreshPolicy('first');
    await storeFromElsewhere(e, { lastConfirmedAt: new Date(Date.now() - 2 * DAY).toISOString() });
    expect(redirectsTo('warn.html')).toBe(true);
    expect(redirectsTo('block.html')).toBe(false);
    const r = await e.ensureReady();
    expect(e.decideNow(r, 'https://claude.ai/').action).toBe('warn');
    // Stale is still reported (the popup says so), with the office's fail mode: open.
    expect((await e.statusOf(r)).policy?.stale).toMatchObject({ failMode: 'open' });
    expect(auditTypes(a)).not.toContain('stale-closed-entered');
  });
});

describe('signed exceptions', () => {
  const EXC_URL = 'https://policy.example/exceptions.jws';
  const excDoc = (serial: number, until: number) => ({
    type: 'ai-geofence-exceptions',
    version: 1,
    serial,
    issued: new Date(Date.now() - DAY).toISOString(),
    expires: new Date(Date.now() + 7 * DAY).toISOString(),
    exceptions: [
      {
        id: 'EXC-1',
        user: 'u-123',
        tool: 'claude',
        offices: ['HK'],
        until: new Date(until).toISOString(),
        ticket: 'CHG-1',
        approver: 'Head of Compliance',
      },
    ],
  });
  const signExc = (doc: unknown, key: CryptoKey, kid = 'compliance') =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(doc)))
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'ai-geofence-exceptions+jws' })
      .sign(key);

  it('lifts the block for the named employee until the exception ends, and says so', async () => {
    fake.managed = { ...fake.managed, userId: 'u-123', exceptionsUrl: EXC_URL };
    const until = Date.now() + 3_600_000;
    served = [
      { status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) },
      { status: 200, body: await signExc(excDoc(3, until), privateKey) },
    ];
    const { e, a } = await loadWithAudit();
    await e.refreshPolicy('first');
    expect(requests.map((q) => q.url)).toEqual(['https://policy.example/p.jws', EXC_URL]);
    expect(redirectsTo('block.html')).toBe(false);
    const r = await e.ensureReady();
    expect(e.decideNow(r, 'https://claude.ai/').action).toBe('allow');
    const { exceptionNow } = await import('./exceptions.ts');
    expect(exceptionNow(r, 'claude')).toEqual({
      id: 'EXC-1',
      until: new Date(until).toISOString(),
      ticket: 'CHG-1',
      approver: 'Head of Compliance',
    });
    expect(a.recordAudit).toHaveBeenCalledWith({
      type: 'exceptions-applied',
      detail: expect.objectContaining({ serial: 3, signers: ['compliance'], count: 1 }),
    });
    // The block comes back on time: the rules alarm fires when the exception ends.
    expect(fake.alarms.get(e.RULES_ALARM)?.when).toBe(until + 500);
    // A new worker life re-verifies the stored document and keeps the exception.
    const e2 = await load();
    expect(e2.decideNow(await e2.ensureReady(), 'https://claude.ai/').action).toBe('allow');
  });

  it('gives another employee nothing from the same document', async () => {
    fake.managed = { ...fake.managed, userId: 'someone-else', exceptionsUrl: EXC_URL };
    served = [
      { status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) },
      { status: 200, body: await signExc(excDoc(3, Date.now() + 3_600_000), privateKey) },
    ];
    const e = await load();
    await e.refreshPolicy('first');
    expect(redirectsTo('block.html')).toBe(true);
    const { exceptionNow } = await import('./exceptions.ts');
    expect(exceptionNow(await e.ensureReady(), 'claude')).toBeNull();
  });

  it('refuses a document signed by an untrusted key and keeps the block', async () => {
    fake.managed = { ...fake.managed, userId: 'u-123', exceptionsUrl: EXC_URL };
    const attacker = await generateKeyPair('EdDSA');
    served = [
      { status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) },
      { status: 200, body: await signExc(excDoc(3, Date.now() + 3_600_000), attacker.privateKey, 'compliance') },
    ];
    const { e, a } = await loadWithAudit();
    await e.refreshPolicy('first');
    expect(redirectsTo('block.html')).toBe(true);
    expect(fake.local.exceptionsRecord ?? null).toBeNull();
    expect(a.recordAudit).toHaveBeenCalledWith({
      type: 'exceptions-refused',
      detail: { code: expect.any(String), reason: expect.any(String) },
    });
  });

  it('says in the status when the exceptions document cannot be updated, and keeps the one in force', async () => {
    fake.managed = { ...fake.managed, userId: 'u-123', exceptionsUrl: EXC_URL };
    served = [
      { status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)), headers: { etag: '"v42"' } },
      { status: 200, body: await signExc(excDoc(3, Date.now() + 3_600_000), privateKey) },
    ];
    const e = await load();
    await e.refreshPolicy('first');
    let status = await e.statusOf(await e.ensureReady());
    expect(status.exceptions).toMatchObject({ url: EXC_URL, serial: 3, forYou: 1, lastFetch: { ok: true } });
    served = [{ status: 304 }, { status: 503, body: 'down' }];
    await e.refreshPolicy('scheduled refresh');
    status = await e.statusOf(await e.ensureReady());
    expect(status.exceptions).toMatchObject({
      serial: 3,
      forYou: 1,
      lastFetch: { ok: false, message: expect.stringMatching(/503/) },
    });
    expect(redirectsTo('block.html')).toBe(false);
    expect(e.decideNow(await e.ensureReady(), 'https://claude.ai/').action).toBe('allow');
  });

  it('drops the exceptions when IT removes exceptionsUrl', async () => {
    fake.managed = { ...fake.managed, userId: 'u-123', exceptionsUrl: EXC_URL };
    served = [
      { status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)), headers: { etag: '"v42"' } },
      { status: 200, body: await signExc(excDoc(3, Date.now() + 3_600_000), privateKey) },
    ];
    const e = await load();
    await e.refreshPolicy('first');
    expect(redirectsTo('block.html')).toBe(false);
    const { exceptionsUrl: _removed, ...rest } = fake.managed;
    fake.managed = rest;
    served = [{ status: 304 }];
    await e.refreshPolicy('managed configuration changed');
    expect(redirectsTo('block.html')).toBe(true);
    expect(fake.local.exceptionsRecord).toBeNull();
  });
});

describe('versioned notice acknowledgements', () => {
  const ACK_RULE = (version: number) => [
    { ...BLOCK_CLAUDE[0], requireAcknowledgement: true, notice: { title: 'Do not use', version } },
  ];

  it('records the notice version in force once, refuses other versions, and forgets it when the version changes', async () => {
    served = [{ status: 200, body: await sign(policyDoc(42, ACK_RULE(2))) }];
    const { e, a } = await loadWithAudit();
    await e.refreshPolicy('first');
    expect(await e.acknowledgeNotice('HK-CLAUDE', 1)).toMatchObject({
      ok: false,
      error: expect.stringContaining('version 2'),
    });
    expect(await e.acknowledgeNotice('NO-SUCH-RULE', 1)).toMatchObject({ ok: false });
    expect(await e.acknowledgeNotice('HK-CLAUDE', 2)).toMatchObject({
      ok: true,
      evidence: 'read notice HK-CLAUDE v2 of policy serial 42',
    });
    await e.acknowledgeNotice('HK-CLAUDE', 2);
    expect(a.recordAudit.mock.calls.filter((c) => (c[0] as { type: string }).type === 'notice-acknowledged')).toEqual([
      [
        {
          type: 'notice-acknowledged',
          rule: 'HK-CLAUDE',
          detail: { version: 2, serial: 42, evidence: 'read notice HK-CLAUDE v2 of policy serial 42' },
        },
      ],
    ]);
    expect(Object.keys(fake.local.noticeAcks as object)).toHaveLength(1);
    // A new serial with the same notice version keeps it; a new version prunes it.
    served = [{ status: 200, body: await sign(policyDoc(43, ACK_RULE(2))) }];
    await e.refreshPolicy('scheduled refresh');
    expect(Object.keys(fake.local.noticeAcks as object)).toHaveLength(1);
    served = [{ status: 200, body: await sign(policyDoc(44, ACK_RULE(3))) }];
    await e.refreshPolicy('scheduled refresh');
    expect(fake.local.noticeAcks).toEqual({});
  });
});
