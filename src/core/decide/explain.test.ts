import { describe, expect, it } from 'vitest';
import { compilePolicy, decide } from './decide.ts';
import { explainDecision, noticesFor, officeRef, upcomingNotices } from './explain.ts';
import { exceptionRequestHref } from '../exceptions/exception-request.ts';
import { parsePolicy, type PolicyInput } from '../policy/policy-schema.ts';

const NOW = Date.parse('2026-11-24T00:00:00Z');
const input: PolicyInput = {
  type: 'ai-geofence-policy',
  version: 1,
  serial: 7,
  issued: '2026-11-01T00:00:00Z',
  expires: '2027-01-01T00:00:00Z',
  issuer: 'Compliance',
  contact: 'help@bank.example',
  offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
  tools: {
    claude: { name: 'Claude', vendor: 'Anthropic', domains: ['claude.ai'] },
    'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'], url: 'https://llm.bank.example/' },
  },
  rules: [
    {
      id: 'HK-BLOCK',
      tools: ['claude'],
      offices: ['HK'],
      action: 'block',
      notice: { title: 'Do not use', alternatives: ['firm-llm'] },
    },
    {
      id: 'NON-US-WARN',
      tools: ['claude'],
      exceptJurisdictions: ['US'],
      action: 'warn',
      requireJustification: true,
      allowForMinutes: 15,
      notice: { title: 'Check' },
    },
    { id: 'FIRM', tools: ['firm-llm'], action: 'allow' },
  ],
};
const parsed = parsePolicy(input);
if (!parsed.ok) throw new Error('fixture invalid');
const compiled = compilePolicy(parsed.policy);

