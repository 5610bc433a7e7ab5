import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../catalogue/catalogue.ts';
import {
  actionsByTool,
  compilePolicy,
  decide,
  decideWithoutPolicy,
  droppedCatalogueDomains,
  findTool,
  nextRuleChange,
  ruleActiveAt,
  type Decision,
  type Employee,
} from './decide.ts';
import { compileDnrRules } from '../dnr/dnr.ts';
import { simulateDnr } from '../dnr/dnr-simulate.ts';
import { matchedPathLength, normalizeHost, normalizePath } from '../catalogue/hosts.ts';
import { parsePolicy, type Policy, type PolicyInput, type Rule } from '../policy/policy-schema.ts';

const NOW = Date.parse('2026-11-25T00:00:00Z');

/** A valid policy (defaults filled in by the schema) from the parts a test cares about. */
function policyOf(parts: Partial<PolicyInput>): Policy {
  const parsed = parsePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 1,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK', regions: ['greater-china', 'apac'] },
      NY: { name: 'New York', jurisdiction: 'US', regions: ['americas'] },
      LDN: { name: 'London', jurisdiction: 'GB', regions: ['emea'] },
      SG: { name: 'Singapore', jurisdiction: 'SG', regions: ['apac'] },
    },
    rules: [],
    ...parts,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.policy;
}

const rule = (r: Partial<Rule> & { id: string }): Rule => ({ tools: ['claude'], action: 'block', ...r }) as Rule;

function decideFor(policy: Policy, employee: Employee | string, url: string, now = NOW): Decision {
  return decide(compilePolicy(policy), typeof employee === 'string' ? { office: employee } : employee, url, now);
}

/** The canonical small example: Claude blocked in Hong Kong, warned outside the US, allowed in New York. */
const EXAMPLE = policyOf({
  tools: {
    claude: { name: 'Claude', vendor: 'Anthropic', domains: ['claude.ai', 'anthropic.com'] },
    chatgpt: { name: 'ChatGPT', vendor: 'OpenAI', domains: ['chatgpt.com', 'openai.com'] },
    'firm-llm': {
      name: 'Firm LLM Suite',
      vendor: 'Example Bank',
      domains: ['llm.bank.example'],
      url: 'https://llm.bank.example/',
    },
  },
  rules: [
    {
      id: 'HK-ANTHROPIC-2026-11',
      tools: ['claude'],
      offices: ['HK'],
      action: 'block',
      notice: {
        title: { en: 'Do not use: Anthropic Claude' },
        reason: 'Licence terms.',
        reference: 'CT-2026-014',
        alternatives: ['firm-llm'],
      },
    },
    {
      id: 'NON-US-ANTHROPIC',
      tools: ['claude'],
      exceptJurisdictions: ['US'],
      action: 'warn',
      notice: { title: 'Check before use' },
    },
  ],
});

describe('decide: the example policy', () => {
  it('blocks Claude in Hong Kong with the notice, warns in London, allows in New York', () => {
    const hk = decideFor(EXAMPLE, 'HK', 'https://claude.ai/new');
    expect(hk).toMatchObject({ action: 'block', toolId: 'claude', basis: 'rule' });
    expect(hk.rule?.id).toBe('HK-ANTHROPIC-2026-11');
    expect(hk.notice?.alternatives).toEqual(['firm-llm']);
    expect(decideFor(EXAMPLE, 'LDN', 'https://claude.ai/').rule?.id).toBe('NON-US-ANTHROPIC');
    expect(decideFor(EXAMPLE, 'LDN', 'https://claude.ai/').action).toBe('warn');
    expect(decideFor(EXAMPLE, 'NY', 'https://claude.ai/')).toMatchObject({
      action: 'allow',
      basis: 'default',
      rule: null,
    });
  });

  it('covers every subdomain and URL spelling of a listed domain', () => {
    for (const url of [
      'https://www.claude.ai/',
      'https://CLAUDE.AI./x',
      'http://claude.ai:8080/',
      'https://u:p@api.anthropic.com/v1',
      'https://evil.example@claude.ai/',
    ]) {
      expect(decideFor(EXAMPLE, 'HK', url).action, url).toBe('block');
    }
  });

  it('is not fooled by look-alikes, userinfo, IP literals or other schemes', () => {
    for (const url of [
      'https://notclaude.ai/',
      'https://claude.ai.evil.example/',
      'https://claude.ai@evil.example/',
      'https://evil.example/claude.ai',
      'ftp://claude.ai/',
      'ws://claude.ai/',
      'blob:https://claude.ai/uuid',
      'http://127.0.0.1/',
      'http://[::1]/',
      'not a url',
      '',
    ]) {
      expect(decideFor(EXAMPLE, 'HK', url), url).toMatchObject({ action: 'allow', basis: 'not-a-tool', toolId: null });
    }
  });

  it('lets a firm tool through and treats unknown sites as not-a-tool', () => {
    expect(decideFor(EXAMPLE, 'HK', 'https://llm.bank.example/')).toMatchObject({
      action: 'allow',
      toolId: 'firm-llm',
      basis: 'default',
    });
    expect(decideFor(EXAMPLE, 'HK', 'https://example.com/')).toMatchObject({ basis: 'not-a-tool' });
  });
});

