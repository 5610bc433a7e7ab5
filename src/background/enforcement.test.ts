/**
 * The worker's glue against a small in-memory fake of the browser APIs: how rules are installed
 * (one atomic call, only our ids), what survives a failed or conditional fetch, and that storage —
 * not the worker's memory — decides when an acknowledgement ends. Real Chromium proves the rest
 * (test/e2e/enforcement.spec.ts).
 */
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RULE_ID_MAX, type DnrRule } from '../core/dnr.ts';
import { POLICY_JWS_TYP } from '../core/policy-schema.ts';

interface FakeBrowser {
  local: Record<string, unknown>;
  managed: Record<string, unknown>;
  rules: Array<{ id: number } & Partial<DnrRule>>;
  updates: Array<{ removeRuleIds: number[]; addRules: DnrRule[] }>;
  alarms: Map<string, { when?: number; periodInMinutes?: number }>;
  tabs: Array<{ id: number; url: string }>;
  moved: Array<{ tabId: number; url: string }>;
  contentScripts: Array<{ id: string; matches: string[] }>;
  /** When set, updateDynamicRules rejects with this message (as Chromium does for a bad rule). */
  failUpdate: string | null;
}

const fake: FakeBrowser = {
  local: {}, managed: {}, rules: [], updates: [], alarms: new Map(), tabs: [], moved: [], contentScripts: [], failUpdate: null,
};

const clone = <T>(v: T): T => structuredClone(v);

vi.mock('../platform/browser.ts', () => ({
  browser: {
    runtime: {
      id: 'test',
      getURL: (p: string) => `chrome-extension://test/${p}`,
      getManifest: () => ({ version: '0.0.0' }),
    },
    storage: {
      local: {
        get: async (keys?: string | string[] | null) => {
          const list = keys == null ? Object.keys(fake.local) : Array.isArray(keys) ? keys : [keys];
          return Object.fromEntries(list.filter((k) => k in fake.local).map((k) => [k, clone(fake.local[k])]));
        },
        set: async (patch: Record<string, unknown>) => void Object.assign(fake.local, clone(patch)),
      },
      managed: { get: async () => clone(fake.managed) },
    },
    declarativeNetRequest: {
      getDynamicRules: async () => clone(fake.rules),
      updateDynamicRules: async (u: { removeRuleIds: number[]; addRules: DnrRule[] }) => {
        if (fake.failUpdate) throw new Error(fake.failUpdate);
        fake.updates.push(clone(u));
        const ids = new Set(u.removeRuleIds);
        fake.rules = [...fake.rules.filter((r) => !ids.has(r.id)), ...clone(u.addRules)];
      },
    },
    alarms: {
      create: async (name: string, info: { when?: number; periodInMinutes?: number }) => void fake.alarms.set(name, info),
      clear: async (name: string) => fake.alarms.delete(name),
    },
    scripting: {
      getRegisteredContentScripts: async (f?: { ids?: string[] }) => clone(fake.contentScripts.filter((c) => !f?.ids || f.ids.includes(c.id))),
      registerContentScripts: async (s: Array<{ id: string; matches: string[] }>) => void fake.contentScripts.push(...clone(s)),
      unregisterContentScripts: async (f?: { ids?: string[] }) => void (fake.contentScripts = fake.contentScripts.filter((c) => f?.ids && !f.ids.includes(c.id))),
      executeScript: async () => [],
    },
    tabs: {
      query: async () => clone(fake.tabs),
      update: async (tabId: number, { url }: { url: string }) => {
        fake.moved.push({ tabId, url });
        return { id: tabId, url };
      },
    },
  },
}));

// The audit trail has its own tests; here it only has to accept events.
vi.mock('./audit.ts', () => ({
  recordAudit: vi.fn(async () => undefined),
  setAuditContext: vi.fn(),
  getAuditStatus: async () => ({ queued: 0, lastDelivery: null }),
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
    type: 'ai-geofence-policy', version: 1, serial,
    issued: new Date(Date.now() - DAY).toISOString(), expires: new Date(Date.now() + 30 * DAY).toISOString(),
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, LDN: { name: 'London', jurisdiction: 'GB' } },
    tools: { claude: { name: 'Claude', domains: ['claude.ai'] } },
    rules, defaultAction: 'allow',
  };
}

