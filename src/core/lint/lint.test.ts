import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../catalogue/catalogue.ts';
import { domainProblem, lintPolicy, type LintIssue } from './lint.ts';
import { hasNestedQuantifier } from '../decide/regex-safety.ts';

const NOW = Date.parse('2026-11-25T00:00:00Z');

/** A clean policy; each test changes one thing. */
function base(): Record<string, any> {
  return {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 7,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK', regions: ['greater-china', 'apac'] },
      NY: { name: 'New York', jurisdiction: 'US', regions: ['americas'] },
      LDN: { name: 'London', jurisdiction: 'GB', regions: ['emea'] },
    },
    tools: { 'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] } },
    rules: [
      {
        id: 'HK-CLAUDE',
        tools: ['claude'],
        offices: ['HK'],
        action: 'block',
        notice: { title: { en: 'Do not use', 'zh-Hant': '請勿使用' }, alternatives: ['firm-llm'] },
      },
      {
        id: 'NON-US-CLAUDE',
        tools: ['claude'],
        exceptJurisdictions: ['US'],
        action: 'warn',
        notice: { title: 'Check first' },
      },
    ],
  };
}

const lint = (doc: unknown) => lintPolicy(doc, NOW);
const at = (issues: LintIssue[], path: string) => issues.filter((i) => i.path === path);
const only = (issues: LintIssue[], path: string): LintIssue => {
  const found = at(issues, path);
  expect(found, JSON.stringify(issues, null, 1)).toHaveLength(1);
  return found[0]!;
};