describe('decide: rule targeting (each field and its except twin)', () => {
  const cases: Array<[string, Partial<Rule>, Employee, boolean]> = [
    ['offices listed', { offices: ['HK'] }, { office: 'HK' }, true],
    ['offices not listed', { offices: ['HK'] }, { office: 'NY' }, false],
    ['jurisdictions listed', { jurisdictions: ['US'] }, { office: 'NY' }, true],
    ['jurisdictions not listed', { jurisdictions: ['US'] }, { office: 'LDN' }, false],
    ['regions: one of the office regions', { regions: ['apac'] }, { office: 'HK' }, true],
    ['regions: another office in the region', { regions: ['apac'] }, { office: 'SG' }, true],
    ['regions not listed', { regions: ['apac'] }, { office: 'NY' }, false],
    ['groups listed', { groups: ['traders'] }, { office: 'NY', groups: ['ops', 'traders'] }, true],
    ['groups not listed', { groups: ['traders'] }, { office: 'NY', groups: ['ops'] }, false],
    ['groups with no employee groups', { groups: ['traders'] }, { office: 'NY' }, false],
    ['exceptOffices listed', { exceptOffices: ['HK'] }, { office: 'HK' }, false],
    ['exceptOffices not listed', { exceptOffices: ['HK'] }, { office: 'NY' }, true],
    ['exceptJurisdictions listed', { exceptJurisdictions: ['US'] }, { office: 'NY' }, false],
    ['exceptJurisdictions not listed', { exceptJurisdictions: ['US'] }, { office: 'HK' }, true],
    ['exceptRegions listed', { exceptRegions: ['greater-china'] }, { office: 'HK' }, false],
    ['exceptRegions not listed', { exceptRegions: ['greater-china'] }, { office: 'SG' }, true],
    ['exceptGroups listed', { exceptGroups: ['legal'] }, { office: 'NY', groups: ['legal'] }, false],
    ['exceptGroups not listed', { exceptGroups: ['legal'] }, { office: 'NY', groups: ['ops'] }, true],
    ['absent targeting means anyone', {}, { office: 'NY' }, true],
    ['an empty list matches no one', { offices: [] }, { office: 'NY' }, false],
    ['all conditions must hold', { regions: ['apac'], exceptOffices: ['SG'] }, { office: 'SG' }, false],
    ['unknown office: offices can still name it', { offices: ['ZRH'] }, { office: 'ZRH' }, true],
    ['unknown office has no jurisdiction', { jurisdictions: ['CH'] }, { office: 'ZRH' }, false],
    ['unknown office is not excluded by jurisdiction', { exceptJurisdictions: ['US'] }, { office: 'ZRH' }, true],
  ];
  it.each(cases)('%s', (_name, targeting, employee, applies) => {
    const policy = policyOf({ rules: [rule({ id: 'R', ...targeting })] });
    const d = decideFor(policy, employee, 'https://claude.ai/');
    expect(d.action).toBe(applies ? 'block' : 'allow');
    expect(d.basis).toBe(applies ? 'rule' : 'default');
  });
});

