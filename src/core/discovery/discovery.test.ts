import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../audit/audit.ts';
import { compilePolicy, decide } from '../decide/decide.ts';
import {
  AI_ENDPOINT_RE,
  AI_NAME_RE,
  classifySignals,
  cleanSignals,
  coveredByListed,
  DISCOVERED_MAX,
  DISCOVERED_REPORT_INTERVAL_MS,
  DISCOVERED_TTL_MS,
  discoveredDomain,
  discoveredReport,
  MODEL_NAME_RE,
  noteDiscovered,
  PROMPT_LABEL_RE,
  pruneDiscovered,
  SEND_LABEL_RE,
  UNLISTED_RULE_ID,
  UNLISTED_TOOL_PREFIX,
  withDiscoveredTools,
  type DiscoveredRegister,
  type DiscoverySignal,
} from './discovery.ts';
import { compileDnrRules } from '../dnr/dnr.ts';
import { parsePolicy, type Policy, type PolicyInput } from '../policy/policy-schema.ts';
import { pickText } from '../policy/localized-text.ts';

const NOW = Date.parse('2026-11-24T00:00:00Z');

function policy(extra: Partial<PolicyInput> = {}): Policy {
  const input: PolicyInput = {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 7,
    issued: '2026-11-01T00:00:00Z',
    expires: '2027-01-01T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' } },
    tools: {
      claude: { name: 'Claude', domains: ['claude.ai'] },
      'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'], url: 'https://llm.bank.example/' },
    },
    rules: [{ id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' }],
    unlistedAiAction: 'block',
    ...extra,
  };
  const p = parsePolicy(input);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.policy;
}

describe('classifySignals', () => {
  const cases: Array<[DiscoverySignal[], boolean]> = [
    [[], false],
    [['name'], false], // an article about AI
    [['chat-input'], false], // a support chat or a search box
    [['chat-input', 'send-button'], false], // a shop's "Message us" widget
    [['model-picker'], false],
    [['ai-endpoint'], false], // a page calling some /api/chat without anything else
    [['name', 'send-button'], false],
    [['chat-input', 'name'], true],
    [['chat-input', 'model-picker'], true],
    [['chat-input', 'ai-endpoint'], true],
    [['ai-endpoint', 'name'], true],
    [['ai-endpoint', 'model-picker'], true],
    [['name', 'chat-input', 'send-button', 'model-picker', 'ai-endpoint'], true],
  ];
  it.each(cases)('%j → %s', (signals, expected) => {
    expect(classifySignals(signals)).toBe(expected);
  });

  it('cleans untrusted signal lists to known names, once each, in a stable order', () => {
    expect(cleanSignals(['send-button', 'name', 'name', 'evil', 3, null])).toEqual(['name', 'send-button']);
    expect(cleanSignals('name')).toEqual([]);
    expect(cleanSignals(undefined)).toEqual([]);
  });
});

describe('detector vocabularies', () => {
  it('AI names: the words, not the letters inside other words', () => {
    for (const t of [
      'NovaChat AI',
      'Acme Assistant',
      'HuggingChat — open LLMs',
      'GPT playground',
      'Copilot',
      'AI-powered chat',
      '文心一言 人工智能',
      'KI-Assistent',
      'Le Chat — IA',
      'chat bot',
    ]) {
      expect(AI_NAME_RE.test(t), t).toBe(true);
    }
    for (const t of [
      'Hawaii holidays',
      'Said the captain',
      'Maintenance window',
      'Daily News',
      'Britain',
      'Kiosk',
      'Mail',
    ]) {
      expect(AI_NAME_RE.test(t), t).toBe(false);
    }
  });

  it('prompt boxes: the vendors’ labels, not a contact form or a search box', () => {
    for (const t of [
      'Ask anything',
      'Ask Gemini',
      'Message DeepSeek',
      'Message ChatGPT',
      'Enter a prompt here',
      'prompt-textarea',
      'Write your prompt to Claude',
      'How can I help you today?',
      'Send a message…',
      'Type your message…',
      'Write a message',
      'Enter your prompt',
      "What's on your mind?",
      '输入你的问题',
      'メッセージを入力',
    ]) {
      expect(PROMPT_LABEL_RE.test(t), t).toBe(true);
    }
    for (const t of ['Your message', 'Search', 'Add a comment…', 'Leave a reply', 'Email address', 'Subject']) {
      expect(PROMPT_LABEL_RE.test(t), t).toBe(false);
    }
  });

  it('send buttons, model names and AI endpoints', () => {
    expect(SEND_LABEL_RE.test('Send message')).toBe(true);
    expect(SEND_LABEL_RE.test('send-button')).toBe(true);
    expect(SEND_LABEL_RE.test('Sender settings')).toBe(false);
    for (const t of ['GPT-4o', 'Claude 3.5 Sonnet', 'Llama 3.1 70B', 'Gemini 2.5 Pro', 'DeepSeek-R1', 'o3-mini'])
      expect(MODEL_NAME_RE.test(t), t).toBe(true);
    for (const t of ['Model year 2026', 'Settings', 'Portfolio', 'Escalate'])
      expect(MODEL_NAME_RE.test(t), t).toBe(false);
    for (const p of [
      '/v1/chat/completions',
      '/api/v1/chat/completions',
      '/v1/messages',
      '/api/chat',
      '/backend-api/conversation',
      '/v1beta/models/gemini-pro:streamGenerateContent',
    ]) {
      expect(AI_ENDPOINT_RE.test(p), p).toBe(true);
    }
    for (const p of ['/api/chats-archive-page', '/v1/users', '/messages/inbox', '/static/app.js'])
      expect(AI_ENDPOINT_RE.test(p), p).toBe(false);
  });
});

