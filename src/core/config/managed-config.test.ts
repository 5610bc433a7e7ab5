import { describe, expect, it } from 'vitest';
import { checkFetchUrl, parseManagedConfig } from './managed-config.ts';

const KEY = { kid: 'k1', kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
const GOOD = { office: 'HK', policyUrl: 'https://policy.bank.example/ai.jws', trustedKeys: [KEY] };

describe('parseManagedConfig', () => {
  it('accepts a minimal configuration and fills the documented defaults', () => {
    const r = parseManagedConfig(GOOD);
    expect(r.ok && r.config).toMatchObject({
      office: 'HK',
      signatureThreshold: 1,
      refreshMinutes: 60,
      failMode: 'closed',
      groups: [],
    });
  });

  it('runs discovery unless IT sets the extension key "discovery" to false, and names a wrong value', () => {
    const on = parseManagedConfig(GOOD);
    expect(on.ok && on.config.discovery).toBe(true);
    const off = parseManagedConfig({ ...GOOD, discovery: false });
    expect(off.ok && off.config.discovery).toBe(false);
    const wrong = parseManagedConfig({ ...GOOD, discovery: 'no' });
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.errors.join('\n')).toMatch(/managed key "discovery": expected true or false/);
  });

  it('refuses a misspelt key that would leave the real one at its default, naming both', () => {
    const r = parseManagedConfig({ ...GOOD, trustedKeys: [KEY, { ...KEY, kid: 'k2' }], signatureThreshhold: 2 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([
      'managed key "signatureThreshhold" is not known; did you mean "signatureThreshold"? (it would be ignored, and "signatureThreshold" left at its default)',
    ]);
    const cased = parseManagedConfig({ ...GOOD, FailMode: 'open' });
    expect(!cased.ok && cased.errors[0]).toMatch(/"FailMode" is not known; did you mean "failMode"/);
    // Keys close to none of ours (a newer version's) are left alone.
    expect(parseManagedConfig({ ...GOOD, networkZone: 'x', discoveryMode: 'x' }).ok).toBe(true);
  });

  it('takes delivery headers, OTLP and compression for the audit collector, refusing headers fetch would drop', () => {
    const r = parseManagedConfig({
      ...GOOD,
      auditFormat: 'otlp',
      auditHeaders: { Authorization: 'Bearer abc', 'X-Tenant': 'bank' },
      auditCompression: 'none',
    });
    expect(r.ok && r.config).toMatchObject({
      auditFormat: 'otlp',
      auditHeaders: { Authorization: 'Bearer abc', 'X-Tenant': 'bank' },
      auditCompression: 'none',
    });
    const defaults = parseManagedConfig(GOOD);
    expect(defaults.ok && defaults.config).toMatchObject({
      auditFormat: 'json',
      auditHeaders: {},
      auditCompression: 'gzip',
    });
    for (const [headers, why] of [
      [{ Cookie: 'a=b' }, /managed key "auditHeaders.Cookie": header "Cookie" cannot be set/],
      [{ 'Content-Type': 'text/plain' }, /header "Content-Type" cannot be set/],
      [{ 'Bad Name': 'x' }, /not a valid HTTP header name/],
      [{ Authorization: 'Bearer a\r\nX-Evil: 1' }, /line break/],
      [{ Authorization: 42 }, /expected header values as strings/],
      ['Bearer abc', /expected an object/],
    ] as const) {
      const bad = parseManagedConfig({ ...GOOD, auditHeaders: headers });
      expect(bad.ok).toBe(false);
      expect(!bad.ok && bad.errors.join('\n')).toMatch(why);
      expect(!bad.ok && bad.errors.join('\n')).not.toContain('Bearer a');
    }
  });

  it('reads the location keys: https (http only for loopback), public keys only, 15 minutes by default', () => {
    const on = parseManagedConfig({ ...GOOD, locationUrl: 'https://where.bank.example/v1', locationKeys: [KEY] });
    expect(on.ok && on.config).toMatchObject({
      locationUrl: 'https://where.bank.example/v1',
      locationKeys: [KEY],
      locationMinutes: 15,
    });
    expect(on.ok && on.warnings).toEqual([]);
    const loop = parseManagedConfig({
      ...GOOD,
      locationUrl: 'http://127.0.0.1:9/where',
      locationKeys: [KEY],
      locationMinutes: 5,
    });
    expect(loop.ok && loop.config.locationMinutes).toBe(5);
    const plain = parseManagedConfig({ ...GOOD, locationUrl: 'http://where.bank.example/v1', locationKeys: [KEY] });
    expect(!plain.ok && plain.errors.join('\n')).toMatch(/managed key "locationUrl": must be an https: URL/);
    const secret = parseManagedConfig({
      ...GOOD,
      locationUrl: 'https://where.bank.example/v1',
      locationKeys: [{ ...KEY, d: 'private' }],
    });
    expect(!secret.ok && secret.errors.join('\n')).toMatch(/managed key "locationKeys"/);
    const zero = parseManagedConfig({ ...GOOD, locationMinutes: 0 });
    expect(zero.ok).toBe(false);
    const keyless = parseManagedConfig({ ...GOOD, locationUrl: 'https://where.bank.example/v1' });
    expect(keyless.ok && keyless.warnings.join('\n')).toMatch(/"locationKeys" is empty/);
    const off = parseManagedConfig(GOOD);
    expect(off.ok && off.config.locationUrl).toBeUndefined();
  });

  it('reports a missing configuration as such', () => {
    const r = parseManagedConfig({});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toMatch(/no managed configuration/);
  });

  it('names every invalid key, never defaulting office or trustedKeys', () => {
    const r = parseManagedConfig({
      office: '',
      policyUrl: 'http://policy.bank.example/x',
      trustedKeys: [{ kid: 'a', kty: 'oct', k: 'c2VjcmV0' }],
    });
    expect(r.ok).toBe(false);
    const text = !r.ok ? r.errors.join('\n') : '';
    expect(text).toMatch(/office/);
    expect(text).toMatch(/policyUrl/);
    expect(text).toMatch(/trustedKeys/);
  });

  it('refuses private keys and a threshold above the number of keys', () => {
    expect(parseManagedConfig({ ...GOOD, trustedKeys: [{ ...KEY, d: 'secret' }] }).ok).toBe(false);
    const r = parseManagedConfig({ ...GOOD, signatureThreshold: 2 });
    expect(!r.ok && r.errors[0]).toMatch(/exceeds/);
  });

  it('allows plain http only for loopback', () => {
    expect(checkFetchUrl('http://127.0.0.1:8080/p.jws')).toBeNull();
    expect(checkFetchUrl('http://localhost/p.jws')).toBeNull();
    expect(checkFetchUrl('http://policy.bank.example/p.jws')).toMatch(/https/);
    expect(checkFetchUrl('ftp://x/p')).toMatch(/https/);
    expect(checkFetchUrl('not a url')).toMatch(/absolute/);
  });
});
