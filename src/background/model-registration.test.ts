import { describe, expect, it, vi } from 'vitest';
import { compilePolicy, decide } from '../core/decide/decide.ts';
import { parsePolicy, type Policy } from '../core/policy/policy-schema.ts';
import { CATALOGUE } from '../core/catalogue/catalogue.ts';

const fake = vi.hoisted(() => {
  const registered = new Map<string, { id: string; matches: string[]; js: string[] }>();
  const browser = {
    scripting: {
      async getRegisteredContentScripts({ ids }: { ids: string[] }) {
        return ids.flatMap((id) => (registered.has(id) ? [structuredClone(registered.get(id)!)] : []));
      },
      async registerContentScripts(scripts: { id: string; matches: string[]; js: string[] }[]) {
        for (const s of scripts) {
          if (registered.has(s.id)) throw new Error(`Duplicate script ID '${s.id}'`);
          registered.set(s.id, structuredClone(s));
        }
      },
      async unregisterContentScripts({ ids }: { ids: string[] }) {
        for (const id of ids) registered.delete(id);
      },
    },
  };
  return { registered, browser };
});
vi.mock('../platform/browser.ts', () => ({ browser: fake.browser }));

const { MODELS_SCRIPT_ID, modelMatches, modelsFor, registerModelScript } = await import('./model-registration.ts');

const NOW = Date.parse('2026-11-25T00:00:00Z');

function policy(): Policy {
  const p = parsePolicy({
    type: 'ai-geofence-policy', version: 1, serial: 3, issued: '2026-11-20T00:00:00Z', expires: '2026-12-20T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
    tools: {
      chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'], models: { o3: { name: 'o3', match: { query: { model: 'o3' } } } } },
    },
    rules: [
      { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' },
      { id: 'HK-O3', tools: ['chatgpt'], offices: ['HK'], models: ['o3'], action: 'block', notice: { title: { en: 'No o3', 'zh-Hant': '請勿使用 o3' } } },
      { id: 'LATER-O3', tools: ['chatgpt'], models: ['o3'], action: 'warn', from: '2027-01-01T00:00:00Z' },
    ],
  });
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.policy;
}

describe('model registration', () => {
  const compiled = compilePolicy(policy());

  it('matches only the hosts of tools with model rules targeting the employee now', () => {
    // The catalogue's ChatGPT domains stay beside the policy's own (a policy never narrows a tool by accident).
    const chatgpt = [...new Set(['chatgpt.com', 'openai.com', ...CATALOGUE.chatgpt!.domains])].sort().flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]);
    expect(modelMatches(compiled, { office: 'HK' }, NOW)).toEqual(chatgpt);
    expect(modelMatches(compiled, { office: 'NY' }, NOW)).toEqual([]);
    // Once the later rule's window opens it targets New York too.
    expect(modelMatches(compiled, { office: 'NY' }, Date.parse('2027-01-02T00:00:00Z'))).toEqual(chatgpt);
  });

  it('tells the page its tool, models and rules, titles in the page language', () => {
    const employee = { office: 'HK' };
    const d = decide(compiled, employee, 'https://chatgpt.com/', NOW);
    const answer = modelsFor(compiled, employee, d, NOW, ['zh-HK']);
    expect(answer.tool).toBe('chatgpt');
    expect(Object.keys(answer.models)).toEqual(['o3']);
    expect(answer.rules).toEqual([{ id: 'HK-O3', action: 'block', models: ['o3'], title: '請勿使用 o3' }]);
    // A blocked tool's page never loads: nothing to watch.
    expect(modelsFor(compiled, employee, decide(compiled, employee, 'https://claude.ai/', NOW), NOW).rules).toEqual([]);
  });

  it('registers, keeps and removes the script as the policy changes', async () => {
    await registerModelScript(compiled, { office: 'HK' }, NOW, true);
    expect(fake.registered.get(MODELS_SCRIPT_ID)?.js).toEqual(['models.js']);
    await registerModelScript(compiled, { office: 'HK' }, NOW, true);
    expect(fake.registered.size).toBe(1);
    await registerModelScript(compiled, { office: 'HK' }, NOW, false);
    expect(fake.registered.size).toBe(0);
  });
});
