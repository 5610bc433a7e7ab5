import fc from 'fast-check';
import { base64url, CompactSign, exportJWK, GeneralSign, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy, decide } from '../decide/decide.ts';
import { lintPolicy } from '../lint/lint.ts';
import { parsePolicy, POLICY_JWS_TYP } from './policy-schema.ts';
import { makeSigner, payloadOf, type Signer } from './test-signing.ts';
import {
  checkTrustedKey,
  CLOCK_SKEW_MS,
  MAX_POLICY_BYTES,
  sha256Hex,
  verifyPolicy,
  type VerifyOptions,
  type VerifyResult,
} from './verify.ts';

const NOW = Date.parse('2026-11-25T00:00:00Z');
const enc = new TextEncoder();

const bytesOf = (p: unknown) =>
  p instanceof Uint8Array ? p : enc.encode(typeof p === 'string' ? p : JSON.stringify(p));

async function signCompact(payload: unknown, s: Signer, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(bytesOf(payload))
    .setProtectedHeader({ alg: s.alg, kid: s.kid, typ: POLICY_JWS_TYP, ...header })
    .sign(s.privateKey);
}

async function signGeneral(
  payload: unknown,
  signers: Array<{ s: Signer; header?: Record<string, unknown>; unprotected?: Record<string, unknown> }>,
): Promise<string> {
  const g = new GeneralSign(bytesOf(payload));
  for (const { s, header, unprotected } of signers) {
    const sig = g
      .addSignature(s.privateKey)
      .setProtectedHeader({ alg: s.alg, kid: s.kid, typ: POLICY_JWS_TYP, ...header });
    if (unprotected) sig.setUnprotectedHeader(unprotected);
  }
  return JSON.stringify(await g.sign());
}

