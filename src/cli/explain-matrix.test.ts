import { describe, expect, it } from 'vitest';
import type { PolicyMatrix } from '../core/decide/matrix.ts';
import {
  EXAMPLE_JWS,
  EXAMPLE_POLICY,
  EXAMPLE_TRUSTED,
  runCli,
  runInProcess,
  SUBPROCESS_TIMEOUT,
} from './test-helpers.ts';

const AT = '2026-12-01T00:00:00Z';

describe('explain --matrix', () => {
  it('--json: every office × tool of the example, with the rule that decides', async () => {
    const r = await runInProcess(['explain', '--policy', EXAMPLE_POLICY, '--matrix', '--at', AT, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as PolicyMatrix;
    expect(m.rows.map((x) => x.office)).toEqual(['HK', 'NY', 'LDN', 'SG', 'TYO']);
    expect(m.rows.every((x) => x.group === null)).toBe(true);
    expect(m.tools.map((t) => t.id)).toEqual(
      expect.arrayContaining(['claude', 'chatgpt', 'firm-llm', 'deepseek', 'gemini']),
    );
    const hk = m.rows.find((x) => x.office === 'HK')!.cells;
    expect(hk.claude).toMatchObject({ action: 'block', rule: 'HK-ANTHROPIC-2026-11' });
    expect(hk.chatgpt).toMatchObject({ action: 'monitor', rule: 'CHATGPT-MONITOR' });
    expect(m.rows.find((x) => x.office === 'LDN')!.cells.claude).toMatchObject({
      action: 'warn',
      rule: 'NON-US-ANTHROPIC',
    });
    expect(m.rows.find((x) => x.office === 'NY')!.cells.claude).toMatchObject({ action: 'allow', rule: null });
  });

  it('text: a header line and an aligned table; --groups adds group rows', async () => {
    const r = await runInProcess(['explain', '--policy', EXAMPLE_POLICY, '--matrix', '--at', AT, '--groups', 'quants']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Policy serial \d+ \(unsigned\)/);
    expect(lines[1]).toMatch(/^office\s+group\s+/);
    expect(lines.filter((l) => /^HK\s/.test(l))).toHaveLength(2);
    expect(lines.find((l) => /^HK\s+\(none\)/.test(l))).toContain('block (HK-ANTHROPIC-2026-11)');
  });

  it('refuses URLs and --office (a matrix covers every office)', async () => {
    expect((await runInProcess(['explain', '--policy', EXAMPLE_POLICY, '--matrix', 'https://claude.ai/'])).code).toBe(
      2,
    );
    expect((await runInProcess(['explain', '--policy', EXAMPLE_POLICY, '--matrix', '--office', 'HK'])).code).toBe(2);
  });

  it('verifies a signed policy first, through the real binary', { timeout: SUBPROCESS_TIMEOUT }, async () => {
    const r = await runCli(['explain', '--policy', EXAMPLE_JWS, '--keys', EXAMPLE_TRUSTED, '--matrix', '--at', AT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verified, signed by/);
  });

  it('leaves the contract --json of ordinary explain untouched', async () => {
    const r = await runInProcess([
      'explain',
      '--policy',
      EXAMPLE_POLICY,
      '--office',
      'HK',
      '--at',
      AT,
      '--json',
      'https://claude.ai/',
    ]);
    expect(JSON.parse(r.stdout)).toEqual([
      { url: 'https://claude.ai/', action: 'block', tool: 'claude', rule: 'HK-ANTHROPIC-2026-11' },
    ]);
  });
});
