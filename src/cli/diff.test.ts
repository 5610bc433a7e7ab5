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

const tmp = makeTempDir('diff');
afterAll(() => tmp.cleanup());
const AT = ['--at', '2026-12-01T00:00:00Z'];
const base = JSON.parse(readFileSync(EXAMPLE_POLICY, 'utf8'));

function draft(name: string, change: (doc: any) => void): string {
  const doc = structuredClone(base);
  doc.serial = 43;
  change(doc);
  writeFileSync(join(tmp.dir, name), JSON.stringify(doc, null, 2));
  return join(tmp.dir, name);
}

const dropDeepseek = (doc: any) => (doc.rules = doc.rules.filter((r: any) => r.id !== 'DEEPSEEK-ALL'));

describe('diff', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('a draft that drops a rule: every office that loses the block, one readable line each, exit 1', async () => {
    const next = draft('no-deepseek.json', dropDeepseek);
    const r = await runCli(['diff', EXAMPLE_POLICY, next, ...AT]);
    expect(r.code, r.stderr).toBe(1);
    for (const office of Object.keys(base.offices))
      expect(r.stdout).toContain(`${office} · deepseek: block (DEEPSEEK-ALL) → allow (no rule)\n`);
    expect(r.stdout).toMatch(/^Before: serial 42 · .*policy\.json \(unsigned JSON\)$/m);
    expect(r.stdout).toMatch(/^Decisions at 2026-12-01T00:00:00\.000Z$/m);
    expect(r.stdout).toMatch(/5 decisions change\./);
  });

  it('--json: exactly the contract rows', async () => {
    const next = draft('no-deepseek-2.json', dropDeepseek);
    const r = await runCli(['diff', EXAMPLE_POLICY, next, '--json', ...AT]);
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toEqual({
      office: 'HK',
      groups: [],
      tool: 'deepseek',
      before: { action: 'block', rule: 'DEEPSEEK-ALL' },
      after: { action: 'allow', rule: null },
    });
    expect(r.stderr).toMatch(/Before: serial 42/);
  });

  it('no decision changes: exit 0, even when other fields (a notice text) change', async () => {
    const next = draft('same.json', (doc) => (doc.rules[0].notice.reference = 'memo v2'));
    const r = await runCli(['diff', EXAMPLE_POLICY, next, ...AT]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('No decision changes.');
    const json = await runCli(['diff', EXAMPLE_POLICY, next, '--json', ...AT]);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('groups a rule names, tools a tool definition drops, and offices removed', async () => {
    const next = draft('groups.json', (doc) => {
      doc.rules.unshift({ id: 'TRADERS-CHATGPT', tools: ['chatgpt'], groups: ['traders'], action: 'block' });
      doc.tools.claude = { name: 'Claude', domains: ['claude.ai'], replaceCatalogue: true };
      delete doc.offices.TYO;
    });
    const r = await runCli(['diff', EXAMPLE_POLICY, next, ...AT]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('HK [group traders] · chatgpt: monitor (CHATGPT-MONITOR) → block (TRADERS-CHATGPT)');
    expect(r.stdout).toMatch(/^Offices removed: TYO — .*fail closed$/m);
    // TYO's traders change exactly as TYO does: folded into the office's lines.
    expect(r.stdout).not.toMatch(/^TYO \[group traders\]/m);
    expect(r.stdout).toMatch(/\(\d+ group lines not shown: they change as the office does; --json lists all\)\.$/m);
    expect(r.stdout).toMatch(/^Tool claude: no longer covers .*anthropic\.com/m);
    const rows = JSON.parse((await runCli(['diff', EXAMPLE_POLICY, next, '--json', ...AT])).stdout);
    expect(rows).toContainEqual(
      expect.objectContaining({
        office: 'TYO',
        groups: [],
        tool: 'claude',
        after: expect.objectContaining({ action: 'block', note: expect.stringMatching(/office not defined/) }),
      }),
    );
  });

  it('rule windows: decided at --at, and later edges are announced', async () => {
    const next = draft('window.json', (doc) =>
      doc.rules.unshift({
        id: 'NY-GEMINI',
        tools: ['gemini'],
        offices: ['NY'],
        action: 'block',
        from: '2026-12-10T01:00:00Z',
      }),
    );
    const before = await runCli(['diff', EXAMPLE_POLICY, next, ...AT]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/Later: at 2026-12-10T01:00:00\.000Z rule NY-GEMINI \(NEW\) starts/);
    const after = await runCli(['diff', EXAMPLE_POLICY, next, '--at', '2026-12-11T00:00:00Z']);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain('NY · gemini: allow (no rule) → block (NY-GEMINI)');
  });

  it('signed inputs: verified with --keys, otherwise read and said to be unchecked', async () => {
    const verified = await runCli(['diff', EXAMPLE_JWS, EXAMPLE_POLICY, '--keys', EXAMPLE_TRUSTED, ...AT]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^Before: serial 42 · .*policy\.jws \(verified, signed by demo-2026\)$/m);
    const unchecked = await runCli(['diff', EXAMPLE_JWS, EXAMPLE_POLICY, ...AT]);
    expect(unchecked.code).toBe(0);
    expect(unchecked.stdout).toMatch(/signature was NOT checked/);
  });

  it('warns when NEW would be refused as a rollback', async () => {
    const next = draft('rollback.json', (doc) => {
      doc.serial = 42;
      dropDeepseek(doc);
    });
    const r = await runCli(['diff', EXAMPLE_POLICY, next, ...AT]);
    expect(r.stderr).toMatch(/warning: both versions have serial 42 but differ/);
  });

  it('bad input is exit 2: a missing file, an invalid policy, a bad signature, bad keys, wrong arguments', async () => {
    const invalid = draft('invalid.json', (doc) => (doc.rules[0].exceptOffice = ['NY']));
    const [h, payload] = readFileSync(EXAMPLE_JWS, 'utf8').trim().split('.');
    const forged = join(tmp.dir, 'forged.jws');
    writeFileSync(forged, `${h}.${payload}.${Buffer.alloc(64, 1).toString('base64url')}`);
    const cases: Array<[string[], RegExp]> = [
      [['diff', EXAMPLE_POLICY, join(tmp.dir, 'nope.json')], /does not exist/],
      [['diff', EXAMPLE_POLICY, invalid], /invalid policy: .*exceptOffice/],
      [['diff', forged, EXAMPLE_POLICY, '--keys', EXAMPLE_TRUSTED], /refused \(bad-signature\)/],
      [['diff', EXAMPLE_JWS, EXAMPLE_POLICY, '--keys', EXAMPLE_POLICY], /trusted keys/],
      [['diff', EXAMPLE_POLICY], /needs two policies/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...args, ...AT]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
  });
});