describe('discoveredDomain', () => {
  it('normalises, drops a leading www. and refuses what cannot be a domain rule', () => {
    expect(discoveredDomain('Chat.NovaAI.example.')).toBe('chat.novaai.example');
    expect(discoveredDomain('www.novaai.example')).toBe('novaai.example');
    expect(discoveredDomain('www.example')).toBe('www.example');
    expect(discoveredDomain('10.0.0.5')).toBe('');
    expect(discoveredDomain('[::1]')).toBe('');
    expect(discoveredDomain('intranet')).toBe('');
    expect(discoveredDomain('')).toBe('');
  });
});

describe('the register of discovered hosts', () => {
  it('reports a host once a day however often it is seen, and merges its signals', () => {
    const a = noteDiscovered({}, 'nova.example', 'https://nova.example', ['name', 'chat-input'], NOW);
    expect(a).toMatchObject({ report: true, isNew: true });
    const b = noteDiscovered(a.register, 'nova.example', 'https://www.nova.example', ['model-picker'], NOW + 60_000);
    expect(b).toMatchObject({ report: false, isNew: false });
    expect(b.register['nova.example']).toEqual({
      origin: 'https://nova.example',
      firstSeen: NOW,
      lastSeen: NOW + 60_000,
      lastReported: NOW,
      signals: ['name', 'chat-input', 'model-picker'],
    });
    const c = noteDiscovered(
      b.register,
      'nova.example',
      'https://nova.example',
      ['name'],
      NOW + DISCOVERED_REPORT_INTERVAL_MS,
    );
    expect(c.report).toBe(true);
    expect(c.register['nova.example']!.lastReported).toBe(NOW + DISCOVERED_REPORT_INTERVAL_MS);
  });

  it('forgets hosts not seen for the TTL and keeps the most recently seen past the cap', () => {
    const reg: DiscoveredRegister = {};
    for (let i = 0; i < DISCOVERED_MAX + 10; i++)
      reg[`h${i}.example`] = {
        origin: `https://h${i}.example`,
        firstSeen: NOW,
        lastSeen: NOW + i,
        lastReported: NOW,
        signals: [],
      };
    reg['old.example'] = {
      origin: 'https://old.example',
      firstSeen: 0,
      lastSeen: NOW - DISCOVERED_TTL_MS - 1,
      lastReported: 0,
      signals: [],
    };
    const pruned = pruneDiscovered(reg, NOW + 1000);
    expect(Object.keys(pruned)).toHaveLength(DISCOVERED_MAX);
    expect(pruned['old.example']).toBeUndefined();
    expect(pruned['h0.example']).toBeUndefined();
    expect(pruned[`h${DISCOVERED_MAX + 9}.example`]).toBeDefined();
  });
});

describe('coveredByListed', () => {
  const listed = new Set(['claude.ai', 'chat.example.com']);
  it('is true for a listed host, its subdomains and its parents; false otherwise', () => {
    expect(coveredByListed('claude.ai', listed)).toBe(true);
    expect(coveredByListed('eu.claude.ai', listed)).toBe(true);
    expect(coveredByListed('example.com', listed)).toBe(true); // blocking it would cover the listed chat.example.com
    expect(coveredByListed('notclaude.ai', listed)).toBe(false);
    expect(coveredByListed('nova.example', listed)).toBe(false);
  });
});

