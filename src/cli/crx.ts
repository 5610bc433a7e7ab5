/**
 * CRX3 packing for off-store force-install with IT's own key: the package format Chromium verifies
 * (components/crx_file/crx3.proto, crx_verifier.cc), the extension ID that key yields, and the
 * update manifest (`updates.xml`) that Chrome and Edge poll.
 *
 * Written here rather than with the npm `crx`/`crx3` packages: both zip the directory themselves
 * (archiver or yazl stamp the current time, which breaks the reproducible zip of scripts/package.mjs),
 * `crx` signs through node-rsa, and the format is a 12-byte preamble plus three protobuf messages
 * that node:crypto signs directly.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { checkFetchUrl } from '../core/config/managed-config.ts';

/** "Cr24", the CRX magic number. */
const CRX_MAGIC = Buffer.from('Cr24', 'latin1');
const CRX_VERSION = 3;
/** Prefix of the signed bytes (crx3.proto: "CRX3 SignedData\x00"). */
const SIGNATURE_CONTEXT = Buffer.from('CRX3 SignedData\x00', 'latin1');

/** Protobuf field numbers of crx3.proto. */
const FIELD = {
  /** CrxFileHeader.sha256_with_rsa (repeated AsymmetricKeyProof). */
  sha256WithRsa: 2,
  /** CrxFileHeader.sha256_with_ecdsa. */
  sha256WithEcdsa: 3,
  /** CrxFileHeader.signed_header_data (a serialized SignedData). */
  signedHeaderData: 10000,
  /** AsymmetricKeyProof.public_key (DER SubjectPublicKeyInfo) and .signature. */
  publicKey: 1,
  signature: 2,
  /** SignedData.crx_id: the first 16 bytes of SHA-256(SubjectPublicKeyInfo). */
  crxId: 1,
} as const;

/** A CRX signing key as `--crx-key` takes it, with what it yields. */
export interface CrxKey {
  privateKey: KeyObject;
  /** DER SubjectPublicKeyInfo of the public half. */
  spki: Buffer;
  kind: 'rsa' | 'ecdsa';
  /** The extension ID Chromium assigns to a CRX signed with this key. */
  extensionId: string;
}

/** Chromium's ID: SHA-256 of the DER SubjectPublicKeyInfo, first 32 hex digits mapped 0-f → a-p. */
export function extensionIdFromSpki(spki: Uint8Array): string {
  const hex = createHash('sha256').update(spki).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
}

/**
 * Read a PEM private key for CRX signing: RSA of at least 2048 bits (what `chrome --pack-extension`
 * makes) or ECDSA P-256, the two proofs crx3.proto defines. Throws a one-line Error otherwise.
 */
export function parseCrxKey(pem: string): CrxKey {
  if (/^\s*[{[]/.test(pem))
    throw new Error(
      'this is a JSON key (a policy-signing JWK?); a CRX key is a PEM file: make one with "keygen --crx"',
    );
  if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
    if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem))
      throw new Error('this is a public key; signing a CRX needs the private key (PEM)');
    throw new Error('not a PEM private key (expected "-----BEGIN PRIVATE KEY-----")');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (e) {
    throw new Error(`cannot read the private key: ${(e as Error).message}`);
  }
  const details = privateKey.asymmetricKeyDetails ?? {};
  let kind: CrxKey['kind'];
  if (privateKey.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < 2048)
      throw new Error(`RSA key of ${details.modulusLength} bits; Chromium needs at least 2048`);
    kind = 'rsa';
  } else if (privateKey.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') {
    kind = 'ecdsa';
  } else {
    throw new Error(
      `a ${privateKey.asymmetricKeyType}${details.namedCurve ? ` ${details.namedCurve}` : ''} key cannot sign a CRX: use RSA (2048 bits or more) or ECDSA P-256`,
    );
  }
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return { privateKey, spki, kind, extensionId: extensionIdFromSpki(spki) };
}

/** A new RSA-2048 CRX key as PKCS#8 PEM (the kind `chrome --pack-extension` generates). */
export function generateCrxKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A length-delimited protobuf field (wire type 2). */
function lengthDelimited(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([varint(field * 8 + 2), varint(bytes.length), bytes]);
}

/** Little-endian uint32. */
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

/**
 * A CRX3 file: the zip signed with `key`. The signature covers "CRX3 SignedData\x00", the length of
 * the signed header data, that data (which names the CRX ID) and the whole zip, so neither the ID
 * nor a byte of the archive can be swapped.
 */
export function packCrx3(zip: Uint8Array, key: CrxKey): Buffer {
  const crxId = createHash('sha256').update(key.spki).digest().subarray(0, 16);
  const signedHeaderData = lengthDelimited(FIELD.crxId, crxId);
  const signedBytes = Buffer.concat([SIGNATURE_CONTEXT, u32(signedHeaderData.length), signedHeaderData, zip]);
  // ECDSA signatures in DER, as crypto::SignatureVerifier expects; RSA in PKCS#1 v1.5.
  const signature = sign('sha256', signedBytes, key.privateKey);
  const proof = Buffer.concat([
    lengthDelimited(FIELD.publicKey, key.spki),
    lengthDelimited(FIELD.signature, signature),
  ]);
  const header = Buffer.concat([
    lengthDelimited(key.kind === 'rsa' ? FIELD.sha256WithRsa : FIELD.sha256WithEcdsa, proof),
    lengthDelimited(FIELD.signedHeaderData, signedHeaderData),
  ]);
  return Buffer.concat([CRX_MAGIC, u32(CRX_VERSION), u32(header.length), header, zip]);
}

function xmlAttribute(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;')
    .replace(/"/g, '&quot;');
}

/** The update manifest (gupdate protocol 2.0) that points Chrome and Edge at one CRX version. */
export function renderUpdatesXml(app: { extensionId: string; version: string; codebase: string }): string {
  return [
    "<?xml version='1.0' encoding='UTF-8'?>",
    "<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>",
    `  <app appid='${xmlAttribute(app.extensionId)}'>`,
    `    <updatecheck codebase='${xmlAttribute(app.codebase)}' version='${xmlAttribute(app.version)}' />`,
    '  </app>',
    '</gupdate>',
    '',
  ].join('\n');
}

/**
 * Where the CRX will be served: `--codebase` is either the CRX's own URL (ending in .crx) or the
 * folder it is published in (ending in /). Anything else is ambiguous and refused.
 */
export function crxCodebase(codebase: string, crxFileName: string): string {
  const problem = checkFetchUrl(codebase);
  if (problem) throw new Error(`--codebase ${problem}`);
  const url = new URL(codebase);
  if (url.search || url.hash) throw new Error(`--codebase must not carry a query or fragment, got "${codebase}"`);
  if (url.pathname.endsWith('.crx')) return url.href;
  if (url.pathname.endsWith('/')) return new URL(crxFileName, url).href;
  throw new Error(`--codebase must be the .crx URL or the folder URL ending in "/", got "${codebase}"`);
}
