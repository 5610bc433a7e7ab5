import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_JWS,
  EXAMPLE_POLICY,
  EXAMPLE_TRUSTED,
  makeTempDir,
  runCli,
  SUBPROCESS_TIMEOUT,
} from './test-helpers.ts';

const tmp = makeTempDir('sign');
const dir = tmp.dir;
const p = (name: string) => join(dir, name);
const basePolicy = JSON.parse(readFileSync(EXAMPLE_POLICY, 'utf8')) as Record<string, unknown>;

function writePolicy(name: string, changes: Record<string, unknown> = {}): string {
  writeFileSync(p(name), JSON.stringify({ ...basePolicy, ...changes }, null, 2));
  return p(name);
}

/** Sign (with ed-a, bypassing `sign`'s lint) the example policy with its rule 1 changed; returns the rules. */
async function signWithRuleChange(
  name: string,
  change: (rule: Record<string, unknown>) => void,
): Promise<Array<Record<string, unknown>>> {
  const jwk = JSON.parse(readFileSync(p('ed-a.private.jwk'), 'utf8'));
  const rules = structuredClone(basePolicy.rules) as Array<Record<string, unknown>>;
  change(rules[1]!);
  const payload = new TextEncoder().encode(JSON.stringify({ ...basePolicy, rules }));
  writeFileSync(
    p(name),
    await new CompactSign(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid: 'ed-a', typ: 'ai-geofence-policy+jws' })
      .sign(await importJWK(jwk, 'EdDSA')),
  );
  return rules;
}

function writeTrusted(name: string, ...publicFiles: string[]): string {
  writeFileSync(p(name), JSON.stringify(publicFiles.map((f) => JSON.parse(readFileSync(p(f), 'utf8')))));
  return p(name);
}

beforeAll(async () => {
  const keys = [
    ['EdDSA', 'ed-a'],
    ['ES256', 'ec-b'],
    ['EdDSA', 'ed-other'],
  ] as const;
  const runs = await Promise.all(
    keys.map(([alg, kid]) => runCli(['keygen', '--alg', alg, '--kid', kid, '--out', dir])),
  );
  for (const r of runs) expect(r.code, r.stderr).toBe(0);
}, SUBPROCESS_TIMEOUT);
afterAll(() => tmp.cleanup());

