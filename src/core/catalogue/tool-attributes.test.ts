import { describe, expect, it } from 'vitest';
import { CATALOGUE } from './catalogue.ts';
import { compilePolicy, decide } from '../decide/decide.ts';
import { compileDnrRules } from '../dnr/dnr.ts';
import { lintPolicy } from '../lint/lint.ts';
import { policyMatrix } from '../decide/matrix.ts';
import { parsePolicy, type PolicyInput } from '../policy/policy-schema.ts';
import { describeSelectedBy, matchWhere } from './tool-attributes.ts';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const OPTS = {
  blockPageUrl: 'chrome-extension://id/block.html',
  warnPageUrl: 'chrome-extension://id/warn.html',
  browser: 'chrome' as const,
};

function policy(rules: PolicyInput['rules'], tools: PolicyInput['tools'] = {}): PolicyInput {
  return {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 1,
    issued: '2026-11-01T00:00:00Z',
    expires: '2027-01-01T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' }, NY: { name: 'New York', jurisdiction: 'US' } },
    tools,
    rules,
  };
}
function compiled(input: PolicyInput) {
  const p = parsePolicy(input);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return compilePolicy(p.policy);
}
const CN_RULE = {
  id: 'HK-CN-VENDORS',
  toolsWhere: { vendorCountry: ['CN'] },
  offices: ['HK'],
  action: 'block' as const,
};
const CHINESE = Object.entries(CATALOGUE).filter(([, t]) => t.vendorCountry === 'CN');

describe('matchWhere', () => {
  it('needs every named attribute, any listed value; names the first deciding attribute', () => {
    const t = { vendor: 'DeepSeek', vendorCountry: 'CN', category: 'chat' as const, modelVendors: ['DeepSeek'] };
    expect(matchWhere({ vendorCountry: ['CN', 'RU'] }, t)).toEqual({ attribute: 'vendorCountry', value: 'CN' });
    expect(matchWhere({ vendorCountry: ['CN'], category: ['image'] }, t)).toBeNull();
    expect(matchWhere({ category: ['chat'], modelVendors: ['OpenAI', 'DeepSeek'] }, t)).toEqual({
      attribute: 'category',
      value: 'chat',
    });
    expect(matchWhere({ modelVendors: ['DeepSeek'] }, t)).toEqual({ attribute: 'modelVendors', value: 'DeepSeek' });
    // Unknown is not a match: lint names such tools.
    expect(matchWhere({ trainsOnInputs: [true] }, t)).toBeNull();
    expect(matchWhere({ trainsOnInputs: [false] }, { trainsOnInputs: false })).toEqual({
      attribute: 'trainsOnInputs',
      value: false,
    });
    expect(describeSelectedBy({ attribute: 'vendorCountry', value: 'CN' })).toBe('the vendor is based in CN');
  });
});

