import { CompactSign, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { compilePolicy, decide } from '../decide/decide.ts';
import {
  locationInForce,
  locationRequestUrl,
  makeNonce,
  parseLocationArg,
  verifyLocation,
  type LocationRecord,
} from './location.ts';
import { parsePolicy, type Policy } from '../policy/policy-schema.ts';
import { makeSigner, type Signer } from '../policy/test-signing.ts';

const NOW = Date.parse('2026-11-25T09:00:00Z');
const NONCE = 'n0nce-n0nce-n0nce-123';

function assertion(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'ai-geofence-location',
    version: 1,
    nonce: NONCE,
    issued: '2026-11-25T08:59:00Z',
    expires: '2026-11-25T09:29:00Z',
    country: 'HK',
    zone: 'HK-OFFICE',
    ...overrides,
  };
}

async function sign(signer: Signer, payload: unknown, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'ai-geofence-location+jws', ...header })
    .sign(signer.privateKey);
}

describe('verifyLocation', () => {
  it('accepts an Ed25519 or P-256 assertion for this nonce and returns country and zone', async () => {
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const s = await makeSigner(alg, `loc-${alg}`);
      const res = await verifyLocation(await sign(s, assertion()), { keys: [s.publicJwk], nonce: NONCE, now: NOW });
      expect(res).toEqual({
        ok: true,
        location: { country: 'HK', zone: 'HK-OFFICE' },
        issued: '2026-11-25T08:59:00Z',
        expires: '2026-11-25T09:29:00Z',
        kid: `loc-${alg}`,
      });
    }
  });

  it('refuses a replayed answer (another nonce), even when it is otherwise valid', async () => {
    const s = await makeSigner('EdDSA', 'loc');
    const res = await verifyLocation(await sign(s, assertion()), {
      keys: [s.publicJwk],
      nonce: 'another-nonce-0123456',
      now: NOW,
    });
    expect(res).toMatchObject({ ok: false, code: 'wrong-nonce' });
  });

  it('refuses a key that is not among the location keys, and never uses a key the header embeds', async () => {
    const good = await makeSigner('EdDSA', 'loc');
    const forger = await makeSigner('EdDSA', 'loc');
    expect(
      await verifyLocation(await sign(forger, assertion()), { keys: [good.publicJwk], nonce: NONCE, now: NOW }),
    ).toMatchObject({ ok: false, code: 'bad-signature' });
    const other = await makeSigner('EdDSA', 'other');
    const embedded = await sign(other, assertion(), { jwk: other.publicJwk as JWK });
    expect(await verifyLocation(embedded, { keys: [good.publicJwk], nonce: NONCE, now: NOW })).toMatchObject({
      ok: false,
      code: 'untrusted-key',
    });
    expect(await verifyLocation(await sign(good, assertion()), { keys: [], nonce: NONCE, now: NOW })).toMatchObject({
      ok: false,
      code: 'no-trusted-keys',
    });
  });

  it('refuses the policy typ, alg none, JSON serialisation and a tampered payload', async () => {
    const s = await makeSigner('EdDSA', 'loc');
    const opts = { keys: [s.publicJwk], nonce: NONCE, now: NOW };
    expect(await verifyLocation(await sign(s, assertion(), { typ: 'ai-geofence-policy+jws' }), opts)).toMatchObject({
      ok: false,
      code: 'bad-header',
    });
    const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
    expect(
      await verifyLocation(
        `${b64({ alg: 'none', typ: 'ai-geofence-location+jws', kid: 'loc' })}.${b64(assertion())}.`,
        opts,
      ),
    ).toMatchObject({ ok: false });
    const [h, , sig] = (await sign(s, assertion())).split('.');
    expect(await verifyLocation(`${h}.${b64(assertion({ country: 'US' }))}.${sig}`, opts)).toMatchObject({
      ok: false,
      code: 'bad-signature',
    });
    expect(await verifyLocation(JSON.stringify({ payload: b64(assertion()), signatures: [] }), opts)).toMatchObject({
      ok: false,
      code: 'not-compact',
    });
  });

  it('refuses expired, future, over-long, non-ISO and unknown-field assertions', async () => {
    const s = await makeSigner('EdDSA', 'loc');
    const check = async (o: Record<string, unknown>) =>
      verifyLocation(await sign(s, assertion(o)), { keys: [s.publicJwk], nonce: NONCE, now: NOW });
    expect(await check({ expires: '2026-11-25T09:00:00Z' })).toMatchObject({ ok: false, code: 'expired' });
    expect(await check({ issued: '2026-11-25T09:03:00Z' })).toMatchObject({ ok: false, code: 'not-yet-valid' });
    expect(await check({ issued: '2026-11-25T09:01:00Z' })).toMatchObject({ ok: true }); // within the skew
    expect(await check({ expires: '2026-11-27T09:00:00Z' })).toMatchObject({ ok: false, code: 'invalid-location' });
    expect(await check({ country: 'UK' })).toMatchObject({
      ok: false,
      code: 'invalid-location',
      message: expect.stringContaining('country'),
    });
    expect(await check({ country: 'hk' })).toMatchObject({ ok: false, code: 'invalid-location' });
    expect(await check({ zone: 'X' })).toMatchObject({ ok: false, code: 'invalid-location' });
    expect(await check({ ip: '203.0.113.9' })).toMatchObject({
      ok: false,
      code: 'invalid-location',
      message: expect.stringContaining('ip'),
    });
    expect(await check({ type: 'ai-geofence-policy' })).toMatchObject({ ok: false, code: 'invalid-location' });
    expect(await check({ zone: undefined })).toMatchObject({ ok: true, location: { country: 'HK' } });
  });
});

