import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { importLocationSigner } from '../src/core/location/location-answer.ts';
import { makeNonce, verifyLocation } from '../src/core/location/location.ts';
import { parseNetworks } from '../src/core/location/networks.ts';
import { startLocationService, type LocationService } from './location-server.ts';

let service: LocationService | null = null;
afterEach(async () => {
  await service?.close();
  service = null;
});

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { privateJwk: { ...(await exportJWK(privateKey)), kid }, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

async function start(networks: unknown[], extra: { trustHeader?: string; host?: string } = {}) {
  const keys = await keyPair('location-1');
  service = await startLocationService({
    signer: await importLocationSigner(keys.privateJwk),
    table: parseNetworks(networks),
    port: 0,
    log: false,
    ...extra,
  });
  return keys;
}

describe('reference location service', () => {
  it('places a loopback client by its networks range and signs for the nonce it was given', async () => {
    const keys = await start([{ cidr: '127.0.0.0/8', country: 'HK', zone: 'HK-OFFICE' }]);
    const nonce = makeNonce();
    const res = await fetch(`${service!.url}?nonce=${nonce}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jose');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const jws = await res.text();
    const v = await verifyLocation(jws, { keys: [keys.publicJwk], nonce, now: Date.now() });
    expect(v).toMatchObject({ ok: true, location: { country: 'HK', zone: 'HK-OFFICE' }, kid: 'location-1' });
    // No address in the answer, whatever its form.
    const payload = Buffer.from(jws.split('.')[1]!, 'base64url').toString();
    expect(Object.keys(JSON.parse(payload)).sort()).toEqual([
      'country',
      'expires',
      'issued',
      'nonce',
      'type',
      'version',
      'zone',
    ]);
    expect(payload).not.toMatch(/127\.0\.0\.1|::1/);
    expect(await verifyLocation(jws, { keys: [keys.publicJwk], nonce: makeNonce(), now: Date.now() })).toMatchObject({
      ok: false,
      code: 'wrong-nonce',
    });
  });

  it('places an IPv6 loopback client too', async () => {
    const keys = await start([{ cidr: '::1/128', country: 'US', zone: 'NY-OFFICE' }], { host: '::1' });
    const nonce = makeNonce();
    const res = await fetch(`${service!.url}?nonce=${nonce}`);
    expect(await verifyLocation(await res.text(), { keys: [keys.publicJwk], nonce, now: Date.now() })).toMatchObject({
      ok: true,
      location: { country: 'US', zone: 'NY-OFFICE' },
    });
  });

  it('trusts the CDN country header only when told to, and only for ISO codes', async () => {
    const keys = await start([{ cidr: '198.51.100.0/24', country: 'US' }], { trustHeader: 'CF-IPCountry' });
    const nonce = makeNonce();
    const placed = await fetch(`${service!.url}?nonce=${nonce}`, { headers: { 'CF-IPCountry': 'hk' } });
    expect(await verifyLocation(await placed.text(), { keys: [keys.publicJwk], nonce, now: Date.now() })).toMatchObject(
      { ok: true, location: { country: 'HK' } },
    );
    expect((await fetch(`${service!.url}?nonce=${nonce}`, { headers: { 'CF-IPCountry': 'T1' } })).status).toBe(404);
    expect((await fetch(`${service!.url}?nonce=${nonce}`, { headers: { 'X-Country': 'HK' } })).status).toBe(404);
    expect(service!.stats).toMatchObject({ answered: 1, unknown: 2 });
  });

  it('answers 404 for an address no range places, 400 without a nonce, 405 for other methods', async () => {
    await start([{ cidr: '198.51.100.0/24', country: 'US' }]);
    expect((await fetch(`${service!.url}?nonce=${makeNonce()}`)).status).toBe(404);
    expect((await fetch(service!.url)).status).toBe(400);
    expect((await fetch(`${service!.url}?nonce=short`)).status).toBe(400);
    expect((await fetch(service!.url, { method: 'POST' })).status).toBe(405);
  });

  it('refuses a public key, or a key without kid, at start', async () => {
    const keys = await keyPair('k');
    await expect(importLocationSigner(keys.publicJwk)).rejects.toThrow(/no private part/);
    await expect(importLocationSigner({ ...keys.privateJwk, kid: undefined })).rejects.toThrow(/kid/);
  });

  it('npm run location-service names a bad networks file and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'location-'));
    try {
      const keys = await keyPair('k');
      writeFileSync(join(dir, 'k.private.jwk'), JSON.stringify(keys.privateJwk));
      writeFileSync(join(dir, 'networks.json'), JSON.stringify([{ cidr: '10.0.0.0/8', country: 'UK' }]));
      const run = promisify(execFile)('node', [
        'scripts/run-ts.mjs',
        'scripts/location-service.ts',
        '--key',
        join(dir, 'k.private.jwk'),
        '--networks',
        join(dir, 'networks.json'),
        '--port',
        '0',
      ]);
      await expect(run).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/networks\[0\]: "country".*did you mean "GB"/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
