import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_JWS,
  EXAMPLE_POLICY,
  EXAMPLE_TRUSTED,
  makeTempDir,
  runCli,
  SUBPROCESS_TIMEOUT,
} from './test-helpers.ts';

const URLS = [
  'https://claude.ai/new',
  'https://docs.anthropic.com/x',
  'https://chatgpt.com/',
  'https://chat.deepseek.com/',
  'https://llm.bank.example/',
  'https://notclaude.ai/',
];
// Inside the example's validity, so the suite does not depend on today's date.
const AT = '2026-12-01T00:00:00Z';
const tmp = makeTempDir('explain');
afterAll(() => tmp.cleanup());

async function explainJson(office: string, ...extra: string[]) {
  const r = await runCli([
    'explain',
    '--policy',
    EXAMPLE_POLICY,
    '--office',
    office,
    '--at',
    AT,
    '--json',
    ...extra,
    ...URLS,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

describe('explain --json', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('Hong Kong: Claude blocked, ChatGPT monitored, DeepSeek blocked, firm LLM allowed', async () => {
    expect(await explainJson('HK')).toEqual([
      { url: 'https://claude.ai/new', action: 'block', tool: 'claude', rule: 'HK-ANTHROPIC-2026-11' },
      { url: 'https://docs.anthropic.com/x', action: 'block', tool: 'claude', rule: 'HK-ANTHROPIC-2026-11' },
      { url: 'https://chatgpt.com/', action: 'monitor', tool: 'chatgpt', rule: 'CHATGPT-MONITOR' },
      { url: 'https://chat.deepseek.com/', action: 'block', tool: 'deepseek', rule: 'DEEPSEEK-ALL' },
      { url: 'https://llm.bank.example/', action: 'allow', tool: 'firm-llm', rule: 'FIRM-LLM-APPROVED' },
      { url: 'https://notclaude.ai/', action: 'allow', tool: null, rule: null },
    ]);
  });

  it('New York: Claude allowed by default (no rule), London: Claude with a warning', async () => {
    const ny = (await explainJson('NY')) as Array<Record<string, unknown>>;
    expect(ny[0]).toEqual({ url: 'https://claude.ai/new', action: 'allow', tool: 'claude', rule: null });
    const ldn = (await explainJson('LDN')) as Array<Record<string, unknown>>;
    expect(ldn[0]).toEqual({ url: 'https://claude.ai/new', action: 'warn', tool: 'claude', rule: 'NON-US-ANTHROPIC' });
    expect(ldn[3]).toEqual({
      url: 'https://chat.deepseek.com/',
      action: 'block',
      tool: 'deepseek',
      rule: 'DEEPSEEK-ALL',
    });
    // Exactly the four contract keys, nothing else.
    for (const row of ldn) expect(Object.keys(row).sort()).toEqual(['action', 'rule', 'tool', 'url']);
  });

  it('prints nothing but the JSON array on stdout', async () => {
    const r = await runCli(['explain', '--policy', EXAMPLE_POLICY, '--office', 'HK', '--json', 'https://claude.ai/']);
    expect(r.stdout.trim().startsWith('[')).toBe(true);
    expect(r.stdout.trim().endsWith(']')).toBe(true);
  });
});

describe('explain a signed policy', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('verifies a .jws with --keys first, then decides', async () => {
    const r = await runCli([
      'explain',
      '--policy',
      EXAMPLE_JWS,
      '--keys',
      EXAMPLE_TRUSTED,
      '--office',
      'HK',
      '--at',
      AT,
      'https://claude.ai/new',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/signed by demo-2026/);
    expect(r.stdout).toContain(
      'https://claude.ai/new → block (claude, HK-ANTHROPIC-2026-11) — Do not use: Anthropic Claude',
    );
  });

  it('needs --keys for a .jws (usage error) and refuses one signed by an untrusted key', async () => {
    const noKeys = await runCli(['explain', '--policy', EXAMPLE_JWS, '--office', 'HK', 'https://claude.ai/']);
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toMatch(/--keys/);
    const other = join(tmp.dir, 'other.json');
    writeFileSync(
      other,
      JSON.stringify([
        { kid: 'someone-else', kty: 'OKP', crv: 'Ed25519', x: 'yEAes9ugeuS5demZ7ZA6EIDpVB9Bz4EQ4lQct9my21g' },
      ]),
    );
    const wrong = await runCli([
      'explain',
      '--policy',
      EXAMPLE_JWS,
      '--keys',
      other,
      '--office',
      'HK',
      'https://claude.ai/',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/untrusted-key/);
  });
});

describe('explain: human output and errors', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('prints one line per URL with the localized notice title', async () => {
    const r = await runCli([
      'explain',
      '--policy',
      EXAMPLE_POLICY,
      '--office',
      'HK',
      '--lang',
      'zh-Hant',
      '--at',
      AT,
      'claude.ai',
      'https://example.com/',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('claude.ai → block (claude, HK-ANTHROPIC-2026-11) — 請勿使用：Anthropic Claude');
    expect(lines[2]).toBe('https://example.com/ → allow (not an AI tool)');
  });

  it('reads --lang as the extension does: zh-HK gets the Hong Kong texts, zh-TW the Traditional ones, and the office name', async () => {
    const hk = await runCli([
      'explain',
      '--policy',
      EXAMPLE_POLICY,
      '--office',
      'HK',
      '--lang',
      'zh-HK',
      '--at',
      AT,
      'https://chatgpt.com/',
    ]);
    expect(hk.code, hk.stderr).toBe(0);
    expect(hk.stdout).toContain('office HK (香港)');
    expect(hk.stdout).toContain('— ChatGPT 受監察');
    const tw = await runCli([
      'explain',
      '--policy',
      EXAMPLE_POLICY,
      '--office',
      'HK',
      '--lang',
      'zh-TW',
      '--at',
      AT,
      'https://chatgpt.com/',
    ]);
    expect(tw.stdout).toContain('— ChatGPT 受監控');
  });

  it('rejects an unknown office with exit 1 and lists the known ones', async () => {
    const r = await runCli(['explain', '--policy', EXAMPLE_POLICY, '--office', 'PAR', 'https://claude.ai/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/office "PAR" is not in the policy's offices \(HK, NY, LDN, SG, TYO\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('honours rule windows through --at', async () => {
    const dated = join(tmp.dir, 'dated.json');
    const policy = JSON.parse(readFileSync(EXAMPLE_POLICY, 'utf8'));
    policy.rules[0].from = '2026-12-07T01:00:00Z'; // Monday 09:00 in Hong Kong
    writeFileSync(dated, JSON.stringify(policy));
    const before = await runCli([
      'explain',
      '--policy',
      dated,
      '--office',
      'HK',
      '--at',
      '2026-12-07T08:59:00+08:00',
      '--json',
      'https://claude.ai/',
    ]);
    const after = await runCli([
      'explain',
      '--policy',
      dated,
      '--office',
      'HK',
      '--at',
      '2026-12-07T09:00:00+08:00',
      '--json',
      'https://claude.ai/',
    ]);
    expect(JSON.parse(before.stdout)[0].rule).toBe('NON-US-ANTHROPIC');
    expect(JSON.parse(after.stdout)[0].rule).toBe('HK-ANTHROPIC-2026-11');
  });
});

describe('explain names typos in --office and --groups', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('an unknown office: the valid codes and a near match', async () => {
    const r = await runCli(['explain', '--policy', EXAMPLE_POLICY, '--office', 'hk', '--at', AT, 'claude.ai']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /office "hk" is not in the policy's offices \(HK, NY, LDN, SG, TYO\); did you mean "HK"\?/,
    );
  });

  it('a group no rule names: a note, the decision unchanged', async () => {
    const policy = JSON.parse(readFileSync(EXAMPLE_POLICY, 'utf8'));
    policy.rules.unshift({ id: 'TRADERS-CHATGPT', tools: ['chatgpt'], groups: ['traders'], action: 'block' });
    const file = join(tmp.dir, 'groups.json');
    writeFileSync(file, JSON.stringify(policy));
    const r = await runCli([
      'explain',
      '--policy',
      file,
      '--office',
      'HK',
      '--groups',
      'Traders',
      '--at',
      AT,
      'chatgpt.com',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /note: no rule names group "Traders" \(groups are compared exactly; rules name: traders\); did you mean "traders"\?/,
    );
    expect(r.stdout).toMatch(/chatgpt\.com → monitor/);
  });
});

describe('explain by attribute and the catalogue', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('names the attribute that put a tool under a rule, and decodes a translation proxy', async () => {
    const policy = JSON.parse(readFileSync(EXAMPLE_POLICY, 'utf8')) as { rules: unknown[] };
    policy.rules.unshift({
      id: 'HK-CN-VENDORS',
      toolsWhere: { vendorCountry: ['CN'] },
      offices: ['HK'],
      action: 'block',
      notice: { title: 'Do not use: vendors based in mainland China' },
    });
    const file = join(tmp.dir, 'cn-policy.json');
    writeFileSync(file, JSON.stringify(policy));
    const r = await runCli([
      'explain',
      '--policy',
      file,
      '--office',
      'HK',
      '--at',
      AT,
      '--json',
      'https://kimi.com/',
      'https://claude-ai.translate.goog/new?_x_tr_sl=auto',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        url: 'https://kimi.com/',
        action: 'block',
        tool: 'kimi',
        rule: 'HK-CN-VENDORS',
        selectedBy: { attribute: 'vendorCountry', value: 'CN' },
      },
      {
        url: 'https://claude-ai.translate.goog/new?_x_tr_sl=auto',
        action: 'block',
        tool: 'claude',
        rule: 'HK-ANTHROPIC-2026-11',
        proxiedHost: 'claude.ai',
      },
    ]);
    const text = await runCli(['explain', '--policy', file, '--office', 'HK', '--at', AT, 'https://kimi.com/']);
    expect(text.stdout).toContain('because the vendor is based in CN');
  });

  it('lists the catalogue with attributes, and with sources in --json', async () => {
    const text = await runCli(['explain', '--catalogue']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^deepseek\s+DeepSeek\s+DeepSeek\s+CN\s+chat\b/m);
    const json = await runCli(['explain', '--catalogue', '--json']);
    const parsed = JSON.parse(json.stdout) as {
      updated: string;
      tools: Record<string, { sources: Array<{ url: string; checked: string }> }>;
    };
    expect(parsed.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(parsed.tools.claude?.sources.length).toBeGreaterThan(0);
    const bad = await runCli(['explain', '--catalogue', '--office', 'HK']);
    expect(bad.code).toBe(2);
  });
});