describe('location helpers', () => {
  it('makes distinct 128-bit nonces and adds them to the URL', () => {
    const a = makeNonce();
    expect(a).toMatch(/^[\w-]{22}$/);
    expect(makeNonce()).not.toBe(a);
    expect(locationRequestUrl('https://loc.example/where?x=1', a)).toBe(`https://loc.example/where?x=1&nonce=${a}`);
  });

  it('keeps a stored location only while unexpired, from the configured URL and a configured key', () => {
    const rec: LocationRecord = {
      country: 'HK',
      issued: '2026-11-25T08:59:00Z',
      expires: '2026-11-25T09:29:00Z',
      verifiedAt: '2026-11-25T08:59:01Z',
      kid: 'loc',
      url: 'https://loc.example/',
      since: '2026-11-25T08:00:00Z',
    };
    const config = { locationUrl: 'https://loc.example/', locationKeys: [{ kid: 'loc' }] };
    expect(locationInForce(rec, config, NOW)).toEqual({ country: 'HK' });
    expect(locationInForce(rec, config, Date.parse(rec.expires))).toBeNull();
    expect(locationInForce(rec, { ...config, locationUrl: 'https://elsewhere.example/' }, NOW)).toBeNull();
    expect(locationInForce(rec, { ...config, locationKeys: [{ kid: 'new' }] }, NOW)).toBeNull();
    expect(locationInForce(rec, null, NOW)).toBeNull();
  });

  it('parses --location CC and CC/ZONE and names what is wrong', () => {
    expect(parseLocationArg('US')).toEqual({ country: 'US' });
    expect(parseLocationArg('HK/HK-OFFICE')).toEqual({ country: 'HK', zone: 'HK-OFFICE' });
    expect(parseLocationArg('UK')).toMatch(/not an ISO 3166-1/);
    expect(parseLocationArg('HK/x')).toMatch(/not a zone name/);
  });
});

function policyOf(extra: Record<string, unknown>): Policy {
  const p = parsePolicy({
    type: 'ai-geofence-policy',
    version: 1,
    serial: 1,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: {
      HK: { name: 'Hong Kong', jurisdiction: 'HK' },
      NY: { name: 'New York', jurisdiction: 'US' },
      LAB: { name: 'Lab' },
    },
    ...extra,
  });
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.policy;
}

describe('decide with locations', () => {
  const rules = [
    { id: 'USED-FROM-GREATER-CHINA', tools: ['claude'], locations: ['HK', 'CN', 'MO'], action: 'block' },
    { id: 'OUTSIDE-OFFICE-NETWORK', tools: ['chatgpt'], exceptLocations: ['NY-OFFICE', 'HK-OFFICE'], action: 'warn' },
  ];
  const at = (policy: Policy, office: string, location: { country: string; zone?: string } | null, url: string) =>
    decide(compilePolicy(policy), { office, location }, url, NOW);

  it('follows where the browser is, not the office', () => {
    const p = policyOf({ rules });
    expect(at(p, 'NY', { country: 'HK' }, 'https://claude.ai/').rule?.id).toBe('USED-FROM-GREATER-CHINA');
    expect(at(p, 'NY', { country: 'US' }, 'https://claude.ai/').action).toBe('allow');
    expect(at(p, 'HK', { country: 'US' }, 'https://claude.ai/').action).toBe('allow');
    expect(at(p, 'NY', { country: 'US', zone: 'NY-OFFICE' }, 'https://chatgpt.com/').action).toBe('allow');
    expect(at(p, 'NY', { country: 'US' }, 'https://chatgpt.com/').action).toBe('warn');
  });

  it('unknownLocation "office": no verified location means the office jurisdiction', () => {
    const p = policyOf({ rules });
    expect(at(p, 'HK', null, 'https://claude.ai/').action).toBe('block');
    expect(at(p, 'NY', null, 'https://claude.ai/').action).toBe('allow');
    expect(at(p, 'LAB', null, 'https://claude.ai/').action).toBe('allow'); // no jurisdiction: no place
    expect(at(p, 'NY', null, 'https://chatgpt.com/').action).toBe('warn');
  });

  it('unknownLocation "closed": every locations condition matches and no exceptLocations excuses', () => {
    const p = policyOf({ rules, unknownLocation: 'closed' });
    expect(at(p, 'NY', null, 'https://claude.ai/').action).toBe('block');
    expect(at(p, 'NY', null, 'https://chatgpt.com/').action).toBe('warn');
    expect(at(p, 'NY', { country: 'US', zone: 'NY-OFFICE' }, 'https://claude.ai/').action).toBe('allow');
  });

  it('does not reuse a cached subject when only the location changed', () => {
    const compiled = compilePolicy(policyOf({ rules }));
    expect(decide(compiled, { office: 'NY', location: { country: 'HK' } }, 'https://claude.ai/', NOW).action).toBe(
      'block',
    );
    expect(decide(compiled, { office: 'NY', location: { country: 'US' } }, 'https://claude.ai/', NOW).action).toBe(
      'allow',
    );
    expect(decide(compiled, { office: 'NY', location: { country: 'HK' } }, 'https://claude.ai/', NOW).action).toBe(
      'block',
    );
  });

  it('refuses an unknown unknownLocation value; the default is office', () => {
    expect(parsePolicy({ ...policyOf({ rules: [] }), unknownLocation: 'open' }).ok).toBe(false);
    expect(policyOf({ rules: [] }).unknownLocation).toBe('office');
  });
});