describe('lintPolicy', () => {
  it('finds nothing in a clean policy', () => {
    expect(lint(base())).toEqual([]);
  });

  it('reports schema errors with their JSON path', () => {
    const doc = base();
    doc.rules[0].action = 'deny';
    doc.version = 2;
    const issues = lint(doc);
    expect(only(issues, '$.rules[0].action')).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/expected one of "block"/),
    });
    expect(only(issues, '$.version')).toMatchObject({ severity: 'error' });
  });

  it('reports a document that is not an object', () => {
    expect(lint('hello')).toEqual([expect.objectContaining({ severity: 'error', path: '$' })]);
    expect(lint(null)[0]?.path).toBe('$');
  });

  it('unknown tool ids in rules and alternatives (not in the policy nor the catalogue)', () => {
    const doc = base();
    doc.rules[0].tools = ['claude', 'claud'];
    doc.rules[0].notice.alternatives = ['firm-llm', 'firm-lm'];
    const issues = lint(doc);
    expect(only(issues, '$.rules[0].tools[1]')).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('unknown tool "claud"'),
    });
    expect(only(issues, '$.rules[0].notice.alternatives[1]').message).toContain('unknown alternative tool "firm-lm"');
    expect(at(issues, '$.rules[0].tools[0]')).toEqual([]); // catalogue tool
  });

  it('unknown office ids in offices and exceptOffices', () => {
    const doc = base();
    doc.rules[0].offices = ['HK', 'HKG'];
    doc.rules[1].exceptOffices = ['NYC'];
    const issues = lint(doc);
    expect(only(issues, '$.rules[0].offices[1]').message).toContain('unknown office "HKG"');
    expect(only(issues, '$.rules[1].exceptOffices[0]').message).toContain('unknown office "NYC"');
  });

  describe('unreachable rules', () => {
    it('a later rule for the same tools and a subset of employees', () => {
      const doc = base();
      doc.rules.push({ id: 'LDN-CLAUDE', tools: ['claude'], offices: ['LDN'], action: 'block' });
      const issue = only(lint(doc), '$.rules[2]');
      expect(issue).toMatchObject({ severity: 'error' });
      expect(issue.message).toMatch(/^unreachable rule "LDN-CLAUDE": rule "NON-US-CLAUDE" \(\$\.rules\[1\]\)/);
      expect(issue.rule).toBe('LDN-CLAUDE');
    });

    it('an earlier rule for everyone shadows everything after it for those tools', () => {
      const doc = base();
      doc.rules.unshift({ id: 'ALL', tools: ['claude', 'chatgpt'], action: 'warn' });
      const issues = lint(doc);
      expect(at(issues, '$.rules[1]')).toHaveLength(1);
      expect(at(issues, '$.rules[2]')).toHaveLength(1);
    });

    it('is not reported when the earlier rule has a window, models, fewer tools or fewer employees', () => {
      const variants = [
        { from: '2026-12-01T00:00:00Z' },
        { until: '2026-12-01T00:00:00Z' },
        { models: ['opus'] },
        { tools: ['chatgpt'] },
        { exceptOffices: ['LDN'] },
        { groups: ['traders'] },
      ];
      for (const v of variants) {
        const doc = base();
        doc.rules = [
          { id: 'FIRST', tools: ['claude'], action: 'warn', ...v },
          { id: 'LDN', tools: ['claude'], offices: ['LDN'], action: 'block' },
        ];
        expect(at(lint(doc), '$.rules[1]'), JSON.stringify(v)).toEqual([]);
      }
    });

    it('model-level rules: shadowed only by an earlier model rule for all their models, or by a block of the tool', () => {
      const doc = base();
      doc.tools.claude = {
        name: 'Claude',
        domains: ['claude.ai'],
        models: {
          mythos: { name: 'Mythos', match: { text: ['Mythos'] } },
          opus: { name: 'Opus', match: { text: ['Opus'] } },
        },
      };
      doc.rules = [
        { id: 'WARN-ALL', tools: ['claude'], action: 'warn' },
        { id: 'MYTHOS', tools: ['claude'], models: ['mythos'], action: 'block' },
        { id: 'MYTHOS-OPUS', tools: ['claude'], models: ['mythos', 'opus'], action: 'block' },
        { id: 'MYTHOS-AGAIN', tools: ['claude'], models: ['mythos'], offices: ['HK'], action: 'warn' },
      ];
      const issues = lint(doc);
      expect(at(issues, '$.rules[1]')).toEqual([]); // applies on top of the warn
      expect(at(issues, '$.rules[2]')).toEqual([]); // opus is new
      expect(only(issues, '$.rules[3]').message).toMatch(/unreachable rule "MYTHOS-AGAIN": rule "MYTHOS"/);
      doc.rules[0].action = 'block';
      expect(only(lint(doc), '$.rules[1]').message).toMatch(/unreachable rule "MYTHOS": rule "WARN-ALL"/);
    });

    it('reasons over jurisdictions, regions and groups', () => {
      const doc = base();
      doc.rules = [
        { id: 'APAC', tools: ['claude'], regions: ['apac'], action: 'block', exceptGroups: ['legal'] },
        { id: 'HK-JUR', tools: ['claude'], jurisdictions: ['HK'], exceptGroups: ['legal', 'it'], action: 'warn' },
        { id: 'HK-ANY', tools: ['claude'], offices: ['HK'], action: 'warn' },
        { id: 'TRADERS', tools: ['claude'], groups: ['traders'], action: 'warn' },
        { id: 'TRADERS-HK', tools: ['claude'], groups: ['traders'], offices: ['HK'], action: 'allow' },
      ];
      const issues = lint(doc);
      expect(at(issues, '$.rules[1]')).toHaveLength(1); // HK ⊂ apac, and it excludes more groups
      expect(at(issues, '$.rules[2]')).toEqual([]); // HK legal staff reach it
      expect(at(issues, '$.rules[3]')).toEqual([]);
      expect(at(issues, '$.rules[4]')).toHaveLength(1);
    });
  });

  it('alternatives that are blocked where the rule applies', () => {
    const doc = base();
    doc.rules.unshift({ id: 'NO-FIRM-LLM-HK', tools: ['firm-llm'], regions: ['greater-china'], action: 'block' });
    const issue = only(lint(doc), '$.rules[1].notice.alternatives[0]');
    expect(issue).toMatchObject({ severity: 'error' });
    expect(issue.message).toContain('"firm-llm" is itself blocked (by rule "NO-FIRM-LLM-HK") for office HK');
  });

  it('alternatives blocked by defaultAction', () => {
    const doc = base();
    doc.defaultAction = 'block';
    expect(only(lint(doc), '$.rules[0].notice.alternatives[0]').message).toContain('by "defaultAction"');
  });

  it('an alternative blocked only in another office is fine', () => {
    const doc = base();
    doc.rules.unshift({ id: 'NO-FIRM-LLM-NY', tools: ['firm-llm'], offices: ['NY'], action: 'block' });
    expect(at(lint(doc), '$.rules[1].notice.alternatives[0]')).toEqual([]);
  });

  it('offices with no name', () => {
    const doc = base();
    doc.offices.SG = { jurisdiction: 'SG' };
    doc.offices.ZRH = { name: '' };
    doc.offices.PAR = { name: '   ' };
    const issues = lint(doc);
    expect(only(issues, '$.offices.SG.name').message).toMatch(/missing required property "name"/);
    expect(only(issues, '$.offices.ZRH.name').message).toMatch(/needs a name/);
    expect(only(issues, '$.offices.PAR.name').message).toMatch(/needs a name/);
  });

  it('notice texts whose language map lacks "en"', () => {
    const doc = base();
    doc.rules[0].notice.title = { 'zh-Hant': '請勿使用' };
    doc.rules[0].notice.reason = { fr: 'raison' };
    doc.rules[0].notice.reference = { de: 'Ref' };
    const issues = lint(doc);
    for (const field of ['title', 'reason', 'reference']) {
      expect(only(issues, `$.rules[0].notice.${field}`).message).toMatch(/"en"/);
    }
  });

  it('an expired policy, and issued after expires', () => {
    const doc = base();
    doc.expires = '2026-11-24T00:00:00Z';
    expect(only(lint(doc), '$.expires').message).toMatch(/expired/);
    doc.issued = '2026-11-24T12:00:00Z';
    expect(only(lint(doc), '$.issued').message).toMatch(/not before "expires"/);
  });

  it('a serial that is not an integer', () => {
    for (const serial of [1.5, '7', -1, 2 ** 60]) {
      const doc = base();
      doc.serial = serial;
      expect(only(lint(doc), '$.serial')).toMatchObject({
        severity: 'error',
        message: expect.stringMatching(/serial/),
      });
    }
  });

  it('domains that are not registrable hosts', () => {
    const cases: Array<[string, RegExp, 'error' | 'warning']> = [
      ['https://llm.bank.example', /is a URL/, 'error'],
      ['llm.bank.example/chat', /contains a path/, 'error'],
      ['llm.bank.example:443', /contains a port/, 'error'],
      ['*.bank.example', /wildcard/, 'error'],
      ['10.0.0.1', /IP address/, 'error'],
      ['0x7f.1', /IP address/, 'error'],
      ['[::1]', /IP address/, 'error'],
      ['user@bank.example', /userinfo/, 'error'],
      ['bank..example', /not a domain name/, 'error'],
      ['ai', /single label/, 'warning'],
    ];
    for (const [domain, message, severity] of cases) {
      const doc = base();
      doc.tools['firm-llm'].domains = ['llm.bank.example', domain];
      expect(only(lint(doc), '$.tools["firm-llm"].domains[1]'), domain).toMatchObject({
        severity,
        message: expect.stringMatching(message),
      });
    }
    expect(domainProblem('Claude.AI.')).toBeNull();
    expect(domainProblem('bücher.de')).toBeNull();
  });

  it('duplicate rule ids', () => {
    const doc = base();
    doc.rules[1].id = 'HK-CLAUDE';
    expect(only(lint(doc), '$.rules[1].id').message).toMatch(/duplicate rule id "HK-CLAUDE".*\$\.rules\[0\]\.id/);
  });

  it('dataControls on a block rule', () => {
    const doc = base();
    doc.rules[0].dataControls = { paste: 'block' };
    expect(only(lint(doc), '$.rules[0].dataControls')).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/not "block"/),
    });
    doc.rules[0].action = 'warn';
    expect(at(lint(doc), '$.rules[0].dataControls')).toEqual([]);
  });

  it('invalid and catastrophic regular expressions in dataControls.patterns', () => {
    const doc = base();
    doc.rules[1].dataControls = {
      sensitive: 'block',
      patterns: [
        { name: 'account', regex: '\\bHC\\d{8}\\b' },
        { name: 'broken', regex: '([a-z]+' },
        { name: 'redos', regex: '^(a+)+$' },
      ],
    };
    const issues = lint(doc);
    expect(at(issues, '$.rules[1].dataControls.patterns[0].regex')).toEqual([]);
    expect(only(issues, '$.rules[1].dataControls.patterns[1].regex').message).toMatch(/not a valid regular expression/);
    expect(only(issues, '$.rules[1].dataControls.patterns[2].regex').message).toMatch(/backtrack catastrophically/);
  });

  it('from after until, and windows that already ended', () => {
    const doc = base();
    doc.rules[0].from = '2026-12-10T00:00:00Z';
    doc.rules[0].until = '2026-12-01T00:00:00Z';
    expect(only(lint(doc), '$.rules[0].until')).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/never applies/),
    });
    doc.rules[0].from = '2026-11-01T00:00:00Z';
    doc.rules[0].until = '2026-11-02T00:00:00Z';
    expect(only(lint(doc), '$.rules[0].until')).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/ended/),
    });
  });

  it('unknown fields, which the schema refuses (a misspelt condition would silently widen a rule)', () => {
    const doc = base();
    doc.rules[0].exceptOffice = ['NY'];
    doc.rules[1].comment = 'why'; // valibot names the first unknown field of each object
    const issues = lint(doc);
    expect(only(issues, '$.rules[0].exceptOffice')).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('did you mean "exceptOffices"'),
    });
    expect(only(issues, '$.rules[1].comment')).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('unknown field "comment"'),
    });
  });

  it('empty targeting lists that match no one', () => {
    const doc = base();
    doc.rules[1].groups = [];
    expect(only(lint(doc), '$.rules[1].groups').severity).toBe('warning');
    doc.rules[1].offices = [];
    expect(at(lint(doc), '$.rules[1]')).toEqual([]); // reported once, at the empty list, not again as "applies to no office"
    expect(only(lint(doc), '$.rules[1].offices').severity).toBe('warning');
  });

  it('keeps reporting semantic problems when the schema fails elsewhere', () => {
    const doc = base();
    doc.serial = 'seven';
    doc.rules[0].tools = ['nope'];
    const issues = lint(doc);
    expect(at(issues, '$.serial')).toHaveLength(1);
    expect(at(issues, '$.rules[0].tools[0]')).toHaveLength(1);
  });

  it('never throws on arbitrary documents (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 5 }),
          fc.record({
            offices: fc.jsonValue({ maxDepth: 3 }),
            tools: fc.jsonValue({ maxDepth: 3 }),
            rules: fc.array(
              fc.dictionary(
                fc.constantFrom(
                  'id',
                  'tools',
                  'offices',
                  'groups',
                  'exceptGroups',
                  'from',
                  'until',
                  'notice',
                  'dataControls',
                  'action',
                ),
                fc.jsonValue({ maxDepth: 2 }),
              ),
            ),
          }),
        ),
        (doc) => {
          const issues = lintPolicy(doc, NOW);
          for (const i of issues) expect(i.path.startsWith('$')).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('hasNestedQuantifier', () => {
  it.each(['(a+)+', '(a*)*', '^(\\w+\\s?)*$', '((ab)*c)+', '(?:x+y?){2,}', '(?<n>\\d+)+', '(a+){1,100}'])(
    'flags %s',
    (re) => {
      expect(hasNestedQuantifier(re)).toBe(true);
    },
  );
  it.each(['\\bHC\\d{8}\\b', '(ab)+', '[(a+)]+', '\\(a+\\)+', 'a+b+', '(a+)?', '(\\d{3}-)+\\d{4}', '(a+){2}'])(
    'accepts %s',
    (re) => {
      expect(hasNestedQuantifier(re)).toBe(false);
    },
  );
});

describe('catastrophic backtracking heuristics', () => {
  it('refuses repeated alternations and nested repeats, and accepts ordinary patterns', async () => {
    const { canBacktrackCatastrophically } = await import('../decide/regex-safety.ts');
    for (const bad of ['(\\w|\\d)+$', '(a|aa)+$', '(?:x|y)*z', '(a+)+$', '(a|b){2,}'])
      expect(canBacktrackCatastrophically(bad), bad).toBe(true);
    for (const ok of [
      '\\bHC\\d{8}\\b',
      '[\\w\\d]+',
      '(foo|bar)',
      '(a|b){2}',
      '\\(x|y\\)+',
      '[(a|b)]+',
      '[A-Z]{2}\\d{10}',
    ])
      expect(canBacktrackCatastrophically(ok), ok).toBe(false);
  });
});

describe('lintPolicy: honest mistakes that would quietly weaken enforcement', () => {
  it('names the rule id of every issue under $.rules[N]', () => {
    const doc = base();
    doc.rules[1].tools = ['claud'];
    const issue = only(lint(doc), '$.rules[1].tools[0]');
    expect(issue).toMatchObject({ rule: 'NON-US-CLAUDE', message: expect.stringContaining('did you mean "claude"?') });
    expect(lint(base()).every((i) => i.rule === undefined)).toBe(true);
  });

  it('jurisdictions that are not ISO 3166-1 alpha-2 codes, with a hint', () => {
    const doc = base();
    doc.rules[0].jurisdictions = ['HKG'];
    doc.rules[1].exceptJurisdictions = ['USA'];
    doc.offices.LDN.jurisdiction = 'UK';
    const issues = lint(doc);
    expect(only(issues, '$.rules[0].jurisdictions[0]')).toMatchObject({
      severity: 'error',
      rule: 'HK-CLAUDE',
      message: expect.stringMatching(
        /"HKG" is not an ISO 3166-1 alpha-2 country code, so it selects no office; did you mean "HK"\?/,
      ),
    });
    expect(only(issues, '$.rules[1].exceptJurisdictions[0]')).toMatchObject({
      severity: 'error',
      rule: 'NON-US-CLAUDE',
      message: expect.stringMatching(/"USA".*\(the rule applies there too\); did you mean "US"\?/),
    });
    expect(only(issues, '$.offices.LDN.jurisdiction')).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('did you mean "GB"?'),
    });
  });

  it('a lower-case code is named with its upper-case form, an unknown one with the format', () => {
    const doc = base();
    doc.rules[0].jurisdictions = ['hk', 'XX'];
    const issues = lint(doc);
    expect(only(issues, '$.rules[0].jurisdictions[0]').message).toContain('did you mean "HK"?');
    expect(only(issues, '$.rules[0].jurisdictions[1]').message).toContain('two capital letters');
  });

  it('a region or jurisdiction that no office has is a warning', () => {
    const doc = base();
    doc.rules[0].regions = ['emae'];
    doc.rules[1].exceptJurisdictions = ['US', 'FR'];
    const issues = lint(doc);
    expect(only(issues, '$.rules[0].regions[0]')).toMatchObject({
      severity: 'warning',
      rule: 'HK-CLAUDE',
      message: expect.stringMatching(/no office is in region "emae".*did you mean "emea"\?/),
    });
    expect(only(issues, '$.rules[1].exceptJurisdictions[1]')).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/no office has jurisdiction "FR" \(offices' jurisdictions: GB, HK, US\)/),
    });
    expect(at(issues, '$.rules[1].exceptJurisdictions[0]')).toEqual([]);
  });

  it('an office without jurisdiction when rules target jurisdictions', () => {
    const doc = base();
    delete doc.offices.NY.jurisdiction;
    const issue = only(lint(doc), '$.offices.NY');
    expect(issue).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/no "jurisdiction".*rule "NON-US-CLAUDE" apply to it/),
    });
    doc.rules.pop();
    expect(at(lint(doc), '$.offices.NY')).toEqual([]);
  });

  it("model ids that none of the rule's tools defines, and tools that define no models", () => {
    const doc = base();
    doc.tools.claude = {
      name: 'Claude',
      domains: ['claude.ai'],
      models: { mythos: { name: 'Mythos', match: { text: ['Mythos'] } }, fable: { name: 'Fable' } },
    };
    doc.rules.push({ id: 'MODELS', tools: ['claude'], models: ['mythos', 'fabel'], action: 'block' });
    doc.rules.push({ id: 'NO-MODELS', tools: ['firm-llm'], models: ['opus'], action: 'block' });
    doc.rules.push({ id: 'EMPTY-MODELS', tools: ['claude'], models: [], action: 'block' });
    const issues = lint(doc);
    expect(at(issues, '$.rules[2].models[0]')).toEqual([]);
    expect(only(issues, '$.rules[2].models[1]')).toMatchObject({
      severity: 'error',
      rule: 'MODELS',
      message: expect.stringMatching(
        /model "fabel" is not defined by any tool of rule "MODELS" \(claude: mythos, fable\); did you mean "fable"\?/,
      ),
    });
    expect(only(issues, '$.rules[3].models[0]')).toMatchObject({
      severity: 'error',
      rule: 'NO-MODELS',
      message: expect.stringMatching(/"firm-llm" defines no models/),
    });
    expect(only(issues, '$.rules[4].models')).toMatchObject({ severity: 'warning', rule: 'EMPTY-MODELS' });
  });

  it('a policy tool with replaceCatalogue names the catalogue domains it drops', () => {
    const doc = base();
    doc.tools.claude = { name: 'Claude', domains: ['claude.ai', 'anthropic.com'], replaceCatalogue: true };
    doc.tools.claud = { name: 'Typo', domains: ['claud.example'], replaceCatalogue: true };
    const issues = lint(doc);
    expect(only(issues, '$.tools.claude.replaceCatalogue')).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/drops "claude\.com"/),
    });
    expect(only(issues, '$.tools.claud.replaceCatalogue').message).toMatch(/no tool "claud".*did you mean "claude"\?/);
    doc.tools.claude.domains = [...CATALOGUE.claude!.domains];
    expect(at(lint(doc), '$.tools.claude.replaceCatalogue')).toEqual([]);
  });

  it('a notice translated into a language for some fields only', () => {
    const doc = base();
    doc.rules[0].notice.reason = { en: 'Licence terms', fr: 'Conditions de licence' };
    doc.rules[0].notice.reference = 'CT-2026-014'; // an identifier: not text to translate
    const issues = at(lint(doc), '$.rules[0].notice');
    expect(issues.map((i) => i.message).sort()).toEqual([
      expect.stringMatching(/translated into "fr" for reason only: title will show in English/),
      expect.stringMatching(/translated into "zh-Hant" for title only: reason will show in English/),
    ]);
    expect(issues.every((i) => i.severity === 'warning' && i.rule === 'HK-CLAUDE')).toBe(true);
  });

  it('zh-HK text falls back to zh-Hant, so a zh-Hant field covers zh-HK readers', () => {
    const doc = base();
    doc.rules[0].notice.title = { en: 'Do not use', 'zh-HK': '請勿使用' };
    doc.rules[0].notice.reason = { en: 'Licence terms', 'zh-Hant': '授權條款' };
    const messages = at(lint(doc), '$.rules[0].notice').map((i) => i.message);
    expect(messages).toEqual([expect.stringMatching(/"zh-Hant" for reason only: title/)]);
  });

  it('overlapping tools: two tools on one host with overlapping paths, naming both', () => {
    const doc = base();
    doc.tools.m365chat = { name: 'M365 Chat', domains: ['microsoft365.com'], paths: ['/chat'] };
    doc.tools.m365 = { name: 'M365', domains: ['m365.example', 'Microsoft365.com.'] };
    doc.tools.hf = { name: 'HF Spaces', domains: ['huggingface.co'], paths: ['/spaces'] };
    doc.tools.hfchat = { name: 'HF chat', domains: ['huggingface.co'], paths: ['/chat/x'] };
    const issues = lint(doc);
    expect(only(issues, '$.tools.m365.domains[1]')).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/tools "m365chat" and "m365" both claim microsoft365\.com \(paths \/chat\)/),
    });
    expect(at(issues, '$.tools.hf.domains[0]')).toEqual([]); // /spaces and /chat do not overlap
    expect(only(issues, '$.tools.hfchat.domains[0]').message).toMatch(
      /"hfchat" and "huggingchat" both claim huggingface\.co \(paths \/chat\/x\).*catalogue tool/,
    );
    doc.rules.push({ id: 'NO-COPILOT-HK', tools: ['m365'], offices: ['HK'], action: 'block' });
    expect(only(lint(doc), '$.tools.m365.domains[1]').message).toMatch(
      /rules that decide there, first match wins: rule "NO-COPILOT-HK"/,
    );
  });

  it('a policy tool overriding a catalogue id is one tool, not an overlap, and keeps the catalogue domains', () => {
    const doc = base();
    doc.tools.claude = { name: 'Claude', domains: ['claude.ai'] };
    expect(lint(doc).filter((i) => /both claim/.test(i.message))).toEqual([]);
    // claude.com is still Claude's (the catalogue's domains are added), so a second tool there overlaps.
    doc.tools['claude-web'] = { name: 'Claude web', domains: ['claude.com'] };
    expect(only(lint(doc), '$.tools["claude-web"].domains[0]').message).toMatch(
      /"claude" and "claude-web" both claim claude\.com \(every path\)/,
    );
    doc.tools.claude.replaceCatalogue = true;
    expect(lint(doc).filter((i) => /both claim/.test(i.message))).toEqual([]);
  });

  it('a catalogue tool given paths keeps its catalogue hosts whole (an overlap there is still one)', () => {
    const doc = base();
    doc.tools.huggingchat = { name: 'HuggingChat', domains: ['chat.bank.example'], paths: ['/hf'] };
    doc.tools.hub = { name: 'HF hub', domains: ['huggingface.co'], paths: ['/chat/models'] };
    // huggingface.co keeps the catalogue's /chat, which overlaps /chat/models.
    expect(only(lint(doc), '$.tools.hub.domains[0]').message).toMatch(
      /"huggingchat" and "hub" both claim huggingface\.co \(paths \/chat\/models\)/,
    );
  });

  it('a rule whose conditions select no office of the policy', () => {
    const doc = base();
    doc.rules.push({ id: 'NOBODY', tools: ['chatgpt'], offices: ['NY'], jurisdictions: ['HK'], action: 'block' });
    doc.rules.push({
      id: 'ALL-EXCEPTED',
      tools: ['chatgpt'],
      groups: ['traders'],
      exceptGroups: ['traders'],
      action: 'block',
    });
    const issues = lint(doc);
    expect(only(issues, '$.rules[2]')).toMatchObject({
      severity: 'warning',
      rule: 'NOBODY',
      message: expect.stringMatching(
        /rule "NOBODY" applies to no office of the policy \(offices \["NY"\] and jurisdictions \["HK"\]/,
      ),
    });
    expect(only(issues, '$.rules[3].exceptGroups[0]').message).toMatch(/both in "groups" and in "exceptGroups"/);
    expect(only(issues, '$.rules[3].exceptGroups')).toMatchObject({
      rule: 'ALL-EXCEPTED',
      message: expect.stringMatching(/excepts every group/),
    });
  });

  it('group names that differ only in case', () => {
    const doc = base();
    doc.rules[0].exceptGroups = ['Legal'];
    doc.rules[1].groups = ['legal '];
    const issue = only(lint(doc), '$.rules[1].groups[0]');
    expect(issue).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/"legal " differs from "Legal" \(rule "HK-CLAUDE"\)/),
    });
  });

  it('a window that opens after the policy expires, and an alternative that is the restricted tool', () => {
    const doc = base();
    doc.rules[1].from = '2027-01-01T00:00:00Z';
    doc.rules[1].notice.alternatives = ['claude'];
    const issues = lint(doc);
    expect(only(issues, '$.rules[1].from')).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/after the policy expires/),
    });
    expect(
      at(issues, '$.rules[1].notice.alternatives[0]').filter((i) => /alternative to itself/.test(i.message)),
    ).toHaveLength(1);
  });

  it('unknown office codes get a near-match or the list of valid codes', () => {
    const doc = base();
    doc.rules[0].offices = ['hk'];
    doc.rules[1].exceptOffices = ['HONGKONG'];
    const issues = lint(doc);
    expect(only(issues, '$.rules[0].offices[0]').message).toContain('did you mean "HK"?');
    expect(only(issues, '$.rules[1].exceptOffices[0]').message).toContain('(HK, NY, LDN)');
  });

  it('a model its tool defines without anything to recognise it by', () => {
    const doc = base();
    doc.tools.claude = {
      name: 'Claude',
      domains: ['claude.ai'],
      models: {
        mythos: { name: 'Mythos' },
        opus: { name: 'Opus', match: { text: [''] } },
        sonnet: { name: 'Sonnet', match: { query: { model: 'sonnet' } } },
      },
    };
    doc.rules.push({ id: 'MODELS', tools: ['claude'], models: ['mythos', 'opus', 'sonnet'], action: 'block' });
    const issues = lint(doc);
    expect(only(issues, '$.rules[2].models[0]')).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/model "mythos" has no "match".*never recognised/),
    });
    expect(only(issues, '$.rules[2].models[1]').message).toMatch(/"opus" has no "match"/);
    expect(at(issues, '$.rules[2].models[2]')).toEqual([]);
  });

  it('a notice effective in the future on a rule that starts now, or at another day', () => {
    const doc = base();
    doc.rules[0].notice.effective = '2026-12-10';
    expect(only(lint(doc), '$.rules[0].notice.effective')).toMatchObject({
      severity: 'warning',
      rule: 'HK-CLAUDE',
      message: expect.stringMatching(/no "from": it applies as soon as the policy is published/),
    });
    doc.rules[0].from = '2026-12-09T16:00:00Z'; // Monday 00:00 in Hong Kong: the same day
    expect(at(lint(doc), '$.rules[0].notice.effective')).toEqual([]);
    doc.rules[0].from = '2026-12-15T00:00:00Z';
    expect(only(lint(doc), '$.rules[0].notice.effective').message).toMatch(/starts at 2026-12-15T00:00:00Z/);
    doc.rules[0].notice.effective = '2026-11-01'; // in the past: a record of when it began
    delete doc.rules[0].from;
    expect(at(lint(doc), '$.rules[0].notice.effective')).toEqual([]);
  });
});

