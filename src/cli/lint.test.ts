import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_POLICY, makeTempDir, runCli, SUBPROCESS_TIMEOUT } from './test-helpers.ts';

const tmp = makeTempDir('lint');
afterAll(() => tmp.cleanup());
const base = JSON.parse(readFileSync(EXAMPLE_POLICY, 'utf8'));

describe('lint', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('passes the example policy with exit 0', async () => {
    const r = await runCli(['lint', EXAMPLE_POLICY, '--at', '2026-12-01T00:00:00Z']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no problems found|0 errors/);
  });

  it('exits 1 and prints the JSON path of a schema error', async () => {
    const file = join(tmp.dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...base, rules: [...base.rules, { id: 'X', tools: ['claude'], action: 'deny' }] }));
    const r = await runCli(['lint', file, '--at', '2026-12-01T00:00:00Z']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}: error $.rules[${base.rules.length}].action (rule "X"):`);
  });

  it('--json prints the issues as an array', async () => {
    const file = join(tmp.dir, 'bad2.json');
    writeFileSync(file, JSON.stringify({ ...base, serial: -1 }));
    const r = await runCli(['lint', file, '--json']);
    expect(r.code).toBe(1);
    const issues = JSON.parse(r.stdout) as Array<{ severity: string; path: string }>;
    expect(issues).toContainEqual(expect.objectContaining({ severity: 'error', path: '$.serial' }));
  });

  it('reports invalid JSON and duplicate keys as errors, not crashes', async () => {
    const broken = join(tmp.dir, 'broken.json');
    writeFileSync(broken, '{"type": ');
    const dup = join(tmp.dir, 'dup.json');
    writeFileSync(dup, '{"serial": 1, "serial": 2}');
    for (const file of [broken, dup]) {
      const r = await runCli(['lint', file]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`${file}: error $:`);
      expect(r.stderr).not.toMatch(/internal error/);
    }
  });

  it('missing file: exit 1 with one line on stderr; no file argument: usage error', async () => {
    const missing = await runCli(['lint', join(tmp.dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/does not exist/);
    const none = await runCli(['lint']);
    expect(none.code).toBe(2);
  });
});
