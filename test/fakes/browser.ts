/**
 * One in-memory fake of the extension APIs the worker uses, for unit tests of the glue: storage
 * areas (with onChanged), declarativeNetRequest (with the browser's rule limits), scripting
 * registrations, tabs, alarms and runtime. Tests mock src/platform/browser.ts with `fake.browser`
 * and call `resetFakeBrowser()` before each test; the state fields are plain data to inspect.
 *
 *   vi.mock('../platform/browser.ts', async () => ({ browser: (await import('../../test/fakes/browser.ts')).fake.browser }));
 *
 * Limits: https://developer.chrome.com/docs/extensions/reference/api/declarativeNetRequest#property-MAX_NUMBER_OF_DYNAMIC_RULES
 */
import type { DnrRule } from '../../src/core/dnr/dnr.ts';

/** Chromium's limits on dynamic rules (Chrome 121+): all rules, "unsafe" (redirect, modifyHeaders) rules, regex rules. */
export const DNR_LIMITS = { dynamic: 30_000, unsafe: 5_000, regex: 1_000 } as const;

type Listener = (changes: Record<string, { oldValue?: unknown; newValue?: unknown }>, area: string) => void;
type Registered = {
  id: string;
  matches: string[];
  js: string[];
  runAt?: string;
  allFrames?: boolean;
  world?: string;
  persistAcrossSessions?: boolean;
};

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

function matchesPattern(pattern: string, url: string): boolean {
  const m = /^(\*|https?):\/\/(\*\.)?([^/]+)\/\*$/.exec(pattern);
  if (!m) return false;
  const u = new URL(url);
  if (m[1] !== '*' && `${m[1]}:` !== u.protocol) return false;
  return u.hostname === m[3] || (!!m[2] && u.hostname.endsWith(`.${m[3]}`));
}

function createState() {
  return {
    local: {} as Record<string, unknown>,
    session: {} as Record<string, unknown>,
    managed: {} as Record<string, unknown>,
    rules: [] as Array<{ id: number } & Partial<DnrRule>>,
    updates: [] as Array<{ removeRuleIds: number[]; addRules: DnrRule[] }>,
    alarms: new Map<string, { when?: number; delayInMinutes?: number; periodInMinutes?: number }>(),
    tabs: [] as Array<{ id: number; url: string; status?: string }>,
    moved: [] as Array<{ tabId: number; url: string }>,
    contentScripts: [] as Registered[],
    injected: [] as Array<{ tabId: number; files: string[]; allFrames?: boolean }>,
    evicted: [] as unknown[],
    listeners: [] as Listener[],
    /** When set, updateDynamicRules rejects with this message (as Chromium does for a bad rule). */
    failUpdate: null as string | null,
    /** When true, storage.local.set rejects (a full quota). */
    failWrites: false,
    /** When true, every storage call waits a macrotask, so concurrent callers interleave as in the browser. */
    slowStorage: false,
    /** Local storage writes (`set:<key>`) and dynamic-rule reads and updates, in call order. */
    calls: [] as string[],
  };
}

type FakeState = ReturnType<typeof createState>;

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function area(name: 'local' | 'session' | 'managed') {
  const data = () => fake[name];
  const wait = async () => {
    if (fake.slowStorage) await tick();
  };
  const notify = (changes: Record<string, { oldValue?: unknown; newValue?: unknown }>) => {
    if (Object.keys(changes).length) for (const l of fake.listeners) l(clone(changes), name);
  };
  return {
    async get(keys?: string | string[] | null) {
      await wait();
      const d = data();
      const list = keys == null ? Object.keys(d) : Array.isArray(keys) ? keys : [keys];
      return Object.fromEntries(list.filter((k) => k in d).map((k) => [k, clone(d[k])]));
    },
    async set(patch: Record<string, unknown>) {
      if (name === 'local') fake.calls.push(...Object.keys(patch).map((k) => `set:${k}`));
      await wait();
      if (name === 'managed') throw new Error('storage.managed is read-only');
      if (fake.failWrites) throw new Error('QUOTA_BYTES quota exceeded');
      const changes: Record<string, { oldValue?: unknown; newValue?: unknown }> = {};
      for (const [k, v] of Object.entries(patch)) {
        changes[k] = { oldValue: clone(data()[k]), newValue: clone(v) };
        data()[k] = clone(v);
      }
      notify(changes);
    },
    async remove(keys: string | string[]) {
      await wait();
      const changes: Record<string, { oldValue?: unknown }> = {};
      for (const k of Array.isArray(keys) ? keys : [keys]) {
        if (!(k in data())) continue;
        changes[k] = { oldValue: data()[k] };
        delete data()[k];
      }
      notify(changes);
    },
  };
}