describe('keygen', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('writes a 0600 private JWK and a public JWK that carries kid and no private part', () => {
    const priv = JSON.parse(readFileSync(p('ed-a.private.jwk'), 'utf8'));
    const pub = JSON.parse(readFileSync(p('ed-a.public.jwk'), 'utf8'));
    expect(statSync(p('ed-a.private.jwk')).mode & 0o777).toBe(0o600);
    expect(priv).toMatchObject({ kid: 'ed-a', kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(typeof priv.d).toBe('string');
    expect(pub).toMatchObject({ kid: 'ed-a', kty: 'OKP', crv: 'Ed25519', x: priv.x });
    expect(pub).not.toHaveProperty('d');
    const ec = JSON.parse(readFileSync(p('ec-b.public.jwk'), 'utf8'));
    expect(ec).toMatchObject({ kid: 'ec-b', kty: 'EC', crv: 'P-256', alg: 'ES256' });
  });

  it('refuses to overwrite an existing key without --force, and rejects a bad --alg', async () => {
    const again = await runCli(['keygen', '--alg', 'EdDSA', '--kid', 'ed-a', '--out', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    const bad = await runCli(['keygen', '--alg', 'HS256', '--kid', 'x', '--out', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--alg must be EdDSA or ES256/);
  });
});

describe('sign → verify', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it.each([
    ['EdDSA', 'ed-a'],
    ['ES256', 'ec-b'],
  ])('round-trips a %s compact JWS', async (alg, kid) => {
    const policy = writePolicy(`policy-${kid}.json`);
    const out = p(`policy-${kid}.jws`);
    const signed = await runCli(['sign', policy, '--key', p(`${kid}.private.jwk`), '--out', out]);
    expect(signed.code, signed.stderr).toBe(0);
    const jws = readFileSync(out, 'utf8').trim();
    expect(jws.split('.')).toHaveLength(3);
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8'));
    expect(header).toEqual({ alg, kid, typ: 'ai-geofence-policy+jws' });
    // The exact bytes of the file are the payload.
    expect(Buffer.from(jws.split('.')[1]!, 'base64url').equals(readFileSync(policy))).toBe(true);

    const verified = await runCli(['verify', out, '--keys', writeTrusted(`trusted-${kid}.json`, `${kid}.public.jwk`)]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/serial:\s+42/);
    expect(verified.stdout).toMatch(new RegExp(`signers:\\s+${kid}`));
    expect(verified.stdout).toMatch(new RegExp(`rules:\\s+${(basePolicy.rules as unknown[]).length}`));
    expect(verified.stdout).toMatch(/HK \(Hong Kong\)/);
    expect(verified.stdout).toMatch(/lint:\s+no problems found/);
  });

  it('signs with two keys as general JSON serialization and meets --threshold 2', async () => {
    const policy = writePolicy('policy-two.json');
    const out = p('policy-two.jws');
    const signed = await runCli([
      'sign',
      policy,
      '--key',
      p('ed-a.private.jwk'),
      '--key',
      p('ec-b.private.jwk'),
      '--out',
      out,
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.signatures).toHaveLength(2);
    expect(typeof doc.payload).toBe('string');

    const both = writeTrusted('trusted-both.json', 'ed-a.public.jwk', 'ec-b.public.jwk');
    const ok = await runCli(['verify', out, '--keys', both, '--threshold', '2']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/signers:\s+ed-a, ec-b/);

    // The same document does not reach a threshold of 2 when only one of its signers is trusted.
    const oneTrusted = writeTrusted('trusted-a-other.json', 'ed-a.public.jwk', 'ed-other.public.jwk');
    const short = await runCli(['verify', out, '--keys', oneTrusted, '--threshold', '2']);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/threshold-not-met/);
  });

  it('fails with exit 1 and the reason when the signer is not trusted', async () => {
    const r = await runCli([
      'verify',
      EXAMPLE_JWS,
      '--keys',
      writeTrusted('trusted-wrong.json', 'ed-other.public.jwk'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/untrusted-key/);
    expect(r.stderr).toMatch(/demo-2026/);
  });

  it('fails when the key id is trusted but the key is a different one', async () => {
    const other = JSON.parse(readFileSync(p('ed-other.public.jwk'), 'utf8'));
    writeFileSync(p('trusted-impostor.json'), JSON.stringify({ keys: [{ ...other, kid: 'demo-2026' }] }));
    const r = await runCli(['verify', EXAMPLE_JWS, '--keys', p('trusted-impostor.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad-signature/);
  });

  it('refuses a rollback below --min-serial and accepts an equal serial', async () => {
    const low = await runCli(['verify', EXAMPLE_JWS, '--keys', EXAMPLE_TRUSTED, '--min-serial', '43']);
    expect(low.code).toBe(1);
    expect(low.stderr).toMatch(/rollback/);
    const equal = await runCli(['verify', EXAMPLE_JWS, '--keys', EXAMPLE_TRUSTED, '--min-serial', '42']);
    expect(equal.code, equal.stderr).toBe(0);
  });

  it('refuses an expired policy, judged at --at', async () => {
    const r = await runCli(['verify', EXAMPLE_JWS, '--keys', EXAMPLE_TRUSTED, '--at', '2028-01-01T00:00:00Z']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/expired/);
  });

  it('detects a payload changed after signing', async () => {
    const jws = readFileSync(EXAMPLE_JWS, 'utf8').trim().split('.');
    const payload = Buffer.from(jws[1]!, 'base64url').toString('utf8').replace('"serial": 42', '"serial": 99');
    writeFileSync(p('tampered.jws'), [jws[0], Buffer.from(payload).toString('base64url'), jws[2]].join('.'));
    const r = await runCli(['verify', p('tampered.jws'), '--keys', EXAMPLE_TRUSTED]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad-signature/);
  });

  it('refuses to sign a policy with lint errors and writes nothing', async () => {
    const bad = writePolicy('bad.json', { rules: [{ id: 'X', tools: ['claude'], action: 'explode' }] });
    const r = await runCli(['sign', bad, '--key', p('ed-a.private.jwk'), '--out', p('bad.jws')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to sign/);
    expect(r.stderr).toMatch(/\$\.rules\[0\]\.action/);
    expect(() => statSync(p('bad.jws'))).toThrow();
  });

  it('refuses to sign with a public key file', async () => {
    const r = await runCli(['sign', EXAMPLE_POLICY, '--key', p('ed-a.public.jwk'), '--out', p('x.jws')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no private part/);
  });

  it('refuses a signed policy with a field the extension does not understand, naming field and path', async () => {
    const rules = await signWithRuleChange('unknown-field.jws', (rule) => (rule.exceptOffice = ['NY']));
    const r = await runCli([
      'verify',
      p('unknown-field.jws'),
      '--keys',
      writeTrusted('trusted-unknown.json', 'ed-a.public.jwk'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /refused \(invalid-policy\):.*\$\.rules\[1\]\.exceptOffice: unknown field "exceptOffice"; did you mean "exceptOffices"\?/,
    );
    // One line per problem, as lint prints it, with the rule's id.
    expect(r.stderr).toContain(
      `${p('unknown-field.jws')}: error $.rules[1].exceptOffice (rule "${String(rules[1]!.id)}"): unknown field "exceptOffice"`,
    );
  });

  it('a valid signature over a policy with honest mistakes: valid, and the mistakes named', async () => {
    await signWithRuleChange('mistake.jws', (rule) => (rule.exceptJurisdictions = ['USA']));
    const r = await runCli([
      'verify',
      p('mistake.jws'),
      '--keys',
      writeTrusted('trusted-mistake.json', 'ed-a.public.jwk'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/lint:\s+1 error, 0 warnings \(listed on stderr; run: ai-geofence lint /);
    expect(r.stderr).toMatch(
      /error \$\.rules\[1\]\.exceptJurisdictions\[0\] \(rule "NON-US-ANTHROPIC"\): "USA" is not an ISO 3166-1 alpha-2 country code/,
    );
  });
});
