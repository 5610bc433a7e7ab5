/** Reading the CLI's input files (policies, JWKs, trusted key lists) with one-line errors. */
import { readFileSync } from 'node:fs';
import { parseStrictJson } from '../core/policy/strict-json.ts';
import { checkTrustedKey, type PublicJwk, type SigningAlg } from '../core/policy/verify.ts';
import { CliError } from './errors.ts';

/** The file's bytes; a CliError naming the file when it cannot be read. */
export function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new CliError(`${what} "${path}" does not exist`);
    if (code === 'EISDIR') throw new CliError(`${what} "${path}" is a directory, expected a file`);
    throw new CliError(`cannot read ${what} "${path}": ${(e as Error).message}`);
  }
}

/** The file as UTF-8 text; invalid UTF-8 is an error rather than silently replaced characters. */
export function readText(path: string, what: string): string {
  const bytes = readBytes(path, what);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`${what} "${path}" is not valid UTF-8`);
  }
}

/** Parse JSON the way the extension does (duplicate keys refused). */
export function readJson(path: string, what: string): unknown {
  const parsed = parseStrictJson(readText(path, what));
  if (!parsed.ok) throw new CliError(`${what} "${path}" is not valid JSON: ${parsed.message}`);
  return parsed.value;
}

/** Load TRUSTED.json: a JSON array of public JWKs, or a JWKS `{"keys": [...]}`; every key checked. */
export function readTrustedKeys(path: string, warn: (message: string) => void, flag = '--keys'): PublicJwk[] {
  const doc = readJson(path, 'trusted keys file');
  const list = Array.isArray(doc)
    ? doc
    : doc && typeof doc === 'object' && Array.isArray((doc as { keys?: unknown }).keys)
      ? (doc as { keys: unknown[] }).keys
      : null;
  if (!list) {
    const single = doc && typeof doc === 'object' ? (doc as Record<string, unknown>) : null;
    if (single && 'd' in single)
      throw new CliError(
        `"${path}" is a private key; ${flag} takes the trusted public keys (a JSON array of public JWKs)`,
      );
    if (single && 'kty' in single)
      throw new CliError(`"${path}" is a single JWK; ${flag} takes a JSON array of public JWKs, e.g. [ …the key… ]`);
    throw new CliError(`trusted keys file "${path}" must be a JSON array of public JWKs or {"keys": [...]}`);
  }
  if (list.length === 0) throw new CliError(`trusted keys file "${path}" contains no keys`);
  const seen = new Set<string>();
  list.forEach((k, i) => {
    const problem = checkTrustedKey(k);
    if (problem) throw new CliError(`trusted keys file "${path}", key ${i + 1}: ${problem}`);
    const kid = (k as PublicJwk).kid;
    // The extension tolerates this (it tries each key), so only warn: verify must agree with it.
    if (seen.has(kid))
      warn(`warning: trusted keys file "${path}" lists kid "${kid}" more than once; give every key its own kid`);
    seen.add(kid);
  });
  return list as PublicJwk[];
}

export interface PrivateKeyFile {
  path: string;
  kid: string;
  alg: SigningAlg;
  /** The full private JWK. */
  jwk: Record<string, unknown>;
  /** Its public part, as it would appear in trustedKeys. */
  publicJwk: PublicJwk;
}

/** Load a private JWK written by `keygen` (Ed25519 or P-256, with `kid` and `d`). */
export function readPrivateKey(path: string): PrivateKeyFile {
  const doc = readJson(path, 'private key');
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new CliError(`private key "${path}" must be a JWK object`);
  const jwk = doc as Record<string, unknown>;
  if (typeof jwk.d !== 'string')
    throw new CliError(`"${path}" has no private part ("d"); pass the .private.jwk file to --key`);
  const { d: _d, ...pub } = jwk;
  const problem = checkTrustedKey(pub);
  if (problem) throw new CliError(`private key "${path}": ${problem.replace('trusted key', 'key')}`);
  const publicJwk = pub as PublicJwk;
  const alg: SigningAlg = publicJwk.kty === 'OKP' ? 'EdDSA' : 'ES256';
  if (typeof jwk.alg === 'string' && jwk.alg !== alg)
    throw new CliError(`private key "${path}" says alg "${jwk.alg}" but is a ${publicJwk.crv} key (${alg})`);
  return { path, kid: publicJwk.kid, alg, jwk, publicJwk };
}
