import { beforeEach, describe, expect, it, vi } from 'vitest';
import { compilePolicy, decide } from '../core/decide/decide.ts';
import { parsePolicy, type Policy } from '../core/policy/policy-schema.ts';
import { CATALOGUE } from '../core/catalogue/catalogue.ts';

/** An in-memory browser: registered content scripts, injections, open tabs and storage.local. */
const fake = vi.hoisted(() => {
  const state = {
    registered: new Map<string, { id: string; matches: string[]; js: string[] }>(),
    injected: [] as number[],
    tabs: [] as { id: number; url: string }[],
    store: new Map<string, unknown>(),
  };
  const matchesUrl = (pattern: string, url: string) => {
    const m = /^\*:\/\/(\*\.)?([^/]+)\/\*$/.exec(pattern)!;
    const host = new URL(url).hostname;
    return m[1] ? host.endsWith(`.${m[2]}`) : host === m[2];
  };
  const browser = {
    scripting: {
      async getRegisteredContentScripts({ ids }: { ids: string[] }) {
        return ids.flatMap((id) => (state.registered.has(id) ? [structuredClone(state.registered.get(id)!)] : []));
      },
      async registerContentScripts(scripts: { id: string; matches: string[]; js: string[] }[]) {
        for (const s of scripts) {
          if (state.registered.has(s.id)) throw new Error(`Duplicate script ID '${s.id}'`);
          state.registered.set(s.id, structuredClone(s));
        }
      },
      async unregisterContentScripts({ ids }: { ids: string[] }) {
        for (const id of ids) state.registered.delete(id);
      },
      async executeScript({ target }: { target: { tabId: number } }) {
        state.injected.push(target.tabId);
        return [];
      },
    },
    tabs: {
      async query({ url }: { url: string[] }) {
        return state.tabs.filter((t) => url.some((p) => matchesUrl(p, t.url)));
      },
    },
    storage: {
      local: {
        async get(key: string) {
          return state.store.has(key) ? { [key]: state.store.get(key) } : {};
        },
        async set(items: Record<string, unknown>) {
          for (const [k, v] of Object.entries(items)) state.store.set(k, v);
        },
      },
    },
  };
  return { state, browser };
});
vi.mock('../platform/browser.ts', () => ({ browser: fake.browser }));

type Module = typeof import('./guard-registration.ts');
let dataControlAudit: Module['dataControlAudit'];
let dataControlsFor: Module['dataControlsFor'];
let guardMatches: Module['guardMatches'];
let registerGuardScript: Module['registerGuardScript'];
let GUARD_SCRIPT_ID: Module['GUARD_SCRIPT_ID'];

const NOW = Date.parse('2026-11-25T00:00:00Z');
const ACCOUNT = { name: 'client account', regex: '\\bHC\\d{8}\\b' };

