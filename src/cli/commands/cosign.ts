/** `cosign SIGNED.jws --key PRIVATE.jwk --out OUT.jws`: add one officer's signature to a signed document. */
import { base64url, FlattenedSign, flattenedVerify, importJWK, type JWK } from 'jose';
import { EXCEPTIONS_JWS_TYP, parseExceptions } from '../../core/exceptions/exceptions.ts';
import { formatIssues, parsePolicy, POLICY_JWS_TYP } from '../../core/policy/policy-schema.ts';
import {
  ALLOWED_ALGS,
  checkDocumentFreshness,
  decodeSignedJson,
  parseJwsUnverified,
  verifySignatures,
  type UnverifiedJws,
} from '../../core/policy/verify.ts';
import { optionalInstant, optionalInt, optionalString, requiredString, stringList } from '../args.ts';
import type { Command } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { readPrivateKey, readText, readTrustedKeys, type PrivateKeyFile } from '../files.ts';
import { importPrivate, writeOutput } from '../signing.ts';

/** The documents a cosignature may be added to, by header `typ`. */
const DOCUMENTS: Record<
  string,
  { what: string; check: (value: unknown) => { serial: number; issued: string; expires: string } | string }
> = {
  [POLICY_JWS_TYP]: {
    what: 'policy',
    check: (value) => {
      const p = parsePolicy(value);
      return p.ok ? p.policy : `the payload is not a valid policy: ${formatIssues(p.issues, 3)}`;
    },
  },
  [EXCEPTIONS_JWS_TYP]: {
    what: 'exceptions document',
    check: (value) => {
      const p = parseExceptions(value);
      return p.ok ? p.doc : `the payload is not a valid exceptions document: ${formatIssues(p.issues, 3)}`;
    },
  },
};

export const cosign: Command = {
  name: 'cosign',
  summary: 'add your signature to an already signed policy (two officers, two machines)',
  help: `Usage: ai-geofence cosign SIGNED.jws --key PRIVATE.jwk --out OUT.jws [--keys TRUSTED.json [--threshold N]] [--at ISO]

For signatureThreshold 2 or more without one person holding every private key: the first officer
signs ("ai-geofence sign"), the second adds their signature on their own machine with cosign, and
so on. Reads a signed policy (compact or JSON serialization; a signed exceptions document works
too), checks it, and writes it in general JSON serialization with one more signature. The payload
is kept byte for byte: every earlier signature stays valid.

Refused: a malformed JWS; a header that is not {"alg": "EdDSA"|"ES256", "kid", "typ"} of a policy
or exceptions document; a payload that is not a valid policy (or exceptions document), or has
expired; a key that has already signed it (the same kid, or the same key under another kid: a
threshold counts distinct keys). Keys named inside the document are never used.

Flags:
  --key FILE    your private JWK made by "keygen" (one)
  --out FILE    where to write the JWS ("-" for stdout)
  --keys FILE   trusted public keys: check that every existing signature verifies before adding
                yours (recommended; without it they are NOT checked, and cosign says so)
  --threshold N with --keys: also require that the output reaches N distinct trusted signers
  --at ISO      check expiry as of this instant instead of now

Exit codes: 0 cosigned, 1 refused document or key, 2 usage error.`,
  flags: {
    key: { type: 'string', multiple: true },
    out: { type: 'string' },
    keys: { type: 'string' },
    threshold: { type: 'string' },
    at: { type: 'string' },
  },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length !== 1)
      throw usageError('"cosign" needs exactly one SIGNED.jws (see: ai-geofence cosign --help)');
    const file = args.positionals[0]!;
    const keyPaths = stringList(args, 'key');
    if (keyPaths.length !== 1)
      throw usageError(
        '"cosign" adds one signature: pass exactly one --key PRIVATE.jwk (see: ai-geofence cosign --help)',
      );
    const out = requiredString(args, 'out', 'cosign');
    const now = optionalInstant(args, 'at', Date.now());
    const threshold = optionalInt(args, 'threshold', 1, 10);
    const keysPath = optionalString(args, 'keys');
    if (threshold !== undefined && keysPath === undefined)
      throw usageError(
        '--threshold needs --keys TRUSTED.json to count trusted signers (see: ai-geofence cosign --help)',
      );

    const text = readText(file, 'signed document');
    const split = parseJwsUnverified(text);
    if (!split.ok) throw new CliError(`${file}: not a signed document (JWS): ${split.message}`);
    const jws = split.jws;
    const typ = documentType(file, jws);
    const doc = checkPayload(file, jws, typ, now, io.err);
    const key = readPrivateKey(keyPaths[0]!);
    await refuseRepeatSigner(file, jws, key);

    const trusted = keysPath === undefined ? undefined : readTrustedKeys(keysPath, io.err);
    if (trusted) {
      // Every signature already there must be by a distinct trusted key, or the document is not what it claims.
      const existing = await verifySignatures(text, trusted, jws.signatures.length, typ);
      if (!existing.ok)
        throw new CliError(
          `${file}: refusing to cosign: the existing signatures do not all verify with --keys (${existing.code}): ${existing.message}`,
        );
    } else {
      io.err(
        `note: the existing signature${jws.signatures.length === 1 ? ' was' : 's were'} NOT checked (pass --keys TRUSTED.json to check them before adding yours)`,
      );
    }

    const signed = await new FlattenedSign(jws.payload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
      .sign(await importPrivate(key));
    if (signed.payload !== jws.payloadB64) throw new CliError('internal error: the payload changed while signing');
    const output = JSON.stringify(
      {
        payload: jws.payloadB64,
        // Unprotected headers are dropped: verifiers never trust them, so they only mislead readers.
        signatures: [
          ...jws.signatures.map((s) => ({ protected: s.protected, signature: s.signature })),
          { protected: signed.protected, signature: signed.signature },
        ],
      },
      null,
      2,
    );
    // Prove the new signature verifies with the extension's own code before anyone publishes it.
    const mine = await verifySignatures(output, [key.publicJwk], 1, typ);
    if (!mine.ok) throw new CliError(`internal error: the added signature does not verify (${mine.message})`);
    let total = '';
    if (trusted) {
      const all = await verifySignatures(output, trusted, threshold ?? 1, typ);
      if (!all.ok)
        throw new CliError(
          `${file}: the cosigned document does not reach --threshold ${threshold ?? 1} with --keys (${all.code}): ${all.message}; nothing written`,
        );
      total = `; ${all.signers.length} distinct trusted signer${all.signers.length === 1 ? '' : 's'}: ${all.signers.join(', ')}`;
    }
    if (writeOutput(output, out, (t) => io.out(t))) return 0;
    const kids = [...jws.signatures.map((s) => String(s.header?.kid)), key.kid];
    io.out(
      `Cosigned ${file} (${DOCUMENTS[typ]!.what} serial ${doc.serial}) with ${key.kid} → ${out} (general JSON serialization, ${kids.length} signatures: ${kids.join(', ')}${total})`,
    );
    return 0;
  },
};

