import { describe, expect, it } from 'vitest';
import { compilePolicy, decide } from '../decide/decide.ts';
import { changesForPeople, diffPolicies, formatChange } from './policy-diff.ts';
import { parsePolicy, type Policy } from './policy-schema.ts';

const NOW = Date.parse('2026-11-25T00:00:00Z');

function policy(change: (doc: Record<string, any>) => void = () => {}): Policy {
  const doc: Record<string, any> = {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 9,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK', regions: ['apac'] },
      NY: { name: 'New York', jurisdiction: 'US', regions: ['americas'] },
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
      { id: 'ASIA-DEEPSEEK', tools: ['deepseek'], regions: ['apac'], action: 'block' },
      { id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block', exceptGroups: ['legal'] },
      { id: 'QUANTS-CHATGPT', tools: ['chatgpt'], groups: ['quants'], action: 'warn' },
      { id: 'NON-US-O3', tools: ['chatgpt'], models: ['o3'], exceptJurisdictions: ['US'], action: 'block' },
    ],
  };
  change(doc);
  const p = parsePolicy(doc);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.policy;
}

const diff = (a: Policy, b: Policy, at = NOW) => diffPolicies(compilePolicy(a), compilePolicy(b), at);

describe('diffPolicies', () => {
  it('finds nothing between identical versions', () => {
    expect(diff(policy(), policy())).toMatchObject({
      changes: [],
      offices: { added: [], removed: [] },
      coverage: [],
      settings: [],
      upcoming: [],
    });
  });

  it('names every decision a dropped rule changes, for every group, and agrees with decide()', () => {
    const before = policy();
    const after = policy((d) => d.rules.splice(0, 1));
    const { changes } = diff(before, after);
    expect(changes.map(formatChange)).toEqual([
      'HK · deepseek: block (ASIA-DEEPSEEK) → allow (no rule)',
      'HK [group legal] · deepseek: block (ASIA-DEEPSEEK) → allow (no rule)',
      'HK [group quants] · deepseek: block (ASIA-DEEPSEEK) → allow (no rule)',
    ]);
    expect(changes[0]).toEqual({
      office: 'HK',
      groups: [],
      tool: 'deepseek',
      before: { action: 'block', rule: 'ASIA-DEEPSEEK' },
      after: { action: 'allow', rule: null },
    });
    for (const c of changes) {
      const employee = { office: c.office, groups: c.groups };
      expect(decide(compilePolicy(before), employee, 'https://chat.deepseek.com/', NOW).action).toBe(c.before.action);
      expect(decide(compilePolicy(after), employee, 'https://chat.deepseek.com/', NOW).action).toBe(c.after.action);
    }
    // People read the office line once; a group is shown only where it differs.
    expect(changesForPeople(changes).map(formatChange)).toEqual([
      'HK · deepseek: block (ASIA-DEEPSEEK) → allow (no rule)',
    ]);
  });

  it('shows a group row that differs from its office', () => {
    const after = policy((d) => (d.rules[1].exceptGroups = ['legal', 'quants']));
    expect(changesForPeople(diff(policy(), after).changes).map(formatChange)).toEqual([
      'HK [group quants] · claude: block (HK-CLAUDE) → allow (no rule)',
    ]);
  });

  it('a rule that changes action or id is a change even when the action is the same', () => {
    const after = policy((d) => (d.rules[0].id = 'APAC-DEEPSEEK'));
    expect(diff(policy(), after).changes[0]).toMatchObject({
      before: { rule: 'ASIA-DEEPSEEK' },
      after: { action: 'block', rule: 'APAC-DEEPSEEK' },
    });
  });

  it('an office added or removed: the side without it fails closed and says why', () => {
    const after = policy((d) => {
      delete d.offices.NY;
      d.offices.LDN = { name: 'London', jurisdiction: 'GB', regions: ['emea'] };
    });
    const r = diff(policy(), after);
    expect(r.offices).toEqual({ added: ['LDN'], removed: ['NY'] });
    const changes = r.changes.filter((c) => c.groups.length === 0);
    const ny = changes.find((c) => c.office === 'NY' && c.tool === 'claude')!;
    expect(ny.before).toEqual({ action: 'allow', rule: null });
    expect(ny.after).toMatchObject({ action: 'block', rule: null, note: expect.stringMatching(/office not defined/) });
    expect(changes.find((c) => c.office === 'NY' && c.tool === 'firm-llm')).toBeUndefined(); // not a catalogue tool: allowed either way
    expect(changes.find((c) => c.office === 'LDN' && c.tool === 'deepseek')).toMatchObject({
      before: { action: 'block' },
      after: { action: 'allow', rule: null },
    });
  });

  it('decides at the given instant and lists windows that open or close later', () => {
    const after = policy((d) =>
      d.rules.push({
        id: 'NY-DEEPSEEK',
        tools: ['deepseek'],
        offices: ['NY'],
        action: 'block',
        from: '2026-12-01T01:00:00Z',
      }),
    );
    const now = diff(policy(), after);
    expect(now.changes).toEqual([]);
    expect(now.upcoming).toEqual([
      { at: '2026-12-01T01:00:00.000Z', rule: 'NY-DEEPSEEK', version: 'after', edge: 'from' },
    ]);
    const later = diff(policy(), after, Date.parse('2026-12-02T00:00:00Z'));
    expect(later.changes.map(formatChange)).toContain('NY · deepseek: allow (no rule) → block (NY-DEEPSEEK)');
    expect(later.upcoming).toEqual([]);
  });

  it('a changed defaultAction counts every tool either version knows, named or not', () => {
    const after = policy((d) => (d.defaultAction = 'warn'));
    const r = diff(policy(), after);
    expect(r.settings).toEqual([{ field: 'defaultAction', before: 'allow', after: 'warn' }]);
    expect(r.changes.some((c) => c.tool === 'perplexity' && c.office === 'NY')).toBe(true);
  });

  it('tool coverage: domains and paths a version adds or drops', () => {
    const after = policy((d) => {
      d.tools['firm-llm'] = { name: 'Firm LLM', domains: ['llm2.bank.example'], paths: ['/chat'] };
    });
    expect(diff(policy(), after).coverage).toEqual([
      {
        tool: 'firm-llm',
        domainsAdded: ['llm2.bank.example'],
        domainsRemoved: ['llm.bank.example'],
        pathsBefore: null,
        pathsAfter: ['/chat'],
      },
    ]);
  });

  it('model-level rules: a model block dropped is a change of that model only', () => {
    const after = policy((d) => d.rules.splice(3, 1));
    const changes = changesForPeople(diff(policy(), after).changes);
    expect(changes.map(formatChange)).toEqual([
      'HK · chatgpt (model o3): block (NON-US-O3) → allow (no rule)',
      // Without the model rule, quants get the tool's own decision for o3 too.
      'HK [group quants] · chatgpt (model o3): block (NON-US-O3) → warn (QUANTS-CHATGPT)',
    ]);
    expect(changes[0]!.model).toBe('o3');
  });

  it('a model rule behind a block of its tool changes nothing for that model', () => {
    const before = policy((d) =>
      d.rules.unshift({ id: 'HK-CHATGPT', tools: ['chatgpt'], offices: ['HK'], action: 'block' }),
    );
    const after = policy((d) => {
      d.rules.unshift({ id: 'HK-CHATGPT', tools: ['chatgpt'], offices: ['HK'], action: 'block' });
      d.rules.splice(4, 1);
    });
    expect(diff(before, after).changes).toEqual([]);
  });

  it('a tool only one version defines is "not a tool" on the other side', () => {
    const after = policy((d) => {
      d.tools.m365 = { name: 'M365 Chat', domains: ['m365.example'] };
      d.rules.push({ id: 'M365-BLOCK', tools: ['m365'], action: 'block' });
    });
    const c = diff(policy(), after).changes.find(
      (x) => x.tool === 'm365' && x.office === 'HK' && x.groups.length === 0,
    )!;
    expect(formatChange(c)).toBe('HK · m365: allow (not a tool in this version) → block (M365-BLOCK)');
  });
});