const sign = (doc: unknown) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(doc))).setProtectedHeader({ alg: 'EdDSA', kid: 'compliance', typ: POLICY_JWS_TYP }).sign(privateKey);

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
  return new Response(next.status === 304 ? null : next.body ?? '', { status: next.status, headers: next.headers });
});

async function load() {
  vi.resetModules();
  return import('./enforcement.ts');
}

const redirectsTo = (page: string) => fake.rules.some((r) => r.action?.redirect?.regexSubstitution.startsWith(`chrome-extension://test/${page}#`));

beforeEach(() => {
  Object.assign(fake, { local: {}, rules: [], updates: [], alarms: new Map(), tabs: [], moved: [], contentScripts: [], failUpdate: null });
  fake.managed = { office: 'HK', policyUrl: 'https://policy.example/p.jws', trustedKeys: [publicJwk], refreshMinutes: 30 };
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
      { status: 200, body: await sign(policyDoc(43, [{ ...WARN_CLAUDE[0], until: new Date(Date.now() + 3_600_000).toISOString() }])) },
    ];
    const e = await load();
    await e.refreshPolicy('first');
    const installed = clone(fake.rules);
    fake.failUpdate = 'Rule with id 1 specifies an incorrect value for the "regexFilter" key.';
    await e.refreshPolicy('scheduled refresh');
    expect(fake.rules).toEqual(installed);
    expect(redirectsTo('block.html')).toBe(true);
    expect(fake.local.lastApplied).toMatchObject({ serial: 42, error: expect.stringContaining('regexFilter') });
    expect(fake.alarms.has(e.RULES_ALARM)).toBe(true);
  });
});

describe('fetching', () => {
  it('keeps the installed rules and the policy when a fetch fails, and says why', async () => {
    served = [{ status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)) }, new TypeError('Failed to fetch')];
    let e = await load();
    await e.refreshPolicy('first');
    const installed = clone(fake.rules);
    // A new worker life (the old one was stopped), as after a restart: the fetch fails.
    e = await load();
    await e.refreshPolicy('browser started');
    expect(fake.updates).toHaveLength(1);
    expect(fake.rules).toEqual(installed);
    expect(fake.local.lastFetch).toMatchObject({ ok: false, message: expect.stringContaining('cannot reach the policy server') });
    expect((fake.local.lastApplied as { serial: number }).serial).toBe(42);
  });

  it('sends the stored validators back, keeps the policy on 304, and not to another URL', async () => {
    served = [
      { status: 200, body: await sign(policyDoc(42, BLOCK_CLAUDE)), headers: { etag: '"v42"', 'last-modified': 'Tue, 24 Nov 2026 00:00:00 GMT' } },
      { status: 304 },
    ];
    const e = await load();
    await e.refreshPolicy('first');
    await e.refreshPolicy('scheduled refresh');
    expect(requests[0]!.headers['If-None-Match']).toBeUndefined();
    expect(requests[1]!.headers).toMatchObject({ 'If-None-Match': '"v42"', 'If-Modified-Since': 'Tue, 24 Nov 2026 00:00:00 GMT' });
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
    // The minute is over (written as a slept-through worker would find it); the rules alarm fires.
    fake.local.acknowledged = { claude: Date.now() - 1 };
    fake.tabs = [{ id: 7, url: 'https://claude.ai/chat/1' }];
    await e.applyRules();
    expect(redirectsTo('warn.html')).toBe(true);
    expect(fake.local.acknowledged).toEqual({});
    // The open tab goes back to the warning at once.
    expect(fake.moved).toEqual([{ tabId: 7, url: 'chrome-extension://test/warn.html#https://claude.ai/chat/1' }]);
  });

  it('schedules the rules alarm at the instant a rule window opens', async () => {
    const from = Date.now() + 3_600_000;
    served = [{ status: 200, body: await sign(policyDoc(42, [{ ...BLOCK_CLAUDE[0], from: new Date(from).toISOString() }])) }];
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
    expect(fake.contentScripts).toEqual([expect.objectContaining({ id: 'ai-geofence-content', matches: ['*://claude.ai/*', '*://*.claude.ai/*'], allFrames: true })]);
  });
});