describe('rules by attribute', () => {
  it('the schema wants tools or toolsWhere, and refuses unknown attributes and values', () => {
    const bad = (rule: Record<string, unknown>) => {
      const p = parsePolicy(policy([rule as never]));
      return p.ok ? [] : p.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(bad({ id: 'R', action: 'block' }).join()).toContain('a rule needs "tools" or "toolsWhere"');
    expect(bad({ id: 'R', action: 'block', toolsWhere: {} }).join()).toContain('at least one attribute');
    expect(bad({ id: 'R', action: 'block', toolsWhere: { vendorCountries: ['CN'] } }).join()).toContain(
      'unknown toolsWhere attribute',
    );
    expect(bad({ id: 'R', action: 'block', toolsWhere: { vendorCountry: ['cn'] } }).join()).toContain(
      '$.rules[0].toolsWhere.vendorCountry[0]',
    );
    expect(bad({ id: 'R', action: 'block', toolsWhere: { category: ['chatbots'] } }).join()).toContain(
      'expected a category',
    );
    expect(bad({ id: 'R', action: 'block', toolsWhere: { vendorCountry: ['CN'] } })).toEqual([]);
  });

  it("blocks every Chinese vendor's tool for Hong Kong only, and says which attribute decided", () => {
    expect(CHINESE.length).toBeGreaterThanOrEqual(30);
    const c = compiled(policy([CN_RULE]));
    for (const [id, tool] of CHINESE) {
      const url = `https://${tool.domains[0]}/${tool.paths?.[0]?.slice(1) ?? ''}`;
      const d = decide(c, { office: 'HK' }, url, NOW);
      expect(d, id).toMatchObject({
        action: 'block',
        toolId: id,
        selectedBy: { attribute: 'vendorCountry', value: 'CN' },
      });
      expect(decide(c, { office: 'NY' }, url, NOW).action, id).toBe('allow');
    }
    expect(decide(c, { office: 'HK' }, 'https://claude.ai/', NOW).action).toBe('allow');
  });

  it('a tool named by id is decided by id (no attribute to name), first rule still wins', () => {
    const c = compiled(policy([{ id: 'ALLOW-DEEPSEEK', tools: ['deepseek'], action: 'allow' }, CN_RULE]));
    expect(decide(c, { office: 'HK' }, 'https://chat.deepseek.com/', NOW)).toMatchObject({
      action: 'allow',
      rule: { id: 'ALLOW-DEEPSEEK' },
    });
    expect(decide(c, { office: 'HK' }, 'https://kimi.com/', NOW).rule?.id).toBe('HK-CN-VENDORS');
    const both = compiled(policy([{ ...CN_RULE, tools: ['claude'] }]));
    const d = decide(both, { office: 'HK' }, 'https://claude.ai/', NOW);
    expect(d.action).toBe('block');
    expect(d.selectedBy).toBeUndefined();
  });

  it('selects policy tools by their attributes, and a catalogue override keeps the attributes it leaves out', () => {
    const c = compiled(
      policy([CN_RULE], {
        'firm-cn': { name: 'Firm CN bot', domains: ['bot.firm.example'], vendorCountry: 'CN' },
        deepseek: { name: 'DeepSeek (our name)', domains: ['deepseek.com'] },
      }),
    );
    expect(decide(c, { office: 'HK' }, 'https://bot.firm.example/', NOW).action).toBe('block');
    expect(decide(c, { office: 'HK' }, 'https://deepseek.com/', NOW)).toMatchObject({
      action: 'block',
      selectedBy: { attribute: 'vendorCountry' },
    });
  });

  it("reaches aggregators that serve a vendor's models", () => {
    const c = compiled(
      policy([{ id: 'NO-ANTHROPIC', toolsWhere: { modelVendors: ['Anthropic'] }, offices: ['HK'], action: 'block' }]),
    );
    expect(decide(c, { office: 'HK' }, 'https://claude.ai/', NOW).action).toBe('block');
    expect(
      decide(c, { office: 'HK' }, 'https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke', NOW),
    ).toMatchObject({
      action: 'block',
      toolId: 'amazon-bedrock',
      selectedBy: { attribute: 'modelVendors', value: 'Anthropic' },
    });
  });

  it('the network rules and the matrix agree', () => {
    const c = compiled(policy([CN_RULE]));
    const blocked = compileDnrRules(c, { office: 'HK' }, NOW, OPTS)
      .filter((r) => r.action.type === 'block')
      .flatMap((r) => r.condition.requestDomains);
    for (const [id, tool] of CHINESE) for (const d of tool.domains) expect(blocked, `${id}: ${d}`).toContain(d);
    expect(blocked).not.toContain('claude.ai');
    const m = policyMatrix(c, NOW);
    const hk = m.rows.find((r) => r.office === 'HK' && r.group === null)!;
    for (const [id] of CHINESE) expect(hk.cells[id], id).toMatchObject({ action: 'block', rule: 'HK-CN-VENDORS' });
  });
});

describe('lint of toolsWhere', () => {
  const lint = (rule: Record<string, unknown>, tools: Record<string, unknown> = {}) =>
    lintPolicy(policy([rule as never], tools as never), NOW);

  it('names a misspelt attribute and suggests the right one', () => {
    const issues = lint({ id: 'R', action: 'block', toolsWhere: { vendorCountries: ['CN'] } });
    expect(issues).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        path: '$.rules[0].toolsWhere.vendorCountries',
        message: expect.stringContaining('did you mean "vendorCountry"'),
      }),
    );
  });

  it('names a country look-alike, an unknown vendor and a selector that selects nothing', () => {
    const issues = lint({
      id: 'R',
      action: 'block',
      toolsWhere: { vendorCountry: ['UK'], modelVendors: ['Antropic'] },
    });
    expect(issues).toContainEqual(
      expect.objectContaining({
        path: '$.rules[0].toolsWhere.vendorCountry[0]',
        message: expect.stringContaining('did you mean "GB"'),
      }),
    );
    expect(issues).toContainEqual(
      expect.objectContaining({
        path: '$.rules[0].toolsWhere.modelVendors[0]',
        message: expect.stringContaining('did you mean "Anthropic"'),
      }),
    );
    expect(issues).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        path: '$.rules[0].toolsWhere',
        message: expect.stringContaining('selects no tool'),
      }),
    );
    // One message per mistake: the specific one replaces the schema's at the same path.
    expect(issues.filter((i) => i.path === '$.rules[0].toolsWhere.vendorCountry[0]')).toHaveLength(1);
    const short = lint({ id: 'R', action: 'block', toolsWhere: { vendor: ['Moonshot'] } });
    expect(short).toContainEqual(
      expect.objectContaining({
        path: '$.rules[0].toolsWhere.vendor[0]',
        message: expect.stringContaining('did you mean "Moonshot AI"'),
      }),
    );
  });

  it('names the tools left out because their attribute is unknown', () => {
    const issues = lint(
      { id: 'R', action: 'block', toolsWhere: { vendorCountry: ['CN'] } },
      { 'firm-llm': { name: 'Firm', domains: ['llm.bank.example'] } },
    );
    const w = issues.find((i) => i.message.includes('are NOT selected'));
    expect(w?.severity).toBe('warning');
    expect(w?.message).toContain('firm-llm (vendorCountry)');
    expect(
      lint(
        { id: 'R', action: 'block', toolsWhere: { vendorCountry: ['CN'] } },
        { 'firm-llm': { name: 'Firm', domains: ['llm.bank.example'], vendorCountry: 'US' } },
      ).filter((i) => i.message.includes('firm-llm')),
    ).toEqual([]);
  });
});
