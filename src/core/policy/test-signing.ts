/** Test fixtures shared by the verification tests: signing keys and a minimal valid policy payload. */
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';

export type Signer = { kid: string; alg: 'EdDSA' | 'ES256'; privateKey: CryptoKey; publicJwk: JWK & { kid: string } };

/** A fresh key pair with its public JWK carrying `kid`. */
export async function makeSigner(alg: 'EdDSA' | 'ES256', kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

/** A valid serial-42 policy (HK blocks Claude), with `overrides` on top. */
export function payloadOf(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'ai-geofence-policy',
    version: 1,
    serial: 42,
    issued: '2026-11-20T00:00:00Z',
    expires: '2026-12-20T00:00:00Z',
    offices: { HK: { name: 'Hong Kong', jurisdiction: 'HK' } },
    rules: [{ id: 'HK-CLAUDE', tools: ['claude'], offices: ['HK'], action: 'block', notice: { title: 'Do not use' } }],
    ...overrides,
  };
}
