import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../decide/decide.ts';
import { compileModelDnrRules, modelPathFilter, PRIORITY_MODEL_BLOCK, queryFilter } from './dnr-models.ts';
import { PRIORITY_TENANT_HEADERS } from './dnr.ts';
import { parsePolicy, type PolicyInput } from '../policy/policy-schema.ts';
import { CATALOGUE } from '../catalogue/catalogue.ts';

const NOW = Date.parse('2026-11-24T00:00:00Z');

function compiled(rules: PolicyInput['rules'], models?: Record<string, unknown>) {
  const p = parsePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 1,
    issued: '2026-11-01T00:00:00Z',
    expires: '2027-01-01T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
    tools: {
      chatgpt: {
        name: 'ChatGPT',
        domains: ['chatgpt.com', 'OpenAI.com'],
        models: models ?? {
          o3: { name: 'o3', match: { query: { model: 'o3' }, pathPrefixes: ['/v1/models/o3'], text: ['ChatGPT o3'] } },
          'gpt-4o': { name: 'GPT-4o', match: { query: { model: 'gpt-4o' } } },
          'gpt-4-5': { name: 'GPT-4.5', match: { text: ['ChatGPT 4.5'] } },
        },
      },
    },
    rules,
  });
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return compilePolicy(p.policy);
}

const BLOCK_O3 = {
  id: 'HK-O3',
  tools: ['chatgpt'],
  offices: ['HK'],
  models: ['o3', 'gpt-4-5'],
  action: 'block' as const,
};
const matches = (filter: string, url: string) => new RegExp(filter, 'i').test(url); // DNR filters are case-insensitive

describe('compileModelDnrRules', () => {
  it('blocks every request but the page itself for a blocked model the URL names, above every tool rule', () => {
    const rules = compileModelDnrRules(compiled([BLOCK_O3]), { office: 'HK' }, NOW, 10);
    expect(rules.map((r) => r.id)).toEqual([10, 11]);
    for (const r of rules) {
      expect(r.priority).toBe(PRIORITY_MODEL_BLOCK);
      expect(r.priority).toBeGreaterThan(PRIORITY_TENANT_HEADERS);
      expect(r.action).toEqual({ type: 'block' });
      expect(r.condition.requestDomains).toEqual(
        [...new Set(['chatgpt.com', 'openai.com', ...CATALOGUE.chatgpt!.domains])].sort(),
      );
      expect(r.condition.resourceTypes).not.toContain('main_frame');
      expect(r.condition.resourceTypes).toEqual(
        expect.arrayContaining(['xmlhttprequest', 'websocket', 'sub_frame', 'other']),
      );
    }
    // GPT-4.5 is known by picker text only: the overlay's job, no network rule.
    expect(rules).toHaveLength(2);
  });

  it('follows the first model rule for the employee, its window and the office; warn and allow add nothing', () => {
    const c = compiled([
      { id: 'HK-O3-OK', tools: ['chatgpt'], offices: ['HK'], models: ['o3'], action: 'allow' },
      BLOCK_O3,
    ]);
    expect(compileModelDnrRules(c, { office: 'HK' }, NOW, 1)).toEqual([]);
    expect(compileModelDnrRules(compiled([BLOCK_O3]), { office: 'NY' }, NOW, 1)).toEqual([]);
    expect(compileModelDnrRules(compiled([{ ...BLOCK_O3, action: 'warn' }]), { office: 'HK' }, NOW, 1)).toEqual([]);
    expect(
      compileModelDnrRules(compiled([{ ...BLOCK_O3, from: '2026-12-01T00:00:00Z' }]), { office: 'HK' }, NOW, 1),
    ).toEqual([]);
    expect(
      compileModelDnrRules(compiled([BLOCK_O3]), { office: 'HK' }, NOW, 1, { blockedTools: new Set(['chatgpt']) }),
    ).toEqual([]);
  });

  it('leaves out types Firefox does not know, and queries with several parameters', () => {
    const ff = compileModelDnrRules(compiled([BLOCK_O3]), { office: 'HK' }, NOW, 1, { browser: 'firefox' });
    expect(ff[0]!.condition.resourceTypes).not.toContain('webtransport');
    const multi = compiled([BLOCK_O3], { o3: { name: 'o3', match: { query: { model: 'o3', tier: 'pro' } } } });
    expect(compileModelDnrRules(multi, { office: 'HK' }, NOW, 1)).toEqual([]);
  });
});

describe('the filters', () => {
  it('a query parameter with a value prefix, wherever it sits in the query', () => {
    const f = queryFilter('model', 'o3');
    expect(matches(f, 'https://chatgpt.com/backend-api/conversation?model=o3')).toBe(true);
    expect(matches(f, 'https://chatgpt.com/x?stream=1&model=o3-pro')).toBe(true);
    expect(matches(f, 'https://chatgpt.com/x?MODEL=O3')).toBe(true);
    expect(matches(f, 'https://chatgpt.com/x?model=gpt-4o')).toBe(false);
    expect(matches(f, 'https://chatgpt.com/x?notmodel=o3')).toBe(false);
    expect(matches(f, 'https://chatgpt.com/model=o3')).toBe(false);
    expect(matches(f, 'https://chatgpt.com/x#?model=o3')).toBe(false);
    expect(matches(queryFilter('m.x', 'a+b'), 'https://v.example/?mAx=a+b')).toBe(false); // escaped, not a regex
  });

  it('a path prefix as the overlay reads it: a prefix, repeated slashes merged, any scheme', () => {
    const f = modelPathFilter('/v1beta/models/gemini-2.5-pro')!;
    expect(
      matches(f, 'https://generativelanguage.example/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse'),
    ).toBe(true);
    expect(matches(f, 'wss://g.example//v1beta//models/gemini-2.5-pro')).toBe(true);
    expect(matches(f, 'https://g.example/v1beta/models/gemini-2.5-flash')).toBe(false);
    expect(matches(f, 'https://g.example/x/v1beta/models/gemini-2.5-pro')).toBe(false);
    expect(matches(f, 'https://g.example/v1beta/models/gemini-2x5-pro')).toBe(false);
    expect(modelPathFilter('/')).toBeNull();
    expect(modelPathFilter('models')).toBeNull();
  });
});
