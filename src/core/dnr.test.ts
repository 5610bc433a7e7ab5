import { describe, expect, it } from 'vitest';
import { compilePolicy } from './decide.ts';
import { compileDnrRules, compileFailClosedRules, PRIORITY_TENANT_HEADERS, type DnrRule } from './dnr.ts';
import { parsePolicy, type PolicyInput } from './policy-schema.ts';

const OPTS = { blockPageUrl: 'chrome-extension://id/block.html', warnPageUrl: 'chrome-extension://id/warn.html', browser: 'chrome' as const };
const NOW = Date.parse('2026-11-24T00:00:00Z');

function policy(extra: Partial<PolicyInput> = {}) {
  const input: PolicyInput = {
    type: 'ai-geofence-policy', version: 1, serial: 1, issued: '2026-11-01T00:00:00Z', expires: '2027-01-01T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
    tools: {
      claude: { name: 'Claude', domains: ['claude.ai', 'anthropic.com'] },
      chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'], tenantHeaders: { 'ChatGPT-Allowed-Workspace-Id': 'ws-1' } },
      bank: { name: 'Bank', domains: ['bank.example'] },
      'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] },
    },
    rules: [
      { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' },
      { id: 'CHATGPT-WARN', tools: ['chatgpt'], exceptJurisdictions: ['US'], action: 'warn' },
    ],
    defaultAction: 'allow',
    ...extra,
  };
  const p = parsePolicy(input);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return compilePolicy(p.policy);
}

const byAction = (rules: DnrRule[], type: string) => rules.filter((r) => r.action.type === type);

describe('compileDnrRules', () => {
  it('redirects main frames of blocked tools to the block page and blocks every other request type', () => {
    const rules = compileDnrRules(policy(), { office: 'HK' }, NOW, OPTS);
    const redirect = byAction(rules, 'redirect').find((r) => r.action.redirect!.regexSubstitution.startsWith(OPTS.blockPageUrl))!;
    expect(redirect.condition.requestDomains).toEqual(['claude.ai', 'anthropic.com']);
    expect(redirect.condition.resourceTypes).toEqual(['main_frame']);
    expect(redirect.action.redirect!.regexSubstitution).toBe(`${OPTS.blockPageUrl}#\\0`);
    const block = byAction(rules, 'block')[0]!;
    expect(block.condition.requestDomains).toEqual(['claude.ai', 'anthropic.com']);
    expect(block.condition.resourceTypes).toEqual(expect.arrayContaining(['sub_frame', 'xmlhttprequest', 'websocket', 'script', 'image', 'media', 'ping', 'other']));
    expect(block.condition.resourceTypes).not.toContain('main_frame');
  });

  it('sends warned tools to the warn page until acknowledged, then allows them', () => {
    const warned = compileDnrRules(policy(), { office: 'HK' }, NOW, OPTS);
    expect(warned.some((r) => r.action.redirect?.regexSubstitution === `${OPTS.warnPageUrl}#\\0` && r.condition.requestDomains.includes('chatgpt.com'))).toBe(true);
    const acked = compileDnrRules(policy(), { office: 'HK' }, NOW, { ...OPTS, acknowledged: { chatgpt: NOW + 60_000 } });
    expect(acked.some((r) => r.action.redirect?.regexSubstitution.startsWith(OPTS.warnPageUrl))).toBe(false);
    expect(byAction(acked, 'allow').some((r) => r.condition.requestDomains.includes('chatgpt.com'))).toBe(true);
    const expired = compileDnrRules(policy(), { office: 'HK' }, NOW, { ...OPTS, acknowledged: { chatgpt: NOW - 1 } });
    expect(expired.some((r) => r.action.redirect?.regexSubstitution.startsWith(OPTS.warnPageUrl))).toBe(true);
  });

  it('installs nothing restrictive for an office the rules do not target', () => {
    const rules = compileDnrRules(policy(), { office: 'NY' }, NOW, OPTS);
    expect(byAction(rules, 'redirect')).toEqual([]);
    expect(byAction(rules, 'block')).toEqual([]);
  });

  it('lets a more specific allowed domain win over a blocked parent domain', () => {
    const c = policy({ rules: [{ id: 'B', tools: ['bank'], action: 'block' }] });
    const rules = compileDnrRules(c, { office: 'HK' }, NOW, OPTS);
    const allow = byAction(rules, 'allow').find((r) => r.condition.requestDomains.includes('llm.bank.example'))!;
    const block = byAction(rules, 'block').find((r) => r.condition.requestDomains.includes('bank.example'))!;
    expect(allow.priority).toBeGreaterThan(block.priority);
  });

  it('groups domains so rule count does not grow with the number of domains', () => {
    const tools: Record<string, { name: string; domains: string[] }> = {};
    for (let i = 0; i < 2000; i++) tools[`t${i}`] = { name: `T${i}`, domains: [`ai${i}.example`, `www.ai${i}-x.example`] };
    const c = policy({ tools, rules: [{ id: 'ALL', tools: Object.keys(tools), action: 'block' }] });
    const rules = compileDnrRules(c, { office: 'HK' }, NOW, OPTS);
    expect(rules.length).toBeLessThanOrEqual(6);
    expect(rules.reduce((n, r) => n + r.condition.requestDomains.length, 0)).toBeGreaterThanOrEqual(8000);
  });

  it('narrows a tool with paths by a regex filter', () => {
    const c = policy({ tools: { studio: { name: 'Studio', domains: ['cloud.example'], paths: ['/ai-studio', '/vertex/'] } }, rules: [{ id: 'S', tools: ['studio'], action: 'block' }] });
    const rules = compileDnrRules(c, { office: 'HK' }, NOW, OPTS);
    const filter = new RegExp(byAction(rules, 'redirect')[0]!.condition.regexFilter!);
    expect(filter.test('https://cloud.example/ai-studio')).toBe(true);
    expect(filter.test('https://cloud.example/ai-studio/x?y')).toBe(true);
    expect(filter.test('https://cloud.example/vertex/run')).toBe(true);
    expect(filter.test('https://cloud.example/ai-studios')).toBe(false);
    expect(filter.test('https://cloud.example/storage')).toBe(false);
  });

  it('adds tenant headers wherever the tool is not blocked, above every allow rule', () => {
    const rules = compileDnrRules(policy(), { office: 'NY' }, NOW, OPTS);
    const headers = byAction(rules, 'modifyHeaders')[0]!;
    expect(headers.priority).toBe(PRIORITY_TENANT_HEADERS);
    expect(headers.action.requestHeaders).toEqual([{ header: 'ChatGPT-Allowed-Workspace-Id', operation: 'set', value: 'ws-1' }]);
    expect(headers.condition.resourceTypes).toContain('main_frame');
    const c = policy({ rules: [{ id: 'X', tools: ['chatgpt'], action: 'block' }] });
    expect(byAction(compileDnrRules(c, { office: 'NY' }, NOW, OPTS), 'modifyHeaders')).toEqual([]);
  });

  it('follows rule windows', () => {
    const c = policy({ rules: [{ id: 'LATER', tools: ['claude'], action: 'block', from: '2026-12-01T01:00:00Z' }] });
    expect(byAction(compileDnrRules(c, { office: 'HK' }, NOW, OPTS), 'block')).toEqual([]);
    expect(byAction(compileDnrRules(c, { office: 'HK' }, Date.parse('2026-12-01T01:00:00Z'), OPTS), 'block')).toHaveLength(1);
  });

  it('leaves out resource types Firefox does not know', () => {
    const rules = compileDnrRules(policy(), { office: 'HK' }, NOW, { ...OPTS, browser: 'firefox' });
    for (const r of rules) expect(r.condition.resourceTypes).not.toContain('webtransport');
  });

  it('gives unique ids and fail-closed rules for the whole catalogue', () => {
    const rules = compileFailClosedRules(OPTS);
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(rules.flatMap((r) => r.condition.requestDomains)).toEqual(expect.arrayContaining(['claude.ai', 'chatgpt.com']));
  });
});
