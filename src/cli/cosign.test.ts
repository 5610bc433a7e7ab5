import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPolicy } from '../core/policy/verify.ts';
import { EXAMPLE_POLICY, makeTempDir, runCli, SUBPROCESS_TIMEOUT } from './test-helpers.ts';

const tmp = makeTempDir('cosign');
const p = (name: string) => join(tmp.dir, name);
const AT = ['--at', '2026-12-01T00:00:00Z'];
const NOW = Date.parse('2026-12-01T00:00:00Z');
const publicKey = (kid: string) => JSON.parse(readFileSync(p(`${kid}.public.jwk`), 'utf8'));

function writeTrusted(name: string, ...kids: string[]): string {
  writeFileSync(p(name), JSON.stringify(kids.map(publicKey)));
  return p(name);
}

/** A compact JWS of `payload` by `kid`, made with jose directly (for documents `sign` would refuse). */
async function signRaw(kid: string, payload: string, header: Record<string, unknown> = {}): Promise<string> {
  const jwk = JSON.parse(readFileSync(p(`${kid}.private.jwk`), 'utf8'));
  return new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'ai-geofence-policy+jws', ...header })
    .sign(await importJWK(jwk, 'EdDSA'));
}

beforeAll(async () => {
  const keys = [
    ['EdDSA', 'officer-a'],
    ['ES256', 'officer-b'],
    ['EdDSA', 'officer-c'],
  ] as const;
  const runs = await Promise.all(
    keys.map(([alg, kid]) => runCli(['keygen', '--alg', alg, '--kid', kid, '--out', tmp.dir])),
  );
  for (const r of runs) expect(r.code, r.stderr).toBe(0);
  const signed = await runCli([
    'sign',
    EXAMPLE_POLICY,
    '--key',
    p('officer-a.private.jwk'),
    '--out',
    p('one.jws'),
    ...AT,
  ]);
  expect(signed.code, signed.stderr).toBe(0);
}, SUBPROCESS_TIMEOUT);
afterAll(() => tmp.cleanup());