describe('withDiscoveredTools', () => {
  const listedOf = (p: Policy) => compilePolicy(p).byDomain;

  it('leaves the policy itself when unlistedAiAction is allow or nothing is left to add', () => {
    const allow = policy({ unlistedAiAction: 'allow' });
    expect(withDiscoveredTools(allow, ['nova.example'], listedOf(allow))).toBe(allow);
    const block = policy();
    expect(withDiscoveredTools(block, [], listedOf(block))).toBe(block);
    expect(withDiscoveredTools(block, ['claude.ai', 'eu.claude.ai', ''], listedOf(block))).toBe(block);
    // A catalogue tool is listed too.
    expect(withDiscoveredTools(block, ['chatgpt.com'], listedOf(block))).toBe(block);
  });

  it('blocks a discovered host for everyone, through decide() and the network rules, with a localized notice', () => {
    const base = policy();
    const p = withDiscoveredTools(base, ['nova.example', 'claude.ai'], listedOf(base), ['firm-llm']);
    expect(p).not.toBe(base);
    expect(base.rules).toHaveLength(1); // the signed policy object is not changed
    expect(Object.keys(p.tools!).filter((id) => id.startsWith(UNLISTED_TOOL_PREFIX))).toEqual([
      'unlisted:nova.example',
    ]);
    const compiled = compilePolicy(p);
    const d = decide(compiled, { office: 'HK' }, 'https://chat.nova.example/c/1', NOW);
    expect(d).toMatchObject({ action: 'block', toolId: 'unlisted:nova.example', basis: 'rule' });
    expect(d.rule?.id).toBe(UNLISTED_RULE_ID);
    expect(d.notice?.alternatives).toEqual(['firm-llm']);
    expect(pickText(d.notice?.title, ['zh-HK'])).toBe('未有列入清單的 AI 工具');
    expect(pickText(d.notice?.title, ['zh-TW'])).toBe('未列入清單的 AI 工具');
    expect(pickText(d.notice?.reference, ['en'])).toBe('AI policy 7: AI tools not on the list');
    // Listed tools keep their own decisions.
    expect(decide(compiled, { office: 'HK' }, 'https://claude.ai/', NOW).rule?.id).toBe('HK-CLAUDE');
    expect(decide(compiled, { office: 'HK' }, 'https://llm.bank.example/', NOW).action).toBe('allow');
    const dnr = compileDnrRules(compiled, { office: 'HK' }, NOW, {
      blockPageUrl: 'chrome-extension://x/block.html',
      warnPageUrl: 'chrome-extension://x/warn.html',
      browser: 'chrome',
    });
    expect(dnr.some((r) => r.action.type === 'redirect' && r.condition.requestDomains?.includes('nova.example'))).toBe(
      true,
    );
  });

  it('warns with the warn wording when unlistedAiAction is warn', () => {
    const base = policy({ unlistedAiAction: 'warn' });
    const p = withDiscoveredTools(base, ['nova.example'], listedOf(base));
    const d = decide(compilePolicy(p), { office: 'HK' }, 'https://nova.example/', NOW);
    expect(d.action).toBe('warn');
    expect(d.rule?.allowForMinutes).toBe(60);
    expect(pickText(d.notice?.reason, ['en'])).toMatch(/do not enter client/);
    expect(d.notice?.alternatives).toBeUndefined();
  });
});

describe('discoveredReport', () => {
  const ev = (over: Partial<AuditEvent>): AuditEvent => ({
    id: crypto.randomUUID(),
    time: '2026-11-24T10:00:00.000Z',
    type: 'discovered-tool',
    office: 'HK',
    groups: [],
    tool: null,
    rule: null,
    policySerial: 7,
    extensionVersion: '0.1.0',
    url: 'https://nova.example/',
    ...over,
  });

  it('groups discovered-tool events by host with browsers, offices, signals and actions', () => {
    const events = [
      ev({
        source: 'a0000000-0000-4000-8000-000000000001',
        detail: {
          host: 'nova.example',
          origin: 'https://nova.example',
          signals: ['name', 'chat-input'],
          action: 'block',
        },
      }),
      ev({
        source: 'a0000000-0000-4000-8000-000000000002',
        office: 'LDN',
        time: '2026-11-23T09:00:00.000Z',
        detail: { host: 'nova.example', origin: 'https://www.nova.example', signals: ['model-picker'], action: 'warn' },
      }),
      ev({
        source: 'a0000000-0000-4000-8000-000000000002',
        time: '2026-11-25T09:00:00.000Z',
        detail: { host: 'nova.example', origin: 'https://nova.example', signals: ['name'], action: 'warn' },
      }),
      ev({
        source: 'a0000000-0000-4000-8000-000000000003',
        url: 'https://tiny.example/',
        detail: { origin: 'https://www.tiny.example', signals: ['ai-endpoint', 'name'], action: 'allow' },
      }),
      ev({ type: 'block', detail: { host: 'ignored.example' } }),
    ];
    const r = discoveredReport(events);
    expect(r.events).toBe(4);
    expect(r.hosts.map((h) => h.host)).toEqual(['nova.example', 'tiny.example']);
    expect(r.hosts[0]).toEqual({
      host: 'nova.example',
      origins: ['https://nova.example', 'https://www.nova.example'],
      events: 3,
      browsers: 2,
      offices: ['HK', 'LDN'],
      firstSeen: '2026-11-23T09:00:00.000Z',
      lastSeen: '2026-11-25T09:00:00.000Z',
      signals: ['name', 'chat-input', 'model-picker'],
      actions: { block: 1, warn: 2 },
    });
    expect(r.hosts[1]).toMatchObject({
      host: 'tiny.example',
      browsers: 1,
      signals: ['name', 'ai-endpoint'],
      actions: { allow: 1 },
    });
  });
});
