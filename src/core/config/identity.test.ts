import { createHash, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EXTENSION_ID, GECKO_ID, MANIFEST_KEY } from './identity.ts';

/** Chrome's derivation: SHA-256 of the DER key, first 32 hex digits, each digit 0-f mapped to a-p. */
function extensionIdFromKey(base64Der: string): string {
  const hex = createHash('sha256').update(Buffer.from(base64Der, 'base64')).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
}

describe('extension identity', () => {
  it('EXTENSION_ID is the ID Chrome derives from MANIFEST_KEY', () => {
    expect(extensionIdFromKey(MANIFEST_KEY)).toBe(EXTENSION_ID);
    expect(EXTENSION_ID).toMatch(/^[a-p]{32}$/);
  });

  it('MANIFEST_KEY is an RSA-2048 SubjectPublicKeyInfo', () => {
    const key = createPublicKey({ key: Buffer.from(MANIFEST_KEY, 'base64'), format: 'der', type: 'spki' });
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('GECKO_ID is the contract value', () => {
    expect(GECKO_ID).toBe('ai-geofence@bank.example');
  });
});