describe('decide: order, default and windows', () => {
  it('the first matching rule in array order wins, even when a later one is stricter', () => {
    const policy = policyOf({
      rules: [rule({ id: 'ALLOW-LEGAL', groups: ['legal'], action: 'allow' }), rule({ id: 'BLOCK-ALL' })],
    });
    expect(decideFor(policy, { office: 'HK', groups: ['legal'] }, 'https://claude.ai/').rule?.id).toBe('ALLOW-LEGAL');
    expect(decideFor(policy, { office: 'HK', groups: ['ops'] }, 'https://claude.ai/').rule?.id).toBe('BLOCK-ALL');
  });

  it('a rule naming several tools applies to each', () => {
    const policy = policyOf({ rules: [rule({ id: 'R', tools: ['claude', 'chatgpt'] })] });
    expect(decideFor(policy, 'NY', 'https://chatgpt.com/').rule?.id).toBe('R');
  });

  it('defaultAction decides when no rule matches a tool, and never for non-tools', () => {
    const policy = policyOf({ defaultAction: 'block', rules: [rule({ id: 'OK', action: 'allow', offices: ['NY'] })] });
    expect(decideFor(policy, 'NY', 'https://claude.ai/')).toMatchObject({ action: 'allow', basis: 'rule' });
    expect(decideFor(policy, 'HK', 'https://claude.ai/')).toMatchObject({
      action: 'block',
      basis: 'default',
      rule: null,
    });
    expect(decideFor(policy, 'HK', 'https://chat.deepseek.com/')).toMatchObject({
      action: 'block',
      toolId: 'deepseek',
      basis: 'default',
    });
    expect(decideFor(policy, 'HK', 'https://example.com/')).toMatchObject({ action: 'allow', basis: 'not-a-tool' });
  });

  it('from is inclusive, until exclusive, and outside the window the next rule decides', () => {
    const policy = policyOf({
      rules: [
        rule({ id: 'MONDAY', from: '2026-11-30T09:00:00+08:00', until: '2026-12-07T09:00:00+08:00' }),
        rule({ id: 'OTHERWISE', action: 'warn' }),
      ],
    });
    const from = Date.parse('2026-11-30T01:00:00Z');
    const until = Date.parse('2026-12-07T01:00:00Z');
    expect(decideFor(policy, 'HK', 'https://claude.ai/', from - 1).rule?.id).toBe('OTHERWISE');
    expect(decideFor(policy, 'HK', 'https://claude.ai/', from).rule?.id).toBe('MONDAY');
    expect(decideFor(policy, 'HK', 'https://claude.ai/', until - 1).rule?.id).toBe('MONDAY');
    expect(decideFor(policy, 'HK', 'https://claude.ai/', until).rule?.id).toBe('OTHERWISE');
    expect(ruleActiveAt(policy.rules[0]!, from)).toBe(true);
    expect(ruleActiveAt(policy.rules[0]!, until)).toBe(false);
    expect(nextRuleChange(policy, from - 1000)).toBe(from);
    expect(nextRuleChange(policy, from)).toBe(until);
    expect(nextRuleChange(policy, until)).toBeNull();
  });

  it('model-level rules are left to the content script', () => {
    const policy = policyOf({
      tools: { chatgpt: { name: 'ChatGPT', domains: ['chatgpt.com'], models: { o9: { name: 'o9' } } } },
      rules: [
        rule({ id: 'NO-O9', tools: ['chatgpt'], models: ['o9'] }),
        rule({ id: 'WARN', tools: ['chatgpt'], action: 'warn' }),
      ],
    });
    expect(decideFor(policy, 'HK', 'https://chatgpt.com/').rule?.id).toBe('WARN');
  });
});

