import { describe, expect, it } from 'vitest';
import { compilePolicy, decide } from './decide.ts';
import { explainDecision, noticesFor } from './explain.ts';
import { parsePolicy, type PolicyInput } from './policy-schema.ts';

const NOW = Date.parse('2026-11-24T00:00:00Z');
const input: PolicyInput = {
  type: 'ai-geofence-policy', version: 1, serial: 7, issued: '2026-11-01T00:00:00Z', expires: '2027-01-01T00:00:00Z',
  issuer: 'Compliance', contact: 'help@bank.example',
  offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
  tools: {
    claude: { name: 'Claude', vendor: 'Anthropic', domains: ['claude.ai'] },
    'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'], url: 'https://llm.bank.example/' },
  },
  rules: [
    { id: 'HK-BLOCK', tools: ['claude'], offices: ['HK'], action: 'block', notice: { title: 'Do not use', alternatives: ['firm-llm'] } },
    { id: 'NON-US-WARN', tools: ['claude'], exceptJurisdictions: ['US'], action: 'warn', requireJustification: true, allowForMinutes: 15, notice: { title: 'Check' } },
    { id: 'FIRM', tools: ['firm-llm'], action: 'allow' },
  ],
};
const parsed = parsePolicy(input);
if (!parsed.ok) throw new Error('fixture invalid');
const compiled = compilePolicy(parsed.policy);

describe('explainDecision', () => {
  it('carries the notice, the alternatives with links, the office name and the contact', () => {
    const url = 'https://claude.ai/chat';
    const e = explainDecision(url, decide(compiled, { office: 'HK' }, url, NOW), { compiled, employee: { office: 'HK' }, acknowledgedUntil: null });
    expect(e).toMatchObject({ action: 'block', ruleId: 'HK-BLOCK', office: { code: 'HK', name: 'Hong Kong' }, contact: 'help@bank.example', policySerial: 7 });
    expect(e.alternatives).toEqual([{ id: 'firm-llm', name: 'Firm LLM', vendor: null, url: 'https://llm.bank.example/' }]);
    expect(e.tool).toEqual({ id: 'claude', name: 'Claude', vendor: 'Anthropic', url: null });
  });

  it('tells the warn page how long an acknowledgement lasts and whether a justification is needed', () => {
    const url = 'https://claude.ai/';
    const e = explainDecision(url, decide(compiled, { office: 'LDN' }, url, NOW), { compiled, employee: { office: 'LDN' }, acknowledgedUntil: null });
    expect(e).toMatchObject({ action: 'warn', allowForMinutes: 15, requireJustification: true });
  });
});

describe('noticesFor', () => {
  it('lists only the rules that decide something for this office, and the approved tools', () => {
    const hk = noticesFor(compiled, { office: 'HK' }, NOW);
    expect(hk.notices.map((n) => n.ruleId)).toEqual(['HK-BLOCK', 'FIRM']);
    expect(hk.approved.map((t) => t.id)).toEqual(['firm-llm']);
    const ny = noticesFor(compiled, { office: 'NY' }, NOW);
    expect(ny.notices.map((n) => n.ruleId)).toEqual(['FIRM']);
    expect(ny.approved.map((t) => t.id).sort()).toEqual(['claude', 'firm-llm']);
  });
});
