import { describe, expect, it } from 'vitest';
import { compilePolicy, decide } from '../decide/decide.ts';
import { parsePolicy, type Policy } from '../policy/policy-schema.ts';
import { CATALOGUE } from '../catalogue/catalogue.ts';
import {
  dataControlAudit,
  dataControlsFor,
  guardMatches,
  hostMatchPatterns,
  modelMatches,
  modelsFor,
} from './content-scripts.ts';
import { ACCOUNT, NOW, policyOf, RULES } from '../../../test/fixtures/data-controls-policy.ts';

function modelPolicy(): Policy {
  const p = parsePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 3,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
    tools: {
      chatgpt: {
        name: 'ChatGPT',
        domains: ['chatgpt.com'],
        models: { o3: { name: 'o3', match: { query: { model: 'o3' } } } },
      },
    },
    rules: [
      { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' },
      {
        id: 'HK-O3',
        tools: ['chatgpt'],
        offices: ['HK'],
        models: ['o3'],
        action: 'block',
        notice: { title: { en: 'No o3', 'zh-Hant': '請勿使用 o3' } },
      },
      { id: 'LATER-O3', tools: ['chatgpt'], models: ['o3'], action: 'warn', from: '2027-01-01T00:00:00Z' },
    ],
  });
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.policy;
}

describe('hostMatchPatterns', () => {
  it('covers each host and its subdomains once, normalised and sorted', () => {
    expect(hostMatchPatterns(['B.example.', 'a.example', 'b.example', ''])).toEqual([
      '*://a.example/*',
      '*://*.a.example/*',
      '*://b.example/*',
      '*://*.b.example/*',
    ]);
  });
});

describe('guardMatches', () => {
  it('covers the hosts of tools whose deciding rule has active controls, for this employee', () => {
    const compiled = compilePolicy(policyOf(RULES));
    // Claude's domains: the policy's and the catalogue's it keeps.
    expect(guardMatches(compiled, { office: 'NY' }, NOW)).toEqual(
      [...new Set([...CATALOGUE.claude!.domains, 'llm.bank.example'])]
        .sort()
        .flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]),
    );
    // In Hong Kong Claude is blocked: no guard there (the block page is all they get).
    expect(guardMatches(compiled, { office: 'HK' }, NOW)).toEqual([
      '*://llm.bank.example/*',
      '*://*.llm.bank.example/*',
    ]);
  });
});

describe('dataControlsFor', () => {
  const compiled = compilePolicy(
    policyOf([
      ...RULES,
      {
        id: 'CHATGPT-RISKY',
        tools: ['chatgpt'],
        action: 'allow',
        dataControls: { sensitive: 'warn', patterns: [{ name: 'evil', regex: '(a+)+$' }] },
      },
    ]),
  );
  const at = (office: string, url: string) => dataControlsFor(decide(compiled, { office }, url, NOW)).answer;

  it('gives the deciding rule and its controls', () => {
    expect(at('NY', 'https://claude.ai/chat')).toEqual({
      ruleId: 'CLAUDE-DATA',
      controls: { paste: 'allow', upload: 'allow', sensitive: 'block', patterns: [{ ...ACCOUNT, min: 1 }] },
    });
  });

  it('gives nothing where nothing is controlled: blocked tools, inactive controls, other sites', () => {
    expect(at('HK', 'https://claude.ai/chat')).toEqual({ ruleId: 'HK-CLAUDE', controls: null });
    expect(at('NY', 'https://chatgpt.com/')).toEqual({ ruleId: 'CHATGPT-NOTHING', controls: null });
    expect(at('NY', 'https://example.org/')).toEqual({ ruleId: null, controls: null });
  });

  it('never hands the guard a pattern that can backtrack catastrophically', () => {
    const compiledRisky = compilePolicy(
      policyOf([
        {
          id: 'RISKY',
          tools: ['chatgpt'],
          action: 'allow',
          dataControls: { paste: 'warn', sensitive: 'warn', patterns: [{ name: 'evil', regex: '(a+)+$' }, ACCOUNT] },
        },
      ]),
    );
    const { answer, rejected } = dataControlsFor(decide(compiledRisky, { office: 'NY' }, 'https://chatgpt.com/', NOW));
    expect(answer.controls!.patterns.map((p) => p.name)).toEqual(['client account']);
    // Named, so the worker can say which pattern it did not check.
    expect(rejected.map((r) => r.name)).toEqual(['evil']);
  });
});

describe('dataControlAudit', () => {
  const compiled = compilePolicy(policyOf(RULES));
  const d = decide(compiled, { office: 'NY' }, 'https://claude.ai/chat', NOW);
  it('records the rule, tool, URL, pattern names and counts', () => {
    const event = dataControlAudit(
      {
        url: 'https://claude.ai/chat?q=1',
        kind: 'send',
        outcome: 'blocked',
        ruleId: 'CLAUDE-DATA',
        patterns: [{ name: 'client account', count: 1 }],
      },
      d,
    );
    expect(event).toEqual({
      type: 'data-control',
      tool: 'claude',
      rule: 'CLAUDE-DATA',
      url: 'https://claude.ai/chat?q=1',
      detail: { kind: 'send', outcome: 'blocked', patterns: [{ name: 'client account', count: 1 }] },
    });
  });
  it('refuses a malformed report', () => {
    expect(
      dataControlAudit({ url: 'https://claude.ai/', kind: 'print', outcome: 'blocked', ruleId: null, patterns: [] }, d),
    ).toBeNull();
  });
});

describe('models script', () => {
  const compiled = compilePolicy(modelPolicy());

  it('matches only the hosts of tools with model rules targeting the employee now', () => {
    // The catalogue's ChatGPT domains stay beside the policy's own (a policy never narrows a tool by accident).
    const chatgpt = [...new Set(['chatgpt.com', 'openai.com', ...CATALOGUE.chatgpt!.domains])]
      .sort()
      .flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`]);
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
});