function policyOf(rules: unknown[]): Policy {
  const parsed = parsePolicy({
    type: 'ai-geofence-policy', version: 1, serial: 1, issued: '2026-11-20T00:00:00Z', expires: '2026-12-20T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
    tools: {
      claude: { name: 'Claude', domains: ['claude.ai', 'anthropic.com'] },
      chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'] },
      'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] },
    },
    rules,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.policy;
}

const RULES = [
  { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block', dataControls: { paste: 'block' } },
  { id: 'CLAUDE-DATA', tools: ['claude'], action: 'warn', dataControls: { sensitive: 'block', patterns: [ACCOUNT] } },
  { id: 'CHATGPT-NOTHING', tools: ['chatgpt'], action: 'allow', dataControls: { paste: 'allow', patterns: [ACCOUNT] } },
  { id: 'FIRM-UPLOADS', tools: ['firm-llm'], action: 'monitor', dataControls: { upload: 'warn' } },
];

beforeEach(async () => {
  // A fresh module is a fresh worker life (what it remembers in memory is gone).
  vi.resetModules();
  ({ dataControlAudit, dataControlsFor, guardMatches, registerGuardScript, GUARD_SCRIPT_ID } = await import('./guard-registration.ts'));
  fake.state.registered.clear();
  fake.state.injected = [];
  fake.state.tabs = [];
  fake.state.store.clear();
});

describe('guardMatches', () => {
  it('covers the hosts of tools whose deciding rule has active controls, for this employee', () => {
    const compiled = compilePolicy(policyOf(RULES));
    // Claude's domains: the policy's and the catalogue's it keeps.
    expect(guardMatches(compiled, { office: 'NY' }, NOW)).toEqual(
      [...new Set([...CATALOGUE.claude!.domains, 'llm.bank.example'])].sort().flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]),
    );
    // In Hong Kong Claude is blocked: no guard there (the block page is all they get).
    expect(guardMatches(compiled, { office: 'HK' }, NOW)).toEqual(['*://llm.bank.example/*', '*://*.llm.bank.example/*']);
  });
});

describe('dataControlsFor', () => {
  const compiled = compilePolicy(policyOf([
    ...RULES,
    { id: 'CHATGPT-RISKY', tools: ['chatgpt'], action: 'allow', dataControls: { sensitive: 'warn', patterns: [{ name: 'evil', regex: '(a+)+$' }] } },
  ]));
  const at = (office: string, url: string) => dataControlsFor(decide(compiled, { office }, url, NOW));

  it('gives the deciding rule and its controls', () => {
    expect(at('NY', 'https://claude.ai/chat')).toEqual({ ruleId: 'CLAUDE-DATA', controls: { paste: 'allow', upload: 'allow', sensitive: 'block', patterns: [{ ...ACCOUNT, min: 1 }] } });
  });

  it('gives nothing where nothing is controlled: blocked tools, inactive controls, other sites', () => {
    expect(at('HK', 'https://claude.ai/chat')).toEqual({ ruleId: 'HK-CLAUDE', controls: null });
    expect(at('NY', 'https://chatgpt.com/')).toEqual({ ruleId: 'CHATGPT-NOTHING', controls: null });
    expect(at('NY', 'https://example.org/')).toEqual({ ruleId: null, controls: null });
  });

  it('never hands the guard a pattern that can backtrack catastrophically', () => {
    const compiledRisky = compilePolicy(policyOf([{ id: 'RISKY', tools: ['chatgpt'], action: 'allow', dataControls: { paste: 'warn', sensitive: 'warn', patterns: [{ name: 'evil', regex: '(a+)+$' }, ACCOUNT] } }]));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(dataControlsFor(decide(compiledRisky, { office: 'NY' }, 'https://chatgpt.com/', NOW)).controls!.patterns.map((p) => p.name)).toEqual(['client account']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('"evil"'));
    warn.mockRestore();
  });
});

describe('dataControlAudit', () => {
  const compiled = compilePolicy(policyOf(RULES));
  const d = decide(compiled, { office: 'NY' }, 'https://claude.ai/chat', NOW);
  it('records the rule, tool, URL, pattern names and counts', () => {
    const event = dataControlAudit(
      { type: 'data-control-event', url: 'https://claude.ai/chat?q=1', kind: 'send', outcome: 'blocked', ruleId: 'CLAUDE-DATA', patterns: [{ name: 'client account', count: 1 }] },
      d,
    );
    expect(event).toEqual({
      type: 'data-control', tool: 'claude', rule: 'CLAUDE-DATA', url: 'https://claude.ai/chat?q=1',
      detail: { kind: 'send', outcome: 'blocked', patterns: [{ name: 'client account', count: 1 }] },
    });
  });
  it('refuses a malformed report', () => {
    expect(dataControlAudit({ type: 'data-control-event', url: 'https://claude.ai/', kind: 'print', outcome: 'blocked', ruleId: null, patterns: [] } as never, d)).toBeNull();
  });
});

describe('registerGuardScript', () => {
  const compiled = compilePolicy(policyOf(RULES));

  it('registers the guard at document_start in every frame, in the isolated world', async () => {
    await registerGuardScript(compiled, { office: 'NY' }, NOW, true);
    expect(fake.state.registered.get(GUARD_SCRIPT_ID)).toMatchObject({
      js: ['guard.js'], runAt: 'document_start', allFrames: true, world: 'ISOLATED', matches: guardMatches(compiled, { office: 'NY' }, NOW),
    });
  });

  it('re-registers when the hosts change and unregisters when nothing is controlled', async () => {
    await registerGuardScript(compiled, { office: 'NY' }, NOW, true);
    await registerGuardScript(compiled, { office: 'HK' }, NOW, true);
    expect(fake.state.registered.get(GUARD_SCRIPT_ID)!.matches).toEqual(['*://llm.bank.example/*', '*://*.llm.bank.example/*']);
    await registerGuardScript(compiled, { office: 'HK' }, NOW, false); // no valid policy
    expect(fake.state.registered.has(GUARD_SCRIPT_ID)).toBe(false);
  });

  it('injects into open tabs of the hosts before and after a change, and only on a change', async () => {
    fake.state.tabs = [{ id: 1, url: 'https://claude.ai/chat' }, { id: 2, url: 'https://www.llm.bank.example/' }, { id: 3, url: 'https://news.example/' }];
    await registerGuardScript(compiled, { office: 'NY' }, NOW, true);
    expect(fake.state.injected.sort()).toEqual([1, 2]);
    fake.state.injected = [];
    await registerGuardScript(compiled, { office: 'NY' }, NOW, true);
    expect(fake.state.injected).toEqual([]); // nothing changed
    await registerGuardScript(compiled, { office: 'HK' }, NOW, true);
    expect(fake.state.injected.sort()).toEqual([1, 2]); // claude.ai lost its controls: its guard must hear it
  });

  it('remembers across worker lives what it registered, so a restart alone injects nothing', async () => {
    fake.state.tabs = [{ id: 5, url: 'https://claude.ai/' }];
    await registerGuardScript(compiled, { office: 'NY' }, NOW, true);
    fake.state.injected = [];
    vi.resetModules();
    const restarted = await import('./guard-registration.ts');
    await restarted.registerGuardScript(compiled, { office: 'NY' }, NOW, true);
    expect(fake.state.injected).toEqual([]);
  });

  it('tells open tabs when only the controls change', async () => {
    fake.state.tabs = [{ id: 7, url: 'https://llm.bank.example/' }];
    await registerGuardScript(compiled, { office: 'HK' }, NOW, true);
    fake.state.injected = [];
    const stricter = compilePolicy(policyOf(RULES.map((r) => (r.id === 'FIRM-UPLOADS' ? { ...r, dataControls: { upload: 'block' } } : r))));
    await registerGuardScript(stricter, { office: 'HK' }, NOW, true);
    expect(fake.state.injected).toEqual([7]);
  });

  it('never throws into enforcement', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spy = vi.spyOn(fake.browser.scripting, 'registerContentScripts').mockRejectedValueOnce(new Error('boom'));
    await expect(registerGuardScript(compilePolicy(policyOf([RULES[1]])), { office: 'NY' }, NOW, true)).resolves.toBeUndefined();
    expect(err).toHaveBeenCalled();
    spy.mockRestore();
    err.mockRestore();
  });
});
