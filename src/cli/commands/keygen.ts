/**
 * `keygen --alg EdDSA|ES256 --kid ID --out DIR`: a policy-signing key pair as JWK files.
 * `keygen --crx --out DIR`: the RSA key that signs the extension's CRX, which fixes its ID.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { ALLOWED_ALGS, checkTrustedKey, type SigningAlg } from '../../core/policy/verify.ts';
import { flag, optionalString, requiredString } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { generateCrxKeyPem, parseCrxKey } from '../crx.ts';

const KID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const keygen: Command = {
  name: 'keygen',
  summary: 'create a policy-signing key pair (private and public JWK), or with --crx a CRX signing key',
  help: `Usage: ai-geofence keygen --alg EdDSA|ES256 --kid ID --out DIR [--force]
       ai-geofence keygen --crx --out DIR [--kid NAME] [--force]

Creates a key pair for signing policies:
  DIR/<kid>.private.jwk   the private key (file mode 0600) — keep it offline, never publish it
  DIR/<kid>.public.jwk    the public key, to add to the managed "trustedKeys"

Flags:
  --alg EdDSA|ES256   EdDSA (Ed25519, recommended) or ES256 (P-256, for HSMs that lack Ed25519); default EdDSA
  --kid ID            key id written into both files and into every signature's header
                      (letters, digits, ".", "_", "-"; e.g. compliance-2026)
  --out DIR           directory to write to (created if missing)
  --force             overwrite existing key files

With --crx: an RSA-2048 private key (PEM, file mode 0600) for packing the extension yourself
(npm run package -- --crx-key DIR/<NAME>.pem --codebase URL), written to DIR/<NAME>.pem
(NAME default ai-geofence-crx). It prints the extension ID this key gives: pass that ID to
deploy-config --extension-id. Keep the key as long as the extension is deployed: a CRX signed
with another key has another ID, and browsers would treat it as another extension.

Exit codes: 0 written, 1 failure (e.g. files exist), 2 usage error.`,
  flags: {
    alg: { type: 'string' },
    kid: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    crx: { type: 'boolean' },
  },
  allowPositionals: false,
  async run(args, io) {
    if (flag(args, 'crx')) return writeCrxKey(args, io);
    const alg = optionalString(args, 'alg') ?? 'EdDSA';
    if (!(ALLOWED_ALGS as readonly string[]).includes(alg))
      throw usageError(`--alg must be EdDSA or ES256, got "${alg}"`);
    const kid = requiredString(args, 'kid', 'keygen');
    if (!KID_PATTERN.test(kid))
      throw usageError(`--kid "${kid}" must be 1-64 letters, digits, ".", "_" or "-" (it becomes a file name)`);
    const dir = requiredString(args, 'out', 'keygen');

    const privatePath = join(dir, `${kid}.private.jwk`);
    const publicPath = join(dir, `${kid}.public.jwk`);
    if (!flag(args, 'force')) {
      for (const p of [privatePath, publicPath]) {
        if (existsSync(p))
          throw new CliError(`"${p}" already exists; choose another --kid or pass --force to overwrite`);
      }
    }

    const { privateKey, publicKey } = await generateKeyPair(alg as SigningAlg, { extractable: true });
    const meta = { kid, alg, use: 'sig' };
    const privateJwk = { ...meta, ...(await exportJWK(privateKey)) };
    const publicJwk = { ...meta, ...(await exportJWK(publicKey)) };
    // Belt and braces: what we publish must pass the same check the extension applies to trustedKeys.
    const problem = checkTrustedKey(publicJwk);
    if (problem) throw new CliError(`generated public key is not usable: ${problem}`);

    try {
      mkdirSync(dir, { recursive: true });
      // mode applies only when the file is created; chmod covers --force over an existing file.
      writeFileSync(privatePath, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600 });
      chmodSync(privatePath, 0o600);
      writeFileSync(publicPath, `${JSON.stringify(publicJwk, null, 2)}\n`, { mode: 0o644 });
    } catch (e) {
      throw new CliError(`cannot write keys to "${dir}": ${(e as Error).message}`);
    }
    io.out(
      `Created ${alg} key "${kid}":\n  private: ${privatePath} (keep secret)\n  public:  ${publicPath} (add to trustedKeys)`,
    );
    return 0;
  },
};

/** `keygen --crx`: a PEM key for signing the CRX; prints the extension ID it gives. */
function writeCrxKey(args: Parameters<Command['run']>[0], io: Parameters<Command['run']>[1]): number {
  if (optionalString(args, 'alg') !== undefined)
    throw usageError('--alg is for policy-signing keys; a CRX key (--crx) is always RSA-2048');
  const name = optionalString(args, 'kid') ?? 'ai-geofence-crx';
  if (!KID_PATTERN.test(name))
    throw usageError(`--kid "${name}" must be 1-64 letters, digits, ".", "_" or "-" (it becomes a file name)`);
  const dir = requiredString(args, 'out', 'keygen');
  const path = join(dir, `${name}.pem`);
  if (!flag(args, 'force') && existsSync(path))
    throw new CliError(
      `"${path}" already exists; choose another --kid or pass --force to overwrite (a new key means a new extension ID)`,
    );
  const pem = generateCrxKeyPem();
  const { extensionId } = parseCrxKey(pem);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, pem, { mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (e) {
    throw new CliError(`cannot write the key to "${dir}": ${(e as Error).message}`);
  }
  io.out(
    `Created CRX signing key (RSA-2048):\n  private: ${path} (keep secret, keep for as long as the extension is deployed)\n  extension ID: ${extensionId}\nPack with: npm run package -- --crx-key ${path} --codebase https://…/\nDeploy with: deploy-config --extension-id ${extensionId} --update-url https://…/updates.xml`,
  );
  return 0;
}