describe('decide: tools, catalogue and paths', () => {
  it('references catalogue tools by id without defining them', () => {
    const policy = policyOf({ rules: [rule({ id: 'NO-DEEPSEEK', tools: ['deepseek'] })] });
    expect(decideFor(policy, 'NY', 'https://chat.deepseek.com/')).toMatchObject({
      action: 'block',
      toolId: 'deepseek',
    });
    expect(decideFor(policy, 'NY', 'https://gemini.google.com/app')).toMatchObject({
      toolId: 'gemini',
      basis: 'default',
    });
    expect(decideFor(policy, 'NY', 'https://www.google.com/')).toMatchObject({ basis: 'not-a-tool' });
  });

  it('a policy definition overrides the catalogue entry of the same id', () => {
    const policy = policyOf({
      tools: { chatgpt: { name: 'ChatGPT (firm)', domains: ['chatgpt.com'] } },
      rules: [rule({ id: 'R', tools: ['chatgpt'] })],
    });
    const d = decideFor(policy, 'NY', 'https://chatgpt.com/');
    expect(d.tool?.name).toBe('ChatGPT (firm)');
    // openai.com is only in the catalogue's definition: added, never dropped by accident.
    expect(decideFor(policy, 'NY', 'https://openai.com/')).toMatchObject({ toolId: 'chatgpt', action: 'block' });
    expect(d.tool?.domains).toEqual(['chatgpt.com', ...CATALOGUE.chatgpt!.domains.filter((x) => x !== 'chatgpt.com')]);
  });

  it("a catalogue tool given paths of its own keeps the catalogue's whole hosts", () => {
    const policy = policyOf({
      tools: { copilot: { name: 'Copilot', domains: ['microsoft365.com', 'copilot.microsoft.com'], paths: ['/chat'] } },
      rules: [rule({ id: 'NO-COPILOT', tools: ['copilot'] })],
    });
    expect(decideFor(policy, 'NY', 'https://microsoft365.com/chat')).toMatchObject({
      toolId: 'copilot',
      action: 'block',
    });
    expect(decideFor(policy, 'NY', 'https://microsoft365.com/docs')).toMatchObject({ basis: 'not-a-tool' });
    // Listed by the catalogue as whole hosts: the policy's paths do not narrow them.
    expect(decideFor(policy, 'NY', 'https://copilot.microsoft.com/')).toMatchObject({
      toolId: 'copilot',
      action: 'block',
    });
    expect(decideFor(policy, 'NY', 'https://copilot.com/x')).toMatchObject({ toolId: 'copilot', action: 'block' });
    const rules = compileDnrRules(compilePolicy(policy), { office: 'NY' }, NOW, {
      blockPageUrl: 'chrome-extension://id/block.html',
      warnPageUrl: 'chrome-extension://id/warn.html',
      browser: 'chrome',
    });
    expect(simulateDnr(rules, 'https://copilot.microsoft.com/', 'main_frame')).toBe(
      'chrome-extension://id/block.html#https://copilot.microsoft.com/',
    );
    expect(simulateDnr(rules, 'https://microsoft365.com/docs', 'main_frame')).toBeNull();
  });

  it('replaceCatalogue narrows a catalogue tool on purpose', () => {
    const policy = policyOf({
      tools: { chatgpt: { name: 'ChatGPT (firm)', domains: ['chatgpt.com'], replaceCatalogue: true } },
      rules: [rule({ id: 'R', tools: ['chatgpt'] })],
    });
    expect(decideFor(policy, 'NY', 'https://chatgpt.com/').action).toBe('block');
    expect(decideFor(policy, 'NY', 'https://openai.com/').basis).toBe('not-a-tool');
    expect(droppedCatalogueDomains('chatgpt', policy.tools.chatgpt!)).toEqual(
      CATALOGUE.chatgpt!.domains.filter((x) => x !== 'chatgpt.com'),
    );
  });

  it('the most specific listed domain wins', () => {
    const policy = policyOf({
      tools: {
        bank: { name: 'Bank AI', domains: ['bank.example'] },
        'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] },
      },
      rules: [rule({ id: 'NO-BANK-AI', tools: ['bank'] })],
    });
    expect(decideFor(policy, 'NY', 'https://x.llm.bank.example/').toolId).toBe('firm-llm');
    expect(decideFor(policy, 'NY', 'https://x.bank.example/')).toMatchObject({ toolId: 'bank', action: 'block' });
  });

  it('overlapping tools: the first rule naming any tool of the URL decides, and names its tool', () => {
    const policy = policyOf({
      tools: { 'firm-gpt': { name: 'Firm GPT', domains: ['chatgpt.com'], paths: ['/g/firm'] } },
      rules: [rule({ id: 'NO-CHATGPT', tools: ['chatgpt'] })],
    });
    // firm-gpt's path is ChatGPT's too: the block on ChatGPT is not hidden by the narrower tool.
    expect(decideFor(policy, 'NY', 'https://chatgpt.com/g/firm/c/1')).toMatchObject({
      toolId: 'chatgpt',
      action: 'block',
      rule: { id: 'NO-CHATGPT' },
    });
    expect(decideFor(policy, 'NY', 'https://chatgpt.com/g/firmware')).toMatchObject({
      toolId: 'chatgpt',
      action: 'block',
    });
    expect(decideFor(policy, 'NY', 'https://chatgpt.com/')).toMatchObject({ toolId: 'chatgpt', action: 'block' });
    // A carve-out is said on purpose, by an earlier rule for the narrower tool.
    const carved = policyOf({
      ...policy,
      rules: [rule({ id: 'FIRM-GPT-OK', tools: ['firm-gpt'], action: 'allow' }), ...policy.rules],
    });
    expect(decideFor(carved, 'NY', 'https://chatgpt.com/g/firm/c/1')).toMatchObject({
      toolId: 'firm-gpt',
      action: 'allow',
      rule: { id: 'FIRM-GPT-OK' },
    });
    expect(decideFor(carved, 'NY', 'https://chatgpt.com/G/%46irm')).toMatchObject({ toolId: 'firm-gpt' });
    expect(decideFor(carved, 'NY', 'https://chatgpt.com/g/firmware')).toMatchObject({
      toolId: 'chatgpt',
      action: 'block',
    });
    // No rule for either: the default, naming the primary tool (the longest matching prefix).
    expect(decideFor(policyOf({ ...policy, rules: [] }), 'NY', 'https://chatgpt.com/g/firm')).toMatchObject({
      toolId: 'firm-gpt',
      basis: 'default',
    });
  });

  it('two tools on one host and path (a policy tool beside the catalogue): a block on either holds', () => {
    const policy = policyOf({
      tools: {
        m365chat: { name: 'M365 Chat', domains: ['microsoft365.com'], paths: ['/chat'] },
        copilot: {
          name: 'Copilot',
          domains: ['copilot.microsoft.com', 'microsoft365.com'],
          paths: ['/chat'],
          replaceCatalogue: true,
        },
      },
      rules: [
        rule({ id: 'HK-COPILOT', tools: ['copilot'], offices: ['HK'] }),
        rule({ id: 'M365-OK', tools: ['m365chat'], action: 'allow' }),
      ],
    });
    expect(decideFor(policy, 'HK', 'https://microsoft365.com/chat')).toMatchObject({
      toolId: 'copilot',
      action: 'block',
      rule: { id: 'HK-COPILOT' },
    });
    expect(decideFor(policy, 'NY', 'https://microsoft365.com/chat')).toMatchObject({
      toolId: 'm365chat',
      action: 'allow',
      rule: { id: 'M365-OK' },
    });
    expect(decideFor(policy, 'HK', 'https://microsoft365.com/docs')).toMatchObject({ basis: 'not-a-tool' });
  });

  it('a tool whose paths do not match is not that tool (catalogue HuggingChat)', () => {
    const policy = policyOf({ rules: [rule({ id: 'NO-HF-CHAT', tools: ['huggingchat'] })] });
    expect(decideFor(policy, 'NY', 'https://huggingface.co/chat/')).toMatchObject({
      toolId: 'huggingchat',
      action: 'block',
    });
    expect(decideFor(policy, 'NY', 'https://huggingface.co/models')).toMatchObject({ basis: 'not-a-tool' });
    expect(decideFor(policy, 'NY', 'https://huggingface.co/chatterbox')).toMatchObject({ basis: 'not-a-tool' });
  });

  it('findTool tolerates IDN and uppercase domains written in the policy', () => {
    const policy = policyOf({ tools: { b: { name: 'Bücher AI', domains: ['KI.Bücher.DE.'] } } });
    expect(findTool(compilePolicy(policy), 'https://ki.xn--bcher-kva.de/')?.toolId).toBe('b');
    expect(findTool(compilePolicy(policy), 'https://KI.BÜCHER.de/')?.toolId).toBe('b');
  });
});