/** A compact JWS signed by hand, bypassing jose's own header checks (to build hostile documents). */
async function signRaw(
  header: Record<string, unknown>,
  payload: unknown,
  sign: (input: Uint8Array) => Promise<Uint8Array>,
): Promise<string> {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(bytesOf(payload))}`;
  return `${input}.${base64url.encode(await sign(enc.encode(input)))}`;
}
const webSign = (s: Signer) => async (input: Uint8Array) =>
  new Uint8Array(
    await crypto.subtle.sign(
      s.alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' },
      s.privateKey,
      input as BufferSource,
    ),
  );

let ed: Signer;
let ec: Signer;
let ed2: Signer;
let outsider: Signer;
const opts = (over: Partial<VerifyOptions> = {}): VerifyOptions => ({
  trustedKeys: [ed.publicJwk, ec.publicJwk, ed2.publicJwk],
  now: NOW,
  ...over,
});
const refused = (r: VerifyResult) => (r.ok ? 'accepted' : r.code);

beforeAll(async () => {
  [ed, ec, ed2, outsider] = await Promise.all([
    makeSigner('EdDSA', 'ed-1'),
    makeSigner('ES256', 'ec-1'),
    makeSigner('EdDSA', 'ed-2'),
    makeSigner('EdDSA', 'ed-1'),
  ]);
});

describe('verifyPolicy: good documents', () => {
  it('accepts compact EdDSA', async () => {
    const r = await verifyPolicy(await signCompact(payloadOf(), ed), opts());
    expect(r.ok && r.signers).toEqual(['ed-1']);
    expect(r.ok && r.policy.serial).toBe(42);
    expect(r.ok && r.payloadHash).toBe(await sha256Hex(JSON.stringify(payloadOf())));
  });

  it('accepts compact ES256', async () => {
    const r = await verifyPolicy(await signCompact(payloadOf(), ec), opts());
    expect(r.ok && r.signers).toEqual(['ec-1']);
  });

  it('accepts general JSON signed by two distinct keys with threshold 2', async () => {
    const r = await verifyPolicy(await signGeneral(payloadOf(), [{ s: ed }, { s: ec }]), opts({ threshold: 2 }));
    expect(r.ok && [...r.signers].sort()).toEqual(['ec-1', 'ed-1']);
  });

  it('accepts flattened JSON and surrounding whitespace', async () => {
    const general = JSON.parse(await signGeneral(payloadOf(), [{ s: ed }]));
    const flattened = JSON.stringify({ payload: general.payload, ...general.signatures[0] });
    expect(refused(await verifyPolicy(`\n${flattened}\n`, opts()))).toBe('accepted');
    expect(refused(await verifyPolicy(`  ${await signCompact(payloadOf(), ed)}\n`, opts()))).toBe('accepted');
  });
});

describe('verifyPolicy: threshold', () => {
  it('the same key twice does not meet threshold 2', async () => {
    const r = await verifyPolicy(await signGeneral(payloadOf(), [{ s: ed }, { s: ed }]), opts({ threshold: 2 }));
    expect(refused(r)).toBe('threshold-not-met');
  });

  it('one key listed under two kids counts once', async () => {
    const alias = { ...ed.publicJwk, kid: 'ed-1-alias' };
    const aliasSigner = { ...ed, kid: 'ed-1-alias' };
    const doc = await signGeneral(payloadOf(), [{ s: ed }, { s: aliasSigner }]);
    expect(refused(await verifyPolicy(doc, opts({ threshold: 2, trustedKeys: [ed.publicJwk, alias] })))).toBe(
      'threshold-not-met',
    );
  });

  it('one valid signature is not enough for threshold 2', async () => {
    expect(refused(await verifyPolicy(await signCompact(payloadOf(), ed), opts({ threshold: 2 })))).toBe(
      'threshold-not-met',
    );
  });
});

describe('verifyPolicy: JWS pitfalls', () => {
  it('refuses alg "none"', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid: 'ed-1', typ: POLICY_JWS_TYP }));
    const doc = `${header}.${base64url.encode(JSON.stringify(payloadOf()))}.`;
    expect(refused(await verifyPolicy(doc, opts()))).toBe('alg-not-allowed');
  });

  it('refuses HS256 keyed with the public key bytes', async () => {
    for (const secret of [base64url.decode(ed.publicJwk.x!), enc.encode(JSON.stringify(ed.publicJwk))]) {
      const key = await crypto.subtle.importKey(
        'raw',
        secret as BufferSource,
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      );
      const doc = await signRaw(
        { alg: 'HS256', kid: 'ed-1', typ: POLICY_JWS_TYP },
        payloadOf(),
        async (i) => new Uint8Array(await crypto.subtle.sign('HMAC', key, i as BufferSource)),
      );
      expect(refused(await verifyPolicy(doc, opts()))).toBe('alg-not-allowed');
    }
  });

  it('refuses an alg that does not fit the trusted key (ES256 header on an Ed25519 kid)', async () => {
    const doc = await signRaw({ alg: 'ES256', kid: 'ed-1', typ: POLICY_JWS_TYP }, payloadOf(), webSign(ec));
    expect(refused(await verifyPolicy(doc, opts()))).toBe('alg-not-allowed');
  });

  it('refuses an unknown kid, a missing kid, and a known kid signed by another key', async () => {
    expect(refused(await verifyPolicy(await signCompact(payloadOf(), { ...outsider, kid: 'stranger' }), opts()))).toBe(
      'untrusted-key',
    );
    expect(
      refused(
        await verifyPolicy(await signRaw({ alg: 'EdDSA', typ: POLICY_JWS_TYP }, payloadOf(), webSign(ed)), opts()),
      ),
    ).toBe('untrusted-key');
    expect(refused(await verifyPolicy(await signCompact(payloadOf(), outsider), opts()))).toBe('bad-signature');
  });

  it('refuses a wrong or missing typ', async () => {
    expect(refused(await verifyPolicy(await signCompact(payloadOf(), ed, { typ: 'JWT' }), opts()))).toBe('bad-header');
    expect(
      refused(await verifyPolicy(await signRaw({ alg: 'EdDSA', kid: 'ed-1' }, payloadOf(), webSign(ed)), opts())),
    ).toBe('bad-header');
  });

  it('refuses an unknown crit extension, and b64 even though jose knows it', async () => {
    const crit = await signRaw(
      { alg: 'EdDSA', kid: 'ed-1', typ: POLICY_JWS_TYP, crit: ['exp'], exp: 1 },
      payloadOf(),
      webSign(ed),
    );
    expect(refused(await verifyPolicy(crit, opts()))).toBe('bad-header');
    const b64 = await signRaw(
      { alg: 'EdDSA', kid: 'ed-1', typ: POLICY_JWS_TYP, crit: ['b64'], b64: false },
      payloadOf(),
      webSign(ed),
    );
    expect(refused(await verifyPolicy(b64, opts()))).toBe('bad-header');
  });

  it('refuses a kid given only in the unprotected header', async () => {
    const doc = await signGeneral(payloadOf(), [{ s: ed, header: { kid: undefined }, unprotected: { kid: 'ed-1' } }]);
    expect(refused(await verifyPolicy(doc, opts()))).toBe('untrusted-key');
  });

  it('ignores unprotected alg/kid/typ: only the protected header counts', async () => {
    // A valid signature stays valid whatever the unprotected header claims...
    const ok = await signGeneral(payloadOf(), [{ s: ed, unprotected: { x5u: 'https://evil.example/cert' } }]);
    expect(refused(await verifyPolicy(ok, opts()))).toBe('accepted');
    // ...and an alg given only there is not an alg at all.
    const doc = JSON.parse(await signGeneral(payloadOf(), [{ s: ed }]));
    const sig = doc.signatures[0];
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(sig.protected)));
    delete header.alg;
    sig.protected = base64url.encode(JSON.stringify(header));
    sig.header = { alg: 'EdDSA' };
    expect(refused(await verifyPolicy(JSON.stringify(doc), opts()))).toBe('alg-not-allowed');
  });

  it('refuses a signature entry with no protected header', async () => {
    const doc = JSON.parse(await signGeneral(payloadOf(), [{ s: ed }]));
    doc.signatures[0] = {
      header: { alg: 'EdDSA', kid: 'ed-1', typ: POLICY_JWS_TYP },
      signature: doc.signatures[0].signature,
    };
    expect(refused(await verifyPolicy(JSON.stringify(doc), opts()))).toBe('malformed-jws');
  });

  it('never takes a key from jwk, jku or x5u headers', async () => {
    const injected = await signCompact(payloadOf(), outsider, {
      jwk: outsider.publicJwk,
      jku: 'https://evil.example/jwks.json',
      x5u: 'https://evil.example/c',
    });
    expect(refused(await verifyPolicy(injected, opts()))).toBe('bad-signature');
    const unknownKid = await signCompact(
      payloadOf(),
      { ...outsider, kid: 'evil' },
      { jwk: { ...outsider.publicJwk, kid: 'evil' } },
    );
    expect(refused(await verifyPolicy(unknownKid, opts()))).toBe('untrusted-key');
  });

  it('refuses ES256 signatures in DER form (JWS wants raw r||s)', async () => {
    const raw = await signRaw({ alg: 'ES256', kid: 'ec-1', typ: POLICY_JWS_TYP }, payloadOf(), webSign(ec));
    const [h, p, s] = raw.split('.') as [string, string, string];
    const rs = base64url.decode(s);
    const int = (b: Uint8Array) => {
      let i = 0;
      while (i < b.length - 1 && b[i] === 0) i++;
      const v = b.slice(i);
      return v[0]! & 0x80 ? Uint8Array.of(0x02, v.length + 1, 0, ...v) : Uint8Array.of(0x02, v.length, ...v);
    };
    const body = Uint8Array.of(...int(rs.slice(0, 32)), ...int(rs.slice(32)));
    const der = Uint8Array.of(0x30, body.length, ...body);
    expect(refused(await verifyPolicy(raw, opts()))).toBe('accepted');
    expect(refused(await verifyPolicy(`${h}.${p}.${base64url.encode(der)}`, opts()))).toBe('bad-signature');
  });

  it('refuses a payload swapped between two signatures', async () => {
    const a = await signCompact(payloadOf({ serial: 1 }), ed);
    const b = await signCompact(payloadOf({ serial: 2, rules: [] }), ed);
    const [ha, , sa] = a.split('.');
    const [, pb] = b.split('.');
    expect(refused(await verifyPolicy(`${ha}.${pb}.${sa}`, opts()))).toBe('bad-signature');
    // General JSON: B's signature by ec next to A's payload does not count towards the threshold.
    const ga = JSON.parse(await signGeneral(payloadOf({ serial: 1 }), [{ s: ed }]));
    const gb = JSON.parse(await signGeneral(payloadOf({ serial: 2 }), [{ s: ec }]));
    const mixed = JSON.stringify({ payload: ga.payload, signatures: [ga.signatures[0], gb.signatures[0]] });
    expect(refused(await verifyPolicy(mixed, opts({ threshold: 2 })))).toBe('threshold-not-met');
  });

  it('refuses a JSON serialization with duplicate keys (two readers, two payloads)', async () => {
    const g = JSON.parse(await signGeneral(payloadOf(), [{ s: ed }]));
    const evil = base64url.encode(JSON.stringify(payloadOf({ rules: [] })));
    const doc = `{"payload":"${evil}","payload":"${g.payload}","signatures":${JSON.stringify(g.signatures)}}`;
    expect(refused(await verifyPolicy(doc, opts()))).toBe('malformed-jws');
  });

  it('refuses garbage that is not a JWS', async () => {
    for (const doc of ['', 'a.b', 'a.b.c.d', '{"payload":1}', '{"payload":"x","signatures":[]}', '{', '[]', 'null']) {
      expect(refused(await verifyPolicy(doc, opts())), doc).not.toBe('accepted');
    }
  });
});

describe('verifyPolicy: freshness and rollback', () => {
  it('refuses a rollback to a lower serial', async () => {
    const doc = await signCompact(payloadOf({ serial: 41 }), ed);
    expect(refused(await verifyPolicy(doc, opts({ current: { serial: 42, payloadHash: 'x' } })))).toBe('rollback');
  });

  it('accepts the same serial with identical content, refuses it with different content', async () => {
    const text = JSON.stringify(payloadOf());
    const current = { serial: 42, payloadHash: await sha256Hex(text) };
    expect(refused(await verifyPolicy(await signCompact(text, ed), opts({ current })))).toBe('accepted');
    expect(refused(await verifyPolicy(await signCompact(payloadOf({ rules: [] }), ed), opts({ current })))).toBe(
      'rollback',
    );
  });

  it('accepts a higher serial', async () => {
    expect(
      refused(
        await verifyPolicy(
          await signCompact(payloadOf({ serial: 43 }), ed),
          opts({ current: { serial: 42, payloadHash: 'x' } }),
        ),
      ),
    ).toBe('accepted');
  });

  it('refuses an expired policy (indefinite freeze)', async () => {
    expect(
      refused(await verifyPolicy(await signCompact(payloadOf({ expires: '2026-11-24T23:59:59Z' }), ed), opts())),
    ).toBe('expired');
    expect(
      refused(await verifyPolicy(await signCompact(payloadOf({ expires: '2026-11-25T00:00:00Z' }), ed), opts())),
    ).toBe('expired');
  });

  it('refuses a policy issued more than 5 minutes in the future, tolerates clock skew below that', async () => {
    const at = (ms: number) => new Date(NOW + ms).toISOString();
    expect(
      refused(await verifyPolicy(await signCompact(payloadOf({ issued: at(CLOCK_SKEW_MS + 1000) }), ed), opts())),
    ).toBe('not-yet-valid');
    expect(
      refused(await verifyPolicy(await signCompact(payloadOf({ issued: at(CLOCK_SKEW_MS - 1000) }), ed), opts())),
    ).toBe('accepted');
  });
});

describe('verifyPolicy: payload hygiene (endless data, parser differentials)', () => {
  it('refuses a document over 5 MiB, counted in UTF-8 bytes', async () => {
    expect(refused(await verifyPolicy('a'.repeat(MAX_POLICY_BYTES + 1), opts()))).toBe('too-large');
    // 2 M characters, 6 MB of UTF-8
    expect(refused(await verifyPolicy('€'.repeat(2 * 1024 * 1024), opts()))).toBe('too-large');
  });

  it('refuses a payload that is not UTF-8', async () => {
    expect(refused(await verifyPolicy(await signCompact(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d), ed), opts()))).toBe(
      'bad-payload',
    );
  });

  it('refuses duplicate keys in the payload', async () => {
    const text = JSON.stringify(payloadOf()).replace('"serial":42', '"serial":42,"serial":43');
    const r = await verifyPolicy(await signCompact(text, ed), opts());
    expect(refused(r)).toBe('bad-payload');
    expect(!r.ok && r.message).toMatch(/duplicate key "serial"/);
  });

  it('refuses deep nesting in the payload', async () => {
    const text = JSON.stringify(payloadOf({ issuer: 'x' })).replace(
      '"issuer":"x"',
      `"issuer":${'['.repeat(100)}${']'.repeat(100)}`,
    );
    const r = await verifyPolicy(await signCompact(text, ed), opts());
    expect(!r.ok && r.message).toMatch(/nesting/);
  });

  it('refuses a signed payload that is not a valid policy, naming the path', async () => {
    const r = await verifyPolicy(
      await signCompact(payloadOf({ rules: [{ id: 'x', tools: ['claude'], action: 'deny' }] }), ed),
      opts(),
    );
    expect(refused(r)).toBe('invalid-policy');
    expect(!r.ok && r.message).toContain('$.rules[0].action');
  });
  it('refuses a field it does not understand, naming the field, its path and the near name', async () => {
    const payload = payloadOf();
    payload.rules = [{ id: 'HK-BLOCK', tools: ['claude'], action: 'block', exceptOffice: ['NY'] }];
    const r = await verifyPolicy(await signCompact(payload, ed), opts());
    expect(refused(r)).toBe('invalid-policy');
    expect(!r.ok && r.message).toContain(
      '$.rules[0].exceptOffice: unknown field "exceptOffice"; did you mean "exceptOffices"?',
    );
  });
});

describe('trusted keys', () => {
  it('checkTrustedKey refuses a private key ("d"), a missing kid and other key types', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const priv = { ...(await exportJWK(privateKey)), kid: 'oops' };
    expect(checkTrustedKey(priv)).toMatch(/private part/);
    expect(checkTrustedKey({ ...ed.publicJwk, kid: undefined })).toMatch(/kid/);
    expect(checkTrustedKey({ kty: 'RSA', kid: 'r', n: 'x', e: 'AQAB' })).toMatch(/Ed25519|P-256/);
    expect(checkTrustedKey(ed.publicJwk)).toBeNull();
    expect(checkTrustedKey(ec.publicJwk)).toBeNull();
  });

  it('a private JWK pushed as a trusted key is never used', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const priv = { ...(await exportJWK(privateKey)), kid: 'ed-1' };
    expect(refused(await verifyPolicy(await signCompact(payloadOf(), ed), opts({ trustedKeys: [priv] })))).toBe(
      'no-trusted-keys',
    );
  });
});

describe('malformed input never throws (property)', () => {
  it('out of verifyPolicy, decide or lint, whatever the signed JSON says', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          fc.record({
            type: fc.constant('ai-geofence-policy'),
            version: fc.constant(1),
            rules: fc.jsonValue({ maxDepth: 3 }),
            offices: fc.jsonValue({ maxDepth: 3 }),
            tools: fc.jsonValue({ maxDepth: 3 }),
          }),
          fc.constant(payloadOf()),
        ),
        async (value) => {
          const text = JSON.stringify(value) ?? 'null';
          const r = await verifyPolicy(await signCompact(text, ed), opts());
          expect(typeof r.ok).toBe('boolean');
          const issues = lintPolicy(value, NOW);
          expect(Array.isArray(issues)).toBe(true);
          const parsed = parsePolicy(value);
          if (parsed.ok) decide(compilePolicy(parsed.policy), { office: 'HK' }, 'https://claude.ai/', NOW);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('out of verifyPolicy on arbitrary text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(...'{}[]":,.abcXYZ-_='), maxLength: 80 })),
        async (text) => {
          const r = await verifyPolicy(text, opts());
          expect(r.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
