import { describe, expect, it } from 'vitest';
import { compilePolicy, decide } from './decide.ts';
import { formatMatrix, policyMatrix } from './matrix.ts';
import { parsePolicy, type Policy } from '../policy/policy-schema.ts';

const NOW = Date.parse('2026-11-25T00:00:00Z');

function policy(extra: Record<string, unknown> = {}): Policy {
  const doc = {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 9,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK', regions: ['greater-china', 'apac'] },
      NY: { name: 'New York', jurisdiction: 'US', regions: ['americas'] },
    },
    tools: { 'firm-llm': { name: 'Firm LLM', domains: ['llm.bank.example'] } },
    rules: [
      {
        id: 'HK-CLAUDE',
        tools: ['claude'],
        offices: ['HK'],
        action: 'block',
        notice: { title: 'No', alternatives: ['firm-llm'] },
      },
      { id: 'QUANTS-CHATGPT', tools: ['chatgpt'], groups: ['quants'], action: 'warn' },
      { id: 'NON-US-O3', tools: ['chatgpt'], models: ['o3'], exceptJurisdictions: ['US'], action: 'block' },
      { id: 'LATER', tools: ['deepseek'], action: 'block', from: '2026-12-01T00:00:00Z' },
    ],
    ...extra,
  };
  const p = parsePolicy(doc);
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.policy;
}

describe('policyMatrix', () => {
  it('has a row per office × (no group + each group the rules mention) and a column per named tool', () => {
    const m = policyMatrix(compilePolicy(policy()), NOW);
    expect(m.tools.map((t) => t.id)).toEqual(['firm-llm', 'claude', 'chatgpt', 'deepseek']);
    expect(m.groups).toEqual(['quants']);
    expect(m.rows.map((r) => `${r.office}/${r.group}`)).toEqual(['HK/null', 'HK/quants', 'NY/null', 'NY/quants']);
    expect(m.serial).toBe(9);
  });

  it('gives the action and deciding rule, and agrees with decide() cell by cell', () => {
    const compiled = compilePolicy(policy());
    const m = policyMatrix(compiled, NOW);
    const cell = (office: string, group: string | null, tool: string) =>
      m.rows.find((r) => r.office === office && r.group === group)!.cells[tool]!;
    expect(cell('HK', null, 'claude')).toMatchObject({ action: 'block', rule: 'HK-CLAUDE' });
    expect(cell('NY', null, 'claude')).toMatchObject({ action: 'allow', rule: null });
    expect(cell('NY', 'quants', 'chatgpt')).toMatchObject({ action: 'warn', rule: 'QUANTS-CHATGPT' });
    expect(cell('NY', null, 'chatgpt')).toMatchObject({ action: 'allow', rule: null });
    // A rule whose window has not opened does not decide yet.
    expect(cell('HK', null, 'deepseek')).toMatchObject({ action: 'allow', rule: null });
    const hosts: Record<string, string> = {
      'firm-llm': 'llm.bank.example',
      claude: 'claude.ai',
      chatgpt: 'chatgpt.com',
      deepseek: 'chat.deepseek.com',
    };
    for (const r of m.rows) {
      for (const [tool, c] of Object.entries(r.cells)) {
        const d = decide(
          compiled,
          { office: r.office, groups: r.group ? [r.group] : [] },
          `https://${hosts[tool]}/`,
          NOW,
        );
        expect([d.action, d.rule?.id ?? null], `${r.office}/${r.group}/${tool}`).toEqual([c.action, c.rule]);
      }
    }
    expect(policyMatrix(compiled, Date.parse('2026-12-01T00:00:00Z')).rows[0]!.cells.deepseek).toMatchObject({
      action: 'block',
      rule: 'LATER',
    });
  });

  it('lists model-level rules separately, only where they target the employee', () => {
    const m = policyMatrix(compilePolicy(policy()), NOW);
    expect(m.rows.find((r) => r.office === 'HK')!.cells.chatgpt!.modelRules).toEqual([
      { rule: 'NON-US-O3', action: 'block', models: ['o3'] },
    ]);
    expect(m.rows.find((r) => r.office === 'NY')!.cells.chatgpt!.modelRules).toEqual([]);
  });

  it("uses the groups asked for instead of the policy's", () => {
    const m = policyMatrix(compilePolicy(policy()), NOW, { groups: ['traders', 'quants'] });
    expect(m.rows.filter((r) => r.office === 'NY').map((r) => r.group)).toEqual([null, 'traders', 'quants']);
  });

  it('formats an aligned table', () => {
    const text = formatMatrix(policyMatrix(compilePolicy(policy()), NOW));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^office\s+group\s+firm-llm\s+claude\s+chatgpt\s+deepseek$/);
    expect(lines).toHaveLength(2 + 4);
    expect(lines[2]).toContain('block (HK-CLAUDE)');
    expect(lines[2]).toContain('+block[o3]');
    expect(lines[5]).toMatch(/^NY\s+quants\s+.*warn \(QUANTS-CHATGPT\)/);
  });
});
