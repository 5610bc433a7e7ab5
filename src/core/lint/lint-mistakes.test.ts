/**
 * Property: every plausible honest mistake, alone or several at once, is named by lint at the
 * JSON path of the mistake. A mistake lint does not name would be enforced as something weaker.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lintPolicy } from './lint.ts';
import { formatJsonPath } from '../policy/policy-schema.ts';

const NOW = Date.parse('2026-11-25T00:00:00Z');

function clean(): Record<string, any> {
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
    tools: {
      'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] },
      chatgpt: {
        name: 'ChatGPT',
        domains: ['chatgpt.com'],
        models: { o3: { name: 'o3', match: { query: { model: 'o3' } } } },
      },
    },
    rules: [
      {
        id: 'R0',
        tools: ['claude'],
        offices: ['HK'],
        action: 'block',
        notice: { title: { en: 'Do not use', 'zh-Hant': '請勿使用' }, reason: { en: 'Terms', 'zh-Hant': '條款' } },
      },
      { id: 'R1', tools: ['chatgpt'], models: ['o3'], jurisdictions: ['HK'], action: 'block' },
      { id: 'R2', tools: ['deepseek'], regions: ['apac'], exceptGroups: ['legal'], action: 'block' },
      { id: 'R3', tools: ['claude'], exceptJurisdictions: ['US'], groups: ['traders'], action: 'warn' },
    ],
  };
}

type Doc = Record<string, any>;
/** A mistake: change the document, return the JSON path lint must report. */
type Mistake = (doc: Doc) => string;

const MISTAKES: Record<string, Mistake> = {
  'office jurisdiction not ISO': (d) => (
    (d.offices.LDN.jurisdiction = 'UK'), formatJsonPath(['offices', 'LDN', 'jurisdiction'])
  ),
  'rule jurisdiction alpha-3': (d) => (
    (d.rules[1].jurisdictions = ['HKG']), formatJsonPath(['rules', 1, 'jurisdictions', 0])
  ),
  'except jurisdiction alpha-3': (d) => (
    (d.rules[3].exceptJurisdictions = ['USA']), formatJsonPath(['rules', 3, 'exceptJurisdictions', 0])
  ),
  'jurisdiction no office has': (d) => (
    (d.rules[2].exceptJurisdictions = ['FR']), formatJsonPath(['rules', 2, 'exceptJurisdictions', 0])
  ),
  'region typo': (d) => ((d.rules[2].regions = ['aapc']), formatJsonPath(['rules', 2, 'regions', 0])),
  'office code lower case': (d) => ((d.rules[0].offices = ['hk']), formatJsonPath(['rules', 0, 'offices', 0])),
  'tool typo': (d) => ((d.rules[2].tools = ['deepseak']), formatJsonPath(['rules', 2, 'tools', 0])),
  'model typo': (d) => ((d.rules[1].models = ['o-3']), formatJsonPath(['rules', 1, 'models', 0])),
  'model on a tool without models': (d) => ((d.rules[0].models = ['opus']), formatJsonPath(['rules', 0, 'models', 0])),
  'misspelt condition': (d) => ((d.rules[2].exceptGroup = ['legal']), formatJsonPath(['rules', 2, 'exceptGroup'])),
  'condition from a newer format': (d) => ((d.rules[0].devices = ['managed']), formatJsonPath(['rules', 0, 'devices'])),
  'notice half translated': (d) => ((d.rules[0].notice.reason = 'Terms'), formatJsonPath(['rules', 0, 'notice'])),
  'second tool on the same host': (d) => (
    (d.tools.gpt = { name: 'GPT', domains: ['chatgpt.com'] }), formatJsonPath(['tools', 'gpt', 'domains', 0])
  ),
  'catalogue narrowed on purpose': (d) => (
    (d.tools.claude = { name: 'Claude', domains: ['claude.ai'], replaceCatalogue: true }),
    formatJsonPath(['tools', 'claude', 'replaceCatalogue'])
  ),
  'group in another case': (d) => (
    (d.rules[3].exceptGroups = ['Legal']), formatJsonPath(['rules', 3, 'exceptGroups', 0])
  ),
  'unreachable rule': (d) => {
    d.rules.push(
      { id: 'ALL-PERPLEXITY', tools: ['perplexity'], action: 'block' },
      { id: 'LATE', tools: ['perplexity'], offices: ['NY'], action: 'warn' },
    );
    return formatJsonPath(['rules', d.rules.length - 1]);
  },
  'future notice without from': (d) => (
    (d.rules[0].notice.effective = '2026-12-07'), formatJsonPath(['rules', 0, 'notice', 'effective'])
  ),
};

describe('lint names every plausible honest mistake', () => {
  it('the clean policy has no finding', () => {
    expect(lintPolicy(clean(), NOW)).toEqual([]);
  });

  it.each(Object.keys(MISTAKES))('%s', (name) => {
    const doc = clean();
    const path = MISTAKES[name]!(doc);
    expect(
      lintPolicy(doc, NOW).map((i) => i.path),
      name,
    ).toContain(path);
  });

  it('several mistakes at once: each is still named at its own path (property)', () => {
    const names = Object.keys(MISTAKES);
    fc.assert(
      fc.property(fc.shuffledSubarray(names, { minLength: 2, maxLength: 6 }), (chosen) => {
        const doc = clean();
        // Each mistake touches its own field, so none can undo another.
        const expected = new Map<string, string>();
        for (const name of chosen) expected.set(MISTAKES[name]!(doc), name);
        const found = new Set(lintPolicy(doc, NOW).map((i) => i.path));
        for (const [path, name] of expected) {
          expect(found.has(path), `${name} at ${path} among ${chosen.join(', ')}`).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