describe('lintPolicy: locations', () => {
  const withRules = (...rules: Record<string, unknown>[]) => ({ ...base(), rules });

  it('names a location that is no ISO country code, with its JSON path and rule id', () => {
    const issues = lint(
      withRules({
        id: 'FROM-CHINA',
        tools: ['claude'],
        locations: ['HK', 'UK', 'hk', 'ZZ', 'HK OFFICE', 'HK-OFFICE'],
        action: 'block',
      }),
    );
    expect(only(issues, '$.rules[0].locations[1]')).toMatchObject({
      severity: 'error',
      rule: 'FROM-CHINA',
      message: expect.stringMatching(/^"UK" .*did you mean "GB"/),
    });
    expect(only(issues, '$.rules[0].locations[2]').message).toMatch(/did you mean "HK"/);
    expect(only(issues, '$.rules[0].locations[3]').message).toMatch(/"ZZ" is not an ISO 3166-1 alpha-2/);
    expect(only(issues, '$.rules[0].locations[4]').message).toMatch(/neither a country code nor a zone name/);
    expect(at(issues, '$.rules[0].locations[0]')).toEqual([]);
    expect(at(issues, '$.rules[0].locations[5]')).toEqual([]);
  });

  it('names a zone the location service does not know, when given its networks', () => {
    const doc = withRules({ id: 'OFF-NETWORK', tools: ['claude'], exceptLocations: ['HK-OFICE'], action: 'warn' });
    expect(lint(doc)).toEqual([]);
    const issues = lintPolicy(doc, NOW, { zones: ['HK-OFFICE', 'NY-OFFICE'] });
    expect(only(issues, '$.rules[0].exceptLocations[0]')).toMatchObject({
      rule: 'OFF-NETWORK',
      message: expect.stringMatching(/^unknown zone "HK-OFICE".*"HK-OFFICE", "NY-OFFICE"/),
    });
  });

  it('warns about an empty locations list and refuses a misspelt condition', () => {
    expect(
      only(lint(withRules({ id: 'X', tools: ['claude'], locations: [], action: 'block' })), '$.rules[0].locations')
        .severity,
    ).toBe('warning');
    expect(
      only(lint(withRules({ id: 'X', tools: ['claude'], location: ['HK'], action: 'block' })), '$.rules[0].location')
        .severity,
    ).toBe('error');
    expect(only(lint({ ...base(), unknownLocation: 'open' }), '$.unknownLocation').severity).toBe('error');
  });

  it('never calls a rule unreachable behind a rule that holds only in some places', () => {
    const issues = lint(
      withRules(
        { id: 'USED-FROM-HK', tools: ['claude'], offices: ['HK'], locations: ['HK'], action: 'block' },
        { id: 'HK-STAFF', tools: ['claude'], offices: ['HK'], action: 'warn' },
        { id: 'ANYWHERE', tools: ['chatgpt'], action: 'block' },
        { id: 'IN-HK', tools: ['chatgpt'], locations: ['HK'], action: 'warn' },
      ),
    );
    expect(at(issues, '$.rules[1]')).toEqual([]);
    expect(only(issues, '$.rules[3]').message).toMatch(/unreachable/);
  });
});