/** Ed25519 signatures and JWS ES256 signatures (R || S, RFC 7518 §3.4) are both 64 bytes. */
const SIGNATURE_BYTES = 64;

function signatureLength(b64: string): number {
  try {
    return base64url.decode(b64).length;
  } catch {
    return -1;
  }
}

/** The header `typ` every existing signature shares; refuses headers the browsers would refuse. */
function documentType(file: string, jws: UnverifiedJws): string {
  const types = new Set<string>();
  jws.signatures.forEach((s, i) => {
    const where = `${file}: signature ${i + 1}`;
    const h = s.header;
    if (!h) throw new CliError(`${where}: the protected header is not a JSON object`);
    if (typeof h.alg !== 'string' || !(ALLOWED_ALGS as readonly string[]).includes(h.alg))
      throw new CliError(`${where}: algorithm ${JSON.stringify(h.alg)} is not accepted (only EdDSA and ES256)`);
    if (typeof h.kid !== 'string' || h.kid === '') throw new CliError(`${where}: the protected header has no "kid"`);
    if (typeof h.typ !== 'string' || !Object.hasOwn(DOCUMENTS, h.typ))
      throw new CliError(
        `${where}: header "typ" ${JSON.stringify(h.typ)} is neither "${POLICY_JWS_TYP}" nor "${EXCEPTIONS_JWS_TYP}"`,
      );
    if ('crit' in h || 'b64' in h)
      throw new CliError(`${where}: the header names an extension ("crit" or "b64") browsers refuse`);
    // Without --keys a signature cannot be verified, but a truncated or damaged one can still be seen.
    if (signatureLength(s.signature) !== SIGNATURE_BYTES)
      throw new CliError(
        `${where}: the signature is not ${SIGNATURE_BYTES} bytes of base64url, as every ${h.alg} signature is; the file is damaged`,
      );
    types.add(h.typ);
  });
  if (types.size !== 1)
    throw new CliError(`${file}: the signatures disagree on the header "typ" (${[...types].join(', ')})`);
  return [...types][0]!;
}

/** The payload must be what it claims, readable by browsers, and not expired. */
function checkPayload(file: string, jws: UnverifiedJws, typ: string, now: number, warn: (m: string) => void) {
  // Re-encoding must give the same text, or the signature we add would cover other bytes.
  if (base64url.encode(jws.payload) !== jws.payloadB64)
    throw new CliError(`${file}: the payload is not in canonical base64url; re-sign it with "ai-geofence sign"`);
  const decoded = decodeSignedJson(jws.payload);
  if (!decoded.ok) throw new CliError(`${file}: ${decoded.message}`);
  const { what, check } = DOCUMENTS[typ]!;
  const doc = check(decoded.value);
  if (typeof doc === 'string') throw new CliError(`${file}: refusing to cosign: ${doc}`);
  const fresh = checkDocumentFreshness(doc, '', now, null, what);
  if (fresh?.code === 'expired') throw new CliError(`${file}: refusing to cosign: ${fresh.message}`);
  if (fresh) warn(`${file}: warning: ${fresh.message}; browsers will refuse it until then`);
  return doc;
}

/** A threshold counts distinct keys: a second signature by the same key must never look like a second officer. */
async function refuseRepeatSigner(file: string, jws: UnverifiedJws, key: PrivateKeyFile): Promise<void> {
  const publicKey = await importJWK({ ...(key.publicJwk as JWK), alg: key.alg }, key.alg);
  for (const s of jws.signatures) {
    if (s.header?.kid === key.kid)
      throw new CliError(
        `${file}: key "${key.kid}" has already signed it; a second signature must come from another officer's key`,
      );
    if (s.header?.alg !== key.alg) continue;
    try {
      await flattenedVerify({ protected: s.protected, payload: jws.payloadB64, signature: s.signature }, publicKey, {
        algorithms: [key.alg],
      });
    } catch {
      continue; // not this key
    }
    throw new CliError(
      `${file}: this key has already signed it (as kid "${String(s.header.kid)}"); a second signature must come from another officer's key`,
    );
  }
}