describe('explainDecision', () => {
  it('carries the notice, the alternatives with links, the office name and the contact', () => {
    const url = 'https://claude.ai/chat';
    const e = explainDecision(url, decide(compiled, { office: 'HK' }, url, NOW), {
      compiled,
      employee: { office: 'HK' },
      acknowledgedUntil: null,
    });
    expect(e).toMatchObject({
      action: 'block',
      ruleId: 'HK-BLOCK',
      office: { code: 'HK', name: 'Hong Kong' },
      contact: 'help@bank.example',
      policySerial: 7,
    });
    expect(e.alternatives).toEqual([
      { id: 'firm-llm', name: 'Firm LLM', vendor: null, url: 'https://llm.bank.example/' },
    ]);
    expect(e.tool).toEqual({ id: 'claude', name: 'Claude', vendor: 'Anthropic', url: null });
  });

  it('tells the warn page how long an acknowledgement lasts and whether a justification is needed', () => {
    const url = 'https://claude.ai/';
    const e = explainDecision(url, decide(compiled, { office: 'LDN' }, url, NOW), {
      compiled,
      employee: { office: 'LDN' },
      acknowledgedUntil: null,
    });
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

describe('exception requests', () => {
  const withRequest = (extra: Partial<PolicyInput>, notice: Record<string, unknown> = {}) => {
    const p = parsePolicy({
      ...input,
      ...extra,
      rules: [{ ...input.rules[0]!, notice: { title: 'Do not use', ...notice } }, ...input.rules.slice(1)],
    });
    if (!p.ok) throw new Error(JSON.stringify(p.issues));
    return compilePolicy(p.policy);
  };
  const explainFor = (c: ReturnType<typeof compilePolicy>, office: string, url = 'https://claude.ai/') =>
    explainDecision(url, decide(c, { office }, url, NOW), {
      compiled: c,
      employee: { office },
      acknowledgedUntil: null,
    });

  it('links a block to the policy URL with tool, rule and office in the query string', () => {
    const c = withRequest({ exceptionRequestUrl: 'https://it.bank.example/request?form=ai' });
    expect(explainFor(c, 'HK').exceptionRequest).toBe(
      'https://it.bank.example/request?form=ai&tool=claude&rule=HK-BLOCK&office=HK',
    );
    // A warning needs no exception: the employee may proceed.
    expect(explainFor(c, 'LDN').exceptionRequest).toBeNull();
  });

  it("prefers the rule notice's URL, and gives none when the policy names none", () => {
    const c = withRequest(
      { exceptionRequestUrl: 'https://it.bank.example/request' },
      { exceptionRequestUrl: 'https://apac.bank.example/ask' },
    );
    expect(explainFor(c, 'HK').exceptionRequest).toBe(
      'https://apac.bank.example/ask?tool=claude&rule=HK-BLOCK&office=HK',
    );
    expect(explainFor(compiled, 'HK').exceptionRequest).toBeNull();
  });

  it('percent-encodes what it adds and replaces parameters of the same name', () => {
    expect(
      exceptionRequestHref('https://x.example/f?tool=old&x=1#top', { tool: 'a b&c', rule: 'R/1?=é', office: null }),
    ).toBe('https://x.example/f?tool=a+b%26c&x=1&rule=R%2F1%3F%3D%C3%A9#top');
    expect(exceptionRequestHref('javascript:alert(1)', { tool: 't', rule: 'r', office: 'HK' })).toBeNull();
    expect(exceptionRequestHref(undefined, { tool: 't', rule: 'r', office: 'HK' })).toBeNull();
  });
});

describe('officeRef', () => {
  it('carries a language map as it is, and the code when the policy does not know the office', () => {
    const p = parsePolicy({ ...input, offices: { HK: { name: { en: 'Hong Kong', 'zh-Hant': '香港' } } } });
    if (!p.ok) throw new Error('fixture invalid');
    expect(officeRef(p.policy, 'HK')).toEqual({ code: 'HK', name: { en: 'Hong Kong', 'zh-Hant': '香港' } });
    expect(officeRef(p.policy, 'HONGKONG')).toEqual({ code: 'HONGKONG', name: 'HONGKONG' });
    expect(officeRef(p.policy, 'toString')).toEqual({ code: 'toString', name: 'toString' });
    expect(officeRef(null, null)).toBeNull();
  });
});

describe('upcomingNotices', () => {
  const day = 86_400_000;
  const at = (ms: number) => new Date(ms).toISOString();
  const policyWith = (rules: PolicyInput['rules']) => {
    const p = parsePolicy({ ...input, rules });
    if (!p.ok) throw new Error(JSON.stringify(p.issues));
    return compilePolicy(p.policy);
  };

  it('lists rules for this employee that start within 14 days, soonest first, with their start instant', () => {
    const c = policyWith([
      {
        id: 'LATER',
        tools: ['claude'],
        offices: ['HK'],
        action: 'block',
        from: at(NOW + 10 * day),
        notice: { title: 'Later' },
      },
      {
        id: 'SOON',
        tools: ['firm-llm'],
        offices: ['HK'],
        action: 'warn',
        from: at(NOW + 2 * day),
        notice: { title: 'Soon' },
      },
      { id: 'TOO-FAR', tools: ['claude'], offices: ['HK'], action: 'block', from: at(NOW + 15 * day) },
      { id: 'NOT-HK', tools: ['claude'], offices: ['NY'], action: 'block', from: at(NOW + 2 * day) },
      { id: 'ALREADY', tools: ['claude'], offices: ['HK'], action: 'monitor', from: at(NOW - day) },
      {
        id: 'ENDS-FIRST',
        tools: ['claude'],
        offices: ['HK'],
        action: 'block',
        from: at(NOW + day),
        until: at(NOW + day),
      },
      { id: 'QUIET-ALLOW', tools: ['claude'], offices: ['HK'], action: 'allow', from: at(NOW + day) },
    ]);
    const list = upcomingNotices(c, { office: 'HK' }, NOW);
    expect(list.map((n) => [n.ruleId, n.from])).toEqual([
      ['SOON', at(NOW + 2 * day)],
      ['LATER', at(NOW + 10 * day)],
    ]);
    expect(list[1]).toMatchObject({
      action: 'block',
      tools: [{ id: 'claude', name: 'Claude' }],
      notice: { title: 'Later' },
    });
    expect(upcomingNotices(c, { office: 'NY' }, NOW).map((n) => n.ruleId)).toEqual(['NOT-HK']);
  });

  it('leaves out a rule that an earlier rule will still overrule when it starts', () => {
    const c = policyWith([
      { id: 'FIRST', tools: ['claude'], offices: ['HK'], action: 'block' },
      { id: 'SHADOWED', tools: ['claude'], offices: ['HK'], action: 'warn', from: at(NOW + day) },
    ]);
    expect(upcomingNotices(c, { office: 'HK' }, NOW)).toEqual([]);
  });
});
