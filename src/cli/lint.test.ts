import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_JWS, EXAMPLE_POLICY, makeTempDir, runCli, SUBPROCESS_TIMEOUT } from './test-helpers.ts';

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
    writeFileSync(
      file,
      JSON.stringify({ ...base, rules: [...base.rules, { id: 'X', tools: ['claude'], action: 'deny' }] }),
    );
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

  it('names each issue by JSON path and rule id: unknown fields, country codes, models', async () => {
    const doc = structuredClone(base);
    doc.rules[1].exceptOffice = ['NY'];
    doc.rules[1].exceptJurisdictions = ['USA'];
    doc.rules[0].models = ['mythos'];
    const file = join(tmp.dir, 'mistakes.json');
    writeFileSync(file, JSON.stringify(doc));
    const r = await runCli(['lint', file, '--at', '2026-12-01T00:00:00Z']);
    expect(r.code).toBe(1);
    const [first, second] = [doc.rules[0].id, doc.rules[1].id];
    expect(r.stdout).toContain(
      `${file}: error $.rules[1].exceptOffice (rule "${second}"): unknown field "exceptOffice"; did you mean "exceptOffices"?`,
    );
    expect(r.stdout).toContain(
      `${file}: error $.rules[1].exceptJurisdictions[0] (rule "${second}"): "USA" is not an ISO 3166-1 alpha-2 country code`,
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `error \\$\\.rules\\[0\\]\\.models\\[0\\] \\(rule "${first}"\\): model "mythos": "claude" defines no models`,
      ),
    );

    const json = await runCli(['lint', file, '--at', '2026-12-01T00:00:00Z', '--json']);
    const issues = JSON.parse(json.stdout) as Array<{ path: string; rule?: string }>;
    expect(issues).toContainEqual(expect.objectContaining({ path: '$.rules[1].exceptOffice', rule: second }));
  });

  it('a signed policy: lints its payload and says the signatures were not checked', async () => {
    const r = await runCli(['lint', EXAMPLE_JWS, '--at', '2026-12-01T00:00:00Z']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${EXAMPLE_JWS}: no problems found`);
    expect(r.stderr).toMatch(
      /signed policy \(JWS\): linting its payload; the signatures were NOT checked \(run: ai-geofence verify/,
    );

    // A payload with a mistake is reported at its JSON path inside the payload.
    const doc = structuredClone(base);
    doc.rules[0].jurisdictions = ['HKG'];
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'x', typ: 'ai-geofence-policy+jws' })).toString(
      'base64url',
    );
    const file = join(tmp.dir, 'unverified.jws');
    writeFileSync(file, `${header}.${Buffer.from(JSON.stringify(doc)).toString('base64url')}.c2ln`);
    const bad = await runCli(['lint', file, '--at', '2026-12-01T00:00:00Z']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/error \$\.rules\[0\]\.jurisdictions\[0\] .*"HKG".*did you mean "HK"\?/);

    const exceptionsHeader = Buffer.from(
      JSON.stringify({ alg: 'EdDSA', kid: 'x', typ: 'ai-geofence-exceptions+jws' }),
    ).toString('base64url');
    const exceptions = join(tmp.dir, 'exceptions.jws');
    writeFileSync(
      exceptions,
      `${exceptionsHeader}.${Buffer.from('{"type":"ai-geofence-exceptions"}').toString('base64url')}.c2ln`,
    );
    const e = await runCli(['lint', exceptions]);
    expect(e.code).toBe(1);
    expect(e.stdout).toContain(
      `${exceptions}: error $: the JWS header "typ" is "ai-geofence-exceptions+jws", not "ai-geofence-policy+jws": browsers do not accept it as a policy`,
    );
    expect(e.stdout).toContain('1 error, 0 warnings');

    const garbage = join(tmp.dir, 'garbage.jws');
    writeFileSync(garbage, 'a.b.c');
    const g = await runCli(['lint', garbage]);
    expect(g.code).toBe(1);
    expect(g.stdout).toContain(`${garbage}: error $: not a readable JWS: the payload is not base64url`);
  });

  it('sign refuses a file that is already signed and points to cosign', async () => {
    const r = await runCli([
      'sign',
      EXAMPLE_JWS,
      '--key',
      join(import.meta.dirname, '..', '..', 'examples', 'keys', 'demo.private.jwk'),
      '--out',
      join(tmp.dir, 'twice.jws'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already signed.*ai-geofence cosign/);
  });
});