describe('cosign', { timeout: SUBPROCESS_TIMEOUT }, () => {
  it('two officers, two separate steps: one threshold-2 policy that verify and the browser verifier accept', async () => {
    const r = await runCli(['cosign', p('one.jws'), '--key', p('officer-b.private.jwk'), '--out', p('two.jws'), ...AT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /Cosigned .*one\.jws \(policy serial 42\) with officer-b → .*two\.jws \(general JSON serialization, 2 signatures: officer-a, officer-b\)/,
    );
    expect(r.stderr).toMatch(/existing signature was NOT checked/);

    const compact = readFileSync(p('one.jws'), 'utf8').trim().split('.');
    const general = JSON.parse(readFileSync(p('two.jws'), 'utf8'));
    // The payload is byte for byte the one the first officer signed, and so the file's bytes.
    expect(general.payload).toBe(compact[1]);
    expect(Buffer.from(general.payload, 'base64url').equals(readFileSync(EXAMPLE_POLICY))).toBe(true);
    expect(general.signatures[0]).toEqual({ protected: compact[0], signature: compact[2] });
    expect(JSON.parse(Buffer.from(general.signatures[1].protected, 'base64url').toString())).toEqual({
      alg: 'ES256',
      kid: 'officer-b',
      typ: 'ai-geofence-policy+jws',
    });

    const trusted = writeTrusted('trusted-ab.json', 'officer-a', 'officer-b');
    const verified = await runCli(['verify', p('two.jws'), '--keys', trusted, '--threshold', '2', ...AT]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/signers:\s+officer-a, officer-b/);

    const browser = await verifyPolicy(readFileSync(p('two.jws'), 'utf8'), {
      trustedKeys: [publicKey('officer-a'), publicKey('officer-b')],
      threshold: 2,
      now: NOW,
    });
    expect(browser).toMatchObject({ ok: true, signers: ['officer-a', 'officer-b'] });
  });

  it('a third officer, checking the existing signatures with --keys and the new total with --threshold', async () => {
    await runCli(['cosign', p('one.jws'), '--key', p('officer-b.private.jwk'), '--out', p('two-b.jws'), ...AT]);
    const trusted = writeTrusted('trusted-abc.json', 'officer-a', 'officer-b', 'officer-c');
    const r = await runCli([
      'cosign',
      p('two-b.jws'),
      '--key',
      p('officer-c.private.jwk'),
      '--out',
      p('three.jws'),
      '--keys',
      trusted,
      '--threshold',
      '3',
      ...AT,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/NOT checked/);
    expect(r.stdout).toMatch(/3 distinct trusted signers: officer-a, officer-b, officer-c/);
  });

  it('refuses a key that already signed: the same kid, or the same key under another kid', async () => {
    const same = await runCli([
      'cosign',
      p('one.jws'),
      '--key',
      p('officer-a.private.jwk'),
      '--out',
      p('dup.jws'),
      ...AT,
    ]);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/key "officer-a" has already signed it/);

    const renamed = { ...JSON.parse(readFileSync(p('officer-a.private.jwk'), 'utf8')), kid: 'officer-a-again' };
    writeFileSync(p('renamed.private.jwk'), JSON.stringify(renamed));
    const again = await runCli([
      'cosign',
      p('one.jws'),
      '--key',
      p('renamed.private.jwk'),
      '--out',
      p('dup.jws'),
      ...AT,
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/this key has already signed it \(as kid "officer-a"\)/);
    expect(() => statSync(p('dup.jws'))).toThrow();
  });

  it('refuses existing signatures that do not verify with --keys', async () => {
    const [h, payload] = readFileSync(p('one.jws'), 'utf8').trim().split('.');
    writeFileSync(p('forged.jws'), `${h}.${payload}.${Buffer.alloc(64, 7).toString('base64url')}`);
    const r = await runCli([
      'cosign',
      p('forged.jws'),
      '--key',
      p('officer-b.private.jwk'),
      '--out',
      p('x.jws'),
      '--keys',
      writeTrusted('t-ab.json', 'officer-a', 'officer-b'),
      ...AT,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/existing signatures do not all verify with --keys \(bad-signature\)/);
    const untrusted = await runCli([
      'cosign',
      p('one.jws'),
      '--key',
      p('officer-b.private.jwk'),
      '--out',
      p('x.jws'),
      '--keys',
      writeTrusted('t-bc.json', 'officer-b', 'officer-c'),
      ...AT,
    ]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/untrusted-key/);
  });

  it('refuses a malformed JWS, a forbidden header, a payload that is not a valid policy, an expired one', async () => {
    const policy = readFileSync(EXAMPLE_POLICY, 'utf8');
    const cases: Array<[string, string, RegExp]> = [
      ['garbage.jws', 'not a jws at all', /not a signed document \(JWS\)/],
      [
        'truncated.jws',
        readFileSync(p('one.jws'), 'utf8').trim().slice(0, -10),
        /signature 1: the signature is not 64 bytes .* damaged/,
      ],
      [
        'none.jws',
        `${Buffer.from('{"alg":"none","kid":"x","typ":"ai-geofence-policy+jws"}').toString('base64url')}.${Buffer.from(policy).toString('base64url')}.`,
        /algorithm "none" is not accepted/,
      ],
      ['typ.jws', await signRaw('officer-a', policy, { typ: 'JWT' }), /header "typ" "JWT"/],
      [
        'invalid.jws',
        await signRaw('officer-a', JSON.stringify({ ...JSON.parse(policy), serial: 'x' })),
        /not a valid policy: \$\.serial/,
      ],
      [
        'unknown-field.jws',
        await signRaw('officer-a', policy.replace('"defaultAction"', '"defaultActon": "allow", "defaultAction"')),
        /not a valid policy: .*unknown field "defaultActon"/,
      ],
      [
        'expired.jws',
        await signRaw('officer-a', policy.replace('"2027-11-20T00:00:00Z"', '"2026-11-21T00:00:00Z"')),
        /refusing to cosign: expired/,
      ],
    ];
    for (const [name, content, message] of cases) {
      writeFileSync(p(name), content);
      const r = await runCli([
        'cosign',
        p(name),
        '--key',
        p('officer-b.private.jwk'),
        '--out',
        p(`out-${name}`),
        ...AT,
      ]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(message);
      expect(() => statSync(p(`out-${name}`))).toThrow();
    }
  });

  it('usage: one --key, an --out, and --threshold only with --keys', async () => {
    const two = await runCli([
      'cosign',
      p('one.jws'),
      '--key',
      p('officer-b.private.jwk'),
      '--key',
      p('officer-c.private.jwk'),
      '--out',
      p('x.jws'),
    ]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/exactly one --key/);
    expect((await runCli(['cosign', p('one.jws'), '--key', p('officer-b.private.jwk')])).code).toBe(2);
    const t = await runCli([
      'cosign',
      p('one.jws'),
      '--key',
      p('officer-b.private.jwk'),
      '--out',
      p('x.jws'),
      '--threshold',
      '2',
    ]);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--threshold needs --keys/);
  });
});
