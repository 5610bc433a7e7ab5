import { describe, expect, it } from 'vitest';
import { compilePolicy, decide, decideWithoutPolicy } from '../decide/decide.ts';
import { parsePolicy, type PolicyInput } from '../policy/policy-schema.ts';
import { decodeProxiedUrl, decodeTranslateLabel, encodeTranslateHost, proxiedHostOf } from './proxies.ts';

const NOW = Date.parse('2026-12-01T00:00:00Z');

describe('Google Translate proxy hosts', () => {
  it('encode and decode Google\'s way: "-" for ".", "--" for "-"', () => {
    expect(encodeTranslateHost('claude.ai')).toBe('claude-ai.translate.goog');
    expect(encodeTranslateHost('www.my-site.co.uk')).toBe('www-my--site-co-uk.translate.goog');
    expect(decodeTranslateLabel('claude-ai')).toBe('claude.ai');
    expect(decodeTranslateLabel('www-my--site-co-uk')).toBe('www.my-site.co.uk');
    expect(decodeTranslateLabel('xn----7sbb-com')).toBe('xn--7sbb.com');
    for (const h of ['claude.ai', 'a-b.c-d.example', 'xn--bcher-kva.de', 'chat.deepseek.com'])
      expect(proxiedHostOf(encodeTranslateHost(h)!)).toBe(h);
  });

  it('refuses what is no relayed host', () => {
    expect(proxiedHostOf('translate.goog')).toBeNull();
    expect(proxiedHostOf('claude-ai.evil.translate.goog')).toBeNull(); // one label only
    expect(proxiedHostOf('claude-ai.translate.goog.evil.example')).toBeNull();
    expect(decodeTranslateLabel('nodots')).toBeNull();
    expect(decodeTranslateLabel('bad--')).toBeNull();
    expect(encodeTranslateHost(`${'a'.repeat(60)}.example`)).toBeNull(); // over 63 octets
  });

  it('rewrites a proxied URL to the one it stands for, path and query kept', () => {
    expect(decodeProxiedUrl('https://claude-ai.translate.goog/chat/1?_x_tr_sl=auto&_x_tr_tl=en')).toEqual({
      url: 'https://claude.ai/chat/1?_x_tr_sl=auto&_x_tr_tl=en',
      host: 'claude.ai',
    });
    expect(decodeProxiedUrl('https://CLAUDE-AI.translate.goog./')).toEqual({
      url: 'https://claude.ai/',
      host: 'claude.ai',
    });
    expect(decodeProxiedUrl('https://claude.ai/')).toBeNull();
    expect(decodeProxiedUrl('ftp://claude-ai.translate.goog/')).toBeNull();
  });
});

describe('decide() through the proxy', () => {
  const input: PolicyInput = {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 1,
    issued: '2026-11-01T00:00:00Z',
    expires: '2027-01-01T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
    tools: { 'firm-llm': { name: 'Firm', domains: ['llm.bank.example'], paths: ['/chat'] } },
    rules: [
      { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block' },
      { id: 'FIRM', tools: ['firm-llm'], action: 'warn' },
    ],
  };
  const p = parsePolicy(input);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  const compiled = compilePolicy(p.policy);

  it('decides claude-ai.translate.goog as claude.ai, and says so', () => {
    const d = decide(compiled, { office: 'HK' }, 'https://claude-ai.translate.goog/new?_x_tr_sl=auto', NOW);
    expect(d).toMatchObject({ action: 'block', toolId: 'claude', proxiedHost: 'claude.ai' });
    expect(decide(compiled, { office: 'NY' }, 'https://claude-ai.translate.goog/', NOW)).toMatchObject({
      action: 'allow',
      toolId: 'claude',
    });
    // A sub-host of a listed domain, and paths of a path-scoped tool, as for the host itself.
    expect(decide(compiled, { office: 'HK' }, 'https://www-claude-ai.translate.goog/', NOW).action).toBe('block');
    expect(decide(compiled, { office: 'HK' }, 'https://llm-bank-example.translate.goog/chat/x', NOW).action).toBe(
      'warn',
    );
    expect(decide(compiled, { office: 'HK' }, 'https://llm-bank-example.translate.goog/other', NOW).toolId).toBeNull();
    expect(decide(compiled, { office: 'HK' }, 'https://news-example-com.translate.goog/', NOW).basis).toBe(
      'not-a-tool',
    );
  });

  it('fails closed through the proxy too', () => {
    expect(decideWithoutPolicy('closed', 'https://chatgpt-com.translate.goog/').action).toBe('block');
  });
});