describe('decide: employees and caching', () => {
  it('recomputes when the employee changes between calls on one compiled policy', () => {
    const compiled = compilePolicy(policyOf({ rules: [rule({ id: 'R', offices: ['HK'], exceptGroups: ['legal'] })] }));
    const groups = ['ops'];
    const e = { office: 'HK', groups };
    expect(decide(compiled, e, 'https://claude.ai/', NOW).action).toBe('block');
    expect(decide(compiled, { office: 'NY' }, 'https://claude.ai/', NOW).action).toBe('allow');
    expect(decide(compiled, e, 'https://claude.ai/', NOW).action).toBe('block');
    groups.push('legal'); // the same array, changed in place
    expect(decide(compiled, e, 'https://claude.ai/', NOW).action).toBe('allow');
  });

  it('actionsByTool gives every tool, catalogue included, its action for the employee', () => {
    const actions = actionsByTool(compilePolicy(EXAMPLE), { office: 'HK' }, NOW);
    expect(actions.get('claude')).toMatchObject({ action: 'block', rule: { id: 'HK-ANTHROPIC-2026-11' } });
    expect(actions.get('firm-llm')).toEqual({ action: 'allow', rule: null });
    expect(actions.get('deepseek')).toEqual({ action: 'allow', rule: null });
    expect(actions.size).toBe(new Set([...Object.keys(CATALOGUE), 'firm-llm']).size);
  });
});