function checkLimits(rules: ReadonlyArray<Partial<DnrRule>>): void {
  const ids = new Set<number>();
  for (const r of rules) {
    if (ids.has(r.id!)) throw new Error(`Rule with id ${r.id} does not have a unique ID.`);
    ids.add(r.id!);
  }
  if (rules.length > DNR_LIMITS.dynamic) throw new Error('Dynamic rule count exceeded.');
  if (
    rules.filter((r) => r.action?.type === 'redirect' || r.action?.type === 'modifyHeaders').length > DNR_LIMITS.unsafe
  )
    throw new Error('Dynamic unsafe rule count exceeded.');
  if (rules.filter((r) => r.condition?.regexFilter).length > DNR_LIMITS.regex)
    throw new Error('Dynamic regex rule count exceeded.');
}

function createBrowser() {
  return {
    runtime: {
      id: 'test',
      getURL: (p: string) => `chrome-extension://test/${p}`,
      getManifest: () => ({ version: '0.0.0' }),
    },
    storage: {
      local: area('local'),
      session: area('session'),
      managed: area('managed'),
      onChanged: { addListener: (l: Listener) => void fake.listeners.push(l) },
    },
    declarativeNetRequest: {
      getDynamicRules: async () => {
        fake.calls.push('getDynamicRules');
        return clone(fake.rules);
      },
      updateDynamicRules: async (u: { removeRuleIds?: number[]; addRules?: DnrRule[] }) => {
        fake.calls.push('updateDynamicRules');
        if (fake.failUpdate) throw new Error(fake.failUpdate);
        const ids = new Set(u.removeRuleIds ?? []);
        const next = [...fake.rules.filter((r) => !ids.has(r.id)), ...clone(u.addRules ?? [])];
        checkLimits(next);
        fake.updates.push(clone({ removeRuleIds: u.removeRuleIds ?? [], addRules: u.addRules ?? [] }));
        fake.rules = next;
      },
    },
    alarms: {
      create: async (name: string, info: { when?: number; delayInMinutes?: number; periodInMinutes?: number }) =>
        void fake.alarms.set(name, { ...info }),
      clear: async (name: string) => fake.alarms.delete(name),
      get: async (name: string) => {
        const a = fake.alarms.get(name);
        return a
          ? { name, scheduledTime: a.when ?? Date.now() + (a.delayInMinutes ?? a.periodInMinutes ?? 0) * 60_000, ...a }
          : undefined;
      },
    },
    scripting: {
      getRegisteredContentScripts: async (f?: { ids?: string[] }) =>
        clone(fake.contentScripts.filter((c) => !f?.ids || f.ids.includes(c.id))),
      registerContentScripts: async (scripts: Registered[]) => {
        for (const s of scripts)
          if (fake.contentScripts.some((c) => c.id === s.id)) throw new Error(`Duplicate script ID '${s.id}'`);
        fake.contentScripts.push(...clone(scripts));
      },
      unregisterContentScripts: async (f?: { ids?: string[] }) =>
        void (fake.contentScripts = fake.contentScripts.filter((c) => f?.ids && !f.ids.includes(c.id))),
      executeScript: async (i: { target: { tabId: number; allFrames?: boolean }; files: string[] }) => {
        fake.injected.push({
          tabId: i.target.tabId,
          files: i.files,
          ...(i.target.allFrames ? { allFrames: true } : {}),
        });
        return [];
      },
    },
    tabs: {
      query: async (q: { url?: string[] } = {}) =>
        clone(fake.tabs.filter((t) => !q.url || q.url.some((p) => matchesPattern(p, t.url)))),
      // Chromium rejects for a closed tab rather than answering undefined.
      get: async (tabId: number) => {
        const tab = fake.tabs.find((t) => t.id === tabId);
        if (!tab) throw new Error(`No tab with id: ${tabId}.`);
        return clone(tab);
      },
      update: async (tabId: number, { url }: { url: string }) => {
        fake.moved.push({ tabId, url });
        return { id: tabId, url };
      },
    },
    browsingData: {
      remove: async (filter: unknown, types: unknown) => void fake.evicted.push(clone({ filter, types })),
    },
    extension: { isAllowedIncognitoAccess: async () => false },
    action: { setBadgeText: async () => undefined, setBadgeBackgroundColor: async () => undefined },
  };
}

type Fake = FakeState & { browser: ReturnType<typeof createBrowser> };
const holder = globalThis as { __aiGeofenceFakeBrowser?: Fake };

/**
 * The fake's state; `fake.browser` is what src/platform/browser.ts is mocked with. One per test
 * file, kept on globalThis: tests that simulate a new worker life with `vi.resetModules()` must
 * see the same browser.
 */
export const fake: Fake = (holder.__aiGeofenceFakeBrowser ??= Object.assign(createState(), {
  browser: undefined as never,
}));
fake.browser ??= createBrowser();

/** A fresh browser: empty storage, no rules, scripts, tabs, alarms or listeners. */
export function resetFakeBrowser(): void {
  Object.assign(fake, createState());
}
