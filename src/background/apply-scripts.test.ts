/**
 * The content-script registrar against the shared fake browser, driven by real plans: registration
 * options from the table, diffing with what the browser holds, reaching open tabs, and remembering
 * across worker lives what it registered.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { compilePolicy, type CompiledPolicy } from '../core/decide/decide.ts';
import type { ManagedConfig } from '../core/config/managed-config.ts';
import { guardMatches } from '../core/plan/content-scripts.ts';
import { planEnforcement } from '../core/plan/plan.ts';
import { fake, resetFakeBrowser } from '../../test/fakes/browser.ts';
import type { Runtime } from './runtime.ts';
import { NOW, policyOf, RULES } from '../../test/fixtures/data-controls-policy.ts';

vi.mock('../platform/browser.ts', async () => ({
  browser: (await import('../../test/fakes/browser.ts')).fake.browser,
}));

const { applyScripts, SCRIPTS } = await import('./apply-scripts.ts');
const { loadState } = await import('./storage.ts');

const GUARD = 'ai-geofence-guard';
const MODELS = 'ai-geofence-models';
const registered = (id: string) => fake.contentScripts.find((c) => c.id === id);
const injectedTabs = () => fake.injected.map((i) => i.tabId).sort();
const freshRuntime = async () => ({ state: await loadState() }) as Runtime;

let runtime: Runtime;
beforeEach(async () => {
  resetFakeBrowser();
  runtime = await freshRuntime();
});

/** Plan for an employee of `office` under `compiled` (or no valid policy) and apply its scripts. */
async function apply(compiled: CompiledPolicy, office: string, valid: boolean, r: Runtime = runtime): Promise<void> {
  const config = { office, groups: [], failMode: 'closed', discovery: true } as unknown as ManagedConfig;
  const plan = planEnforcement(
    {
      config,
      lastEmployee: null,
      policy: valid ? compiled : null,
      payloadHash: null,
      confirmedAt: null,
      exceptions: null,
      location: null,
      discovered: {},
      acknowledged: {},
      now: NOW,
    },
    { pages: { block: 'b', warn: 'w', embedded: 'e' }, browser: 'chrome' },
  );
  await applyScripts(r, plan);
}

describe('the guard', () => {
  const compiled = compilePolicy(policyOf(RULES));

  it('registers the guard at document_start in every frame, in the isolated world', async () => {
    await apply(compiled, 'NY', true);
    expect(registered(GUARD)).toMatchObject({
      js: ['guard.js'],
      runAt: 'document_start',
      allFrames: true,
      world: 'ISOLATED',
      matches: guardMatches(compiled, { office: 'NY' }, NOW),
    });
  });

  it('re-registers when the hosts change and unregisters when nothing is controlled', async () => {
    await apply(compiled, 'NY', true);
    await apply(compiled, 'HK', true);
    expect(registered(GUARD)!.matches).toEqual(['*://llm.bank.example/*', '*://*.llm.bank.example/*']);
    await apply(compiled, 'HK', false); // no valid policy
    expect(!!registered(GUARD)).toBe(false);
  });

  it('injects into open tabs of the hosts before and after a change, and only on a change', async () => {
    fake.tabs = [
      { id: 1, url: 'https://claude.ai/chat' },
      { id: 2, url: 'https://www.llm.bank.example/' },
      { id: 3, url: 'https://news.example/' },
    ];
    await apply(compiled, 'NY', true);
    expect(injectedTabs()).toEqual([1, 2]);
    fake.injected = [];
    await apply(compiled, 'NY', true);
    expect(injectedTabs()).toEqual([]); // nothing changed
    await apply(compiled, 'HK', true);
    expect(injectedTabs()).toEqual([1, 2]); // claude.ai lost its controls: its guard must hear it
  });

  it('remembers across worker lives what it registered, so a restart alone injects nothing', async () => {
    fake.tabs = [{ id: 5, url: 'https://claude.ai/' }];
    await apply(compiled, 'NY', true);
    fake.injected = [];
    // A new worker life: memory gone, storage kept.
    await apply(compiled, 'NY', true, await freshRuntime());
    expect(injectedTabs()).toEqual([]);
  });

  it('tells open tabs when only the controls change', async () => {
    fake.tabs = [{ id: 7, url: 'https://llm.bank.example/' }];
    await apply(compiled, 'HK', true);
    fake.injected = [];
    const stricter = compilePolicy(
      policyOf(RULES.map((r) => (r.id === 'FIRM-UPLOADS' ? { ...r, dataControls: { upload: 'block' } } : r))),
    );
    await apply(stricter, 'HK', true);
    expect(injectedTabs()).toEqual([7]);
  });

  it('never throws into enforcement', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spy = vi.spyOn(fake.browser.scripting, 'registerContentScripts').mockRejectedValueOnce(new Error('boom'));
    await expect(apply(compilePolicy(policyOf([RULES[1]])), 'NY', true)).resolves.toBeUndefined();
    expect(err).toHaveBeenCalled();
    spy.mockRestore();
    err.mockRestore();
  });
});

describe('the table', () => {
  it('registers every script with the options its table entry names, persisting across sessions', async () => {
    const compiled = compilePolicy(policyOf([{ id: 'MON', tools: ['chatgpt'], action: 'monitor' }, ...RULES]));
    await apply(compiled, 'NY', true);
    // Banner (warned Claude, monitored ChatGPT) and guard (controls on Claude and the firm's LLM).
    expect(fake.contentScripts.map((c) => c.id).sort()).toEqual(['ai-geofence-content', GUARD]);
    for (const entry of SCRIPTS.filter((x) => x.id !== MODELS)) {
      expect(registered(entry.id)).toMatchObject({
        js: [entry.file],
        runAt: entry.runAt,
        allFrames: entry.allFrames,
        persistAcrossSessions: true,
      });
    }
    expect(registered('ai-geofence-content')?.matches).toContain('*://*.chatgpt.com/*');
  });

  it('registers, keeps and removes the models script as the policy changes', async () => {
    const compiled = compilePolicy(
      policyOf([{ id: 'HK-O3', tools: ['chatgpt'], offices: ['HK'], models: ['o3'], action: 'block' }], {
        o3: { name: 'o3', match: { query: { model: 'o3' } } },
      }),
    );
    await apply(compiled, 'HK', true);
    expect(registered(MODELS)?.js).toEqual(['models.js']);
    const spy = vi.spyOn(fake.browser.scripting, 'registerContentScripts');
    await apply(compiled, 'HK', true);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    await apply(compiled, 'HK', false);
    expect(registered(MODELS)).toBeUndefined();
  });
});