describe('decideWithoutPolicy', () => {
  it('fail-closed blocks catalogue tools and says so; fail-open allows and says so', () => {
    expect(decideWithoutPolicy('closed', 'https://claude.ai/')).toMatchObject({
      action: 'block',
      toolId: 'claude',
      basis: 'fail-closed',
    });
    expect(decideWithoutPolicy('open', 'https://claude.ai/')).toMatchObject({
      action: 'allow',
      toolId: 'claude',
      basis: 'fail-open',
    });
    expect(decideWithoutPolicy('closed', 'https://example.com/')).toMatchObject({
      action: 'allow',
      basis: 'not-a-tool',
    });
    expect(decideWithoutPolicy('closed', 'https://claude.ai@evil.example/')).toMatchObject({ basis: 'not-a-tool' });
  });

  it('honours catalogue paths (huggingface.co is not all AI)', () => {
    expect(decideWithoutPolicy('closed', 'https://huggingface.co/chat')).toMatchObject({
      action: 'block',
      toolId: 'huggingchat',
    });
    expect(decideWithoutPolicy('closed', 'https://huggingface.co/datasets')).toMatchObject({
      action: 'allow',
      basis: 'not-a-tool',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Reference model: a naive linear scan written straight from the documented matching rules (docs/enforcement.md#which-tool-which-rule). The fast
// decide() must agree with it on random policies, employees, URLs and instants.

function naiveTargets(r: Rule, office: string, groups: readonly string[], policy: Policy): boolean {
  const o = Object.hasOwn(policy.offices, office) ? policy.offices[office] : undefined;
  const jurisdictions = o?.jurisdiction === undefined ? [] : [o.jurisdiction];
  const regions = o?.regions ?? [];
  const some = (list: string[] | undefined, values: readonly string[]) =>
    list !== undefined && values.some((v) => list.includes(v));
  if (r.offices !== undefined && !r.offices.includes(office)) return false;
  if (r.jurisdictions !== undefined && !some(r.jurisdictions, jurisdictions)) return false;
  if (r.regions !== undefined && !some(r.regions, regions)) return false;
  if (r.groups !== undefined && !some(r.groups, groups)) return false;
  if (r.exceptOffices?.includes(office)) return false;
  if (some(r.exceptJurisdictions, jurisdictions)) return false;
  if (some(r.exceptRegions, regions)) return false;
  if (some(r.exceptGroups, groups)) return false;
  return true;
}

function naiveDecide(
  policy: Policy,
  employee: Employee,
  url: string,
  now: number,
): { action: string; toolId: string | null; ruleIndex: number } {
  const none = { action: 'allow', toolId: null, ruleIndex: -1 };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return none;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return none;
  if (u.hostname.startsWith('[')) return none;
  const host = u.hostname.replace(/\.+$/, '');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return none;
  // Every tool, policy first; a policy tool with a catalogue id keeps the catalogue's domains
  // unless it says replaceCatalogue.
  // Own `paths` that differ from the catalogue's scope only the policy's domains: the catalogue's
  // keep the catalogue's scope, ranked after every policy tool.
  type T = Policy['tools'][string];
  const key = (paths: readonly string[] | undefined) =>
    JSON.stringify((paths ?? []).map((x) => normalizePath(x)).sort());
  const split: Array<[string, T]> = [];
  const all: Array<[string, T]> = [
    ...Object.entries(policy.tools).map(([id, own]): [string, T] => {
      const cat = Object.hasOwn(CATALOGUE, id) ? CATALOGUE[id]! : undefined;
      if (!cat || own.replaceCatalogue) return [id, own];
      if (own.paths !== undefined && key(own.paths) !== key(cat.paths)) {
        split.push([id, { ...cat, ...own, domains: cat.domains, paths: cat.paths }]);
        return [id, own];
      }
      return [id, { ...cat, ...own, domains: [...own.domains, ...cat.domains] }];
    }),
  ];
  all.push(...split, ...Object.entries(CATALOGUE).filter(([id]) => !Object.hasOwn(policy.tools, id)));
  // The URL's tools: those matching at the longest matching domain (with a covering path prefix).
  const matches: Array<{ id: string; order: number; domain: number; path: number }> = [];
  all.forEach(([id, tool], order) => {
    for (const raw of tool.domains) {
      const d = normalizeHost(raw);
      if (!d || !(host === d || host.endsWith(`.${d}`))) continue;
      const path = matchedPathLength(u.pathname, tool.paths);
      if (path >= 0) matches.push({ id, order, domain: d.length, path });
    }
  });
  if (matches.length === 0) return none;
  const top = Math.max(...matches.map((m) => m.domain));
  const tools = matches.filter((m) => m.domain === top).sort((a, b) => b.path - a.path || a.order - b.order);
  // The primary tool (longest prefix, then order) first, then the others in order.
  const ids = [
    tools[0]!.id,
    ...[
      ...new Set(
        tools
          .slice(1)
          .sort((a, b) => a.order - b.order)
          .map((m) => m.id),
      ),
    ].filter((id) => id !== tools[0]!.id),
  ];
  for (let i = 0; i < policy.rules.length; i++) {
    const r = policy.rules[i]!;
    const named = ids.find((id) => (r.tools ?? []).includes(id));
    if (named === undefined || r.models) continue;
    if (r.from && now < Date.parse(r.from)) continue;
    if (r.until && now >= Date.parse(r.until)) continue;
    if (naiveTargets(r, employee.office, employee.groups ?? [], policy))
      return { action: r.action, toolId: named, ruleIndex: i };
  }
  return { action: policy.defaultAction, toolId: ids[0]!, ruleIndex: -1 };
}

const OFFICES = ['HK', 'NY', 'LDN', 'SG', 'ZRH'];
const JURISDICTIONS = ['HK', 'US', 'GB', 'SG', 'CH'];
const REGIONS = ['apac', 'emea', 'americas', 'greater-china'];
const GROUPS = ['ops', 'legal', 'traders', 'it'];
const DOMAINS = [
  'claude.ai',
  'chatgpt.com',
  'bank.example',
  'llm.bank.example',
  'a.llm.bank.example',
  'deepseek.com',
  'example.org',
  'Mixed.Case.example',
  'xn--bcher-kva.de',
];
const TOOL_IDS = ['claude', 'chatgpt', 'deepseek', 'gemini', 'firm-llm', 'bank', 'extra'];
const PATHS = ['/chat', '/g/firm', '/api/', '/'];
const TIMES = ['2026-11-21T00:00:00Z', '2026-11-25T00:00:00Z', '2026-11-28T12:00:00+08:00'];

const subset = <T>(xs: readonly T[]) => fc.subarray([...xs]);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });

const ruleArb = fc.record(
  {
    id: fc.stringMatching(/^R[0-9]{1,3}$/),
    tools: fc.subarray(TOOL_IDS, { minLength: 1 }),
    action: fc.constantFrom('block', 'warn', 'monitor', 'allow'),
    offices: maybe(subset(OFFICES)),
    jurisdictions: maybe(subset(JURISDICTIONS)),
    regions: maybe(subset(REGIONS)),
    groups: maybe(subset(GROUPS)),
    exceptOffices: maybe(subset(OFFICES)),
    exceptJurisdictions: maybe(subset(JURISDICTIONS)),
    exceptRegions: maybe(subset(REGIONS)),
    exceptGroups: maybe(subset(GROUPS)),
    from: maybe(fc.constantFrom(...TIMES)),
    until: maybe(fc.constantFrom(...TIMES)),
    models: fc.option(fc.constant(['m1']), { nil: undefined, freq: 8 }),
  },
  { requiredKeys: ['id', 'tools', 'action'] },
);

const toolArb = fc.record(
  {
    name: fc.constant('T'),
    domains: fc.subarray(DOMAINS, { minLength: 1, maxLength: 3 }),
    paths: maybe(fc.subarray(PATHS, { minLength: 1, maxLength: 2 })),
  },
  { requiredKeys: ['name', 'domains'] },
);

const policyArb = fc
  .record({
    tools: fc.dictionary(fc.constantFrom(...TOOL_IDS), toolArb, { maxKeys: 5 }),
    rules: fc.array(ruleArb, { maxLength: 12 }),
    defaultAction: fc.constantFrom('allow', 'block', 'warn', 'monitor'),
  })
  .map((p) => {
    // Drop undefined optional fields so the object is what a JSON document would be.
    const policy = policyOf(JSON.parse(JSON.stringify(p)) as Partial<PolicyInput>);
    return policy;
  });

const urlArb = fc
  .tuple(
    fc.constantFrom('https://', 'http://', 'HTTP://', 'ftp://', 'wss://'),
    fc.constantFrom('', 'user@', 'claude.ai@', 'a:b@'),
    fc.constantFrom('', 'www.', 'x.y.', 'not', 'a.'),
    fc.constantFrom(...DOMAINS, 'claude.ai.evil.example', '127.0.0.1', '[::1]', 'bücher.de', 'example.com'),
    fc.constantFrom('', '.', ':8443'),
    fc.constantFrom(
      '/',
      '/chat',
      '/chat/x',
      '/chatter',
      '/CHAT',
      '/%63hat',
      '/g/firm/1',
      '/g/firmware',
      '/api',
      '//api/v1',
      '',
    ),
    fc.constantFrom('', '?q=1', '#frag'),
  )
  .map((parts) => parts.join(''));

const employeeArb = fc.record({ office: fc.constantFrom(...OFFICES, 'XX'), groups: subset(GROUPS) });
const nowArb = fc.constantFrom(
  ...TIMES.map(Date.parse),
  Date.parse('2026-11-20T00:00:00Z'),
  Date.parse('2026-12-01T00:00:00Z'),
);

describe('decide agrees with the naive reference model (property)', () => {
  it('on random policies, employees, URLs and instants', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(fc.tuple(employeeArb, urlArb, nowArb), { minLength: 1, maxLength: 8 }),
        (policy, cases) => {
          const compiled = compilePolicy(policy);
          for (const [employee, url, now] of cases) {
            const fast = decide(compiled, employee, url, now);
            const slow = naiveDecide(policy, employee, url, now);
            expect(
              { action: fast.action, toolId: fast.toolId, ruleIndex: fast.rule ? policy.rules.indexOf(fast.rule) : -1 },
              url,
            ).toEqual(slow);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('on adversarial URL spellings: the host fast path gives what the WHATWG parser gives', () => {
    const trickyUrlArb = fc
      .tuple(
        fc.constantFrom(
          'https://',
          'http://',
          'HTTPS://',
          'hTTp://',
          'https:',
          'https:\\\\',
          '\thttps://',
          ' https://',
          'wss://',
          'ftp://',
        ),
        fc.constantFrom('', '', 'user@', 'claude.ai@', 'a:b@', '%40@', 'chatgpt.com:443@'),
        fc.constantFrom('', '', 'www.', 'WWW.', 'x.y.', 'not', 'a.', 'xn--a.', 'xn--bcher-kva.'),
        fc.constantFrom(
          ...DOMAINS,
          'CLAUDE.AI',
          'claude.ai.evil.example',
          'claude%2eai',
          'cla\tude.ai',
          'claude.a\ni',
          'claude\u3002ai',
          'claude\uff0eai',
          '127.1',
          '0x7f.1',
          '2130706433',
          '[::1]',
          'bücher.de',
          'BÜCHER.de',
        ),
        fc.constantFrom('', '', '.', '..', ':443', ':8443', ':', '\\'),
        fc.constantFrom(
          '/',
          '/chat',
          '/./chat',
          '/x/../chat',
          '/%2e%2e/chat',
          '/chat/..',
          '/CHAT',
          '/%63hat',
          '/g/firm/1',
          '\\chat',
          '//api/v1',
          '/api/%2e/x',
          '',
        ),
        fc.constantFrom('', '?q=1', '#frag', '?a/../b'),
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(
        policyArb,
        fc.array(fc.tuple(employeeArb, trickyUrlArb, nowArb), { minLength: 1, maxLength: 8 }),
        (policy, cases) => {
          const compiled = compilePolicy(policy);
          for (const [employee, url, now] of cases) {
            const fast = decide(compiled, employee, url, now);
            const slow = naiveDecide(policy, employee, url, now);
            expect(
              { action: fast.action, toolId: fast.toolId, ruleIndex: fast.rule ? policy.rules.indexOf(fast.rule) : -1 },
              JSON.stringify(url),
            ).toEqual(slow);
          }
        },
      ),
      { numRuns: 600 },
    );
  });

  it('actionsByTool agrees with decide for a URL on each tool without paths (never less strict where tools overlap)', () => {
    const strictness = { allow: 0, monitor: 1, warn: 2, block: 3 } as const;
    fc.assert(
      fc.property(policyArb, employeeArb, nowArb, (policy, employee, now) => {
        const compiled = compilePolicy(policy);
        const actions = actionsByTool(compiled, employee, now);
        // Domain → how many tools list it.
        const listers = new Map<string, number>();
        for (const t of compiled.tools.values())
          for (const x of new Set(t.domains.map(normalizeHost))) listers.set(x, (listers.get(x) ?? 0) + 1);
        for (const [toolId, tool] of compiled.tools) {
          if (tool.paths) continue;
          const domain = normalizeHost(tool.domains[0]!);
          const d = decide(compiled, employee, `https://${domain}/`, now);
          if (d.toolId !== toolId) continue; // another tool owns that exact domain
          // A tool sharing a listed domain gets the strictest decision where the tools meet.
          const shared = tool.domains.some((x) => listers.get(normalizeHost(x))! > 1);
          if (shared) expect(strictness[actions.get(toolId)!.action]).toBeGreaterThanOrEqual(strictness[d.action]);
          else expect(actions.get(toolId)?.action).toBe(d.action);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never throws on arbitrary URLs and employees', () => {
    const compiled = compilePolicy(EXAMPLE);
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), urlArb, fc.string({ unit: 'grapheme' })),
        fc.string(),
        fc.array(fc.string()),
        fc.double(),
        (url, office, groups, now) => {
          const d = decide(compiled, { office, groups }, url, now);
          expect(['allow', 'warn', 'monitor', 'block']).toContain(d.action);
          decideWithoutPolicy('closed', url);
        },
      ),
      { numRuns: 500 },
    );
  });
});
