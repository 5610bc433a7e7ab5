/** Signing shared by `sign` and `sign-exception`: one JWS writer, checked with the browsers' own verifier. */
import { writeFileSync } from 'node:fs';
import { CompactSign, GeneralSign, importJWK } from 'jose';
import { verifySignatures } from '../core/policy/verify.ts';
import { optionalInstant, requiredString, stringList, type ParsedArgs } from './args.ts';
import { CliError, usageError } from './errors.ts';
import { readPrivateKey, type PrivateKeyFile } from './files.ts';

/** The arguments `sign` and `sign-exception` share: one document, distinct --key files, --out, --at. */
export function signingArgs(args: ParsedArgs, command: string, documentName: string) {
  const help = `(see: ai-geofence ${command} --help)`;
  if (args.positionals.length !== 1) throw usageError(`"${command}" needs exactly one ${documentName} ${help}`);
  const file = args.positionals[0]!;
  const keyPaths = stringList(args, 'key');
  if (keyPaths.length === 0) throw usageError(`"${command}" needs at least one --key PRIVATE.jwk ${help}`);
  const out = requiredString(args, 'out', command);
  const now = optionalInstant(args, 'at', Date.now());
  const keys: PrivateKeyFile[] = keyPaths.map(readPrivateKey);
  const kids = new Set<string>();
  for (const k of keys) {
    // A threshold counts distinct keys; two signatures by one kid would only look like more.
    if (kids.has(k.kid))
      throw new CliError(`two --key files have kid "${k.kid}"; each signature must come from a different key`);
    kids.add(k.kid);
  }
  return { file, out, now, keys, kids };
}

/** The private key as a jose key; a CliError naming the file when it cannot be used. */
export async function importPrivate(k: PrivateKeyFile) {
  try {
    return await importJWK({ ...k.jwk, alg: k.alg }, k.alg);
  } catch (e) {
    throw new CliError(`cannot use private key "${k.path}": ${(e as Error).message}`);
  }
}

/** Sign `bytes` (compact with one key, general JSON with several), verify the result, write it to `out` ('-' = stdout). */
export async function signAndWrite(
  bytes: Uint8Array,
  keys: readonly PrivateKeyFile[],
  typ: string,
  out: string,
  writeStdout: (text: string) => void,
): Promise<{ form: string; toStdout: boolean }> {
  let jws: string;
  if (keys.length === 1) {
    const k = keys[0]!;
    jws = await new CompactSign(bytes).setProtectedHeader({ alg: k.alg, kid: k.kid, typ }).sign(await importPrivate(k));
  } else {
    const signer = new GeneralSign(bytes);
    for (const k of keys)
      signer.addSignature(await importPrivate(k)).setProtectedHeader({ alg: k.alg, kid: k.kid, typ });
    jws = JSON.stringify(await signer.sign(), null, 2);
  }
  // Prove the output verifies with the same code the extension runs before anyone publishes it.
  const check = await verifySignatures(
    jws,
    keys.map((k) => k.publicJwk),
    keys.length,
    typ,
  );
  if (!check.ok) throw new CliError(`internal error: the signed output does not verify (${check.message})`);
  if (writeOutput(jws, out, writeStdout)) return { form: '', toStdout: true };
  return {
    form: keys.length === 1 ? 'compact serialization' : `general JSON serialization, ${keys.length} signatures`,
    toStdout: false,
  };
}

/** Write a signed document to `out`, or to stdout for '-'; true when it went to stdout. */
export function writeOutput(text: string, out: string, writeStdout: (text: string) => void): boolean {
  if (out === '-') {
    writeStdout(text);
    return true;
  }
  try {
    writeFileSync(out, `${text}\n`);
  } catch (e) {
    throw new CliError(`cannot write "${out}": ${(e as Error).message}`);
  }
  return false;
}
