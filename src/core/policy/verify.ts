/**
 * Verification of the signed policy (docs/threat-model.md). Pure (WebCrypto through `jose`, no extension API),
 * so the service worker and the CLI run exactly the same checks.
 */
import { base64url, flattenedVerify, importJWK, type JWK } from 'jose';
import { parseStrictJson } from './strict-json.ts';
import { formatIssues, parsePolicy, POLICY_JWS_TYP, type Policy } from './policy-schema.ts';

/** Only these; `none` and HMAC are never accepted (an HMAC "keyed" with a public key is forgeable). */
export const ALLOWED_ALGS = ['EdDSA', 'ES256'] as const;
export type SigningAlg = (typeof ALLOWED_ALGS)[number];
export const MAX_POLICY_BYTES = 5 * 1024 * 1024;
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface PublicJwk {
  kid: string;
  kty: 'OKP' | 'EC';
  crv: 'Ed25519' | 'P-256';
  x: string;
  y?: string;
  [k: string]: unknown;
}

/** Why a document was refused; stable codes for the popup, the audit trail and tests. */
export type RefusalCode =
  | 'too-large'
  | 'malformed-jws'
  | 'bad-header'
  | 'alg-not-allowed'
  | 'untrusted-key'
  | 'bad-signature'
  | 'threshold-not-met'
  | 'bad-payload'
  | 'invalid-policy'
  | 'not-yet-valid'
  | 'expired'
  | 'rollback'
  | 'no-trusted-keys'
  /** A signed exceptions document (docs/compliance.md#signed-exceptions) that does not match its schema. */
  | 'invalid-exceptions';

export type VerifyResult =
  | { ok: true; policy: Policy; payloadText: string; payloadHash: string; signers: string[] }
  | { ok: false; code: RefusalCode; message: string };

export interface VerifyOptions {
  trustedKeys: readonly unknown[];
  threshold?: number;
  /** ms since epoch */
  now: number;
  /** The policy in force, for rollback protection. */
  current?: { serial: number; payloadHash: string } | null;
  /** The header `typ` to require. */
  typ?: string;
}

const fail = (code: RefusalCode, message: string): VerifyResult => ({ ok: false, code, message });

/** Check one managed `trustedKeys` entry; returns an error message or null. */
export function checkTrustedKey(k: unknown): string | null {
  if (!k || typeof k !== 'object') return 'a trusted key must be a JWK object';
  const j = k as Record<string, unknown>;
  if (typeof j.kid !== 'string' || !j.kid) return 'a trusted key needs a "kid"';
  if ('d' in j) return `trusted key "${j.kid}" contains a private part ("d"); publish only the public key`;
  if (j.kty === 'OKP' && j.crv === 'Ed25519' && typeof j.x === 'string') return null;
  if (j.kty === 'EC' && j.crv === 'P-256' && typeof j.x === 'string' && typeof j.y === 'string') return null;
  return `trusted key "${j.kid}" must be Ed25519 (kty OKP, crv Ed25519) or P-256 (kty EC, crv P-256)`;
}

function algForKey(k: PublicJwk): SigningAlg {
  return k.kty === 'OKP' ? 'EdDSA' : 'ES256';
}

/** The key material itself: two `kid`s for one key must not count as two signers. */
function keyIdentity(k: PublicJwk): string {
  return `${k.kty}|${k.crv}|${k.x}|${k.y ?? ''}`;
}

/** UTF-8 length without allocating the encoded bytes. */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** True when the document is over `MAX_POLICY_BYTES` in UTF-8 (endless-data attack). */
export function isOversized(text: string): boolean {
  // UTF-8 never has fewer bytes than UTF-16 code units, so the cheap test settles most cases.
  return text.length > MAX_POLICY_BYTES || utf8Length(text) > MAX_POLICY_BYTES;
}

/** SHA-256 of a string as lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

interface SignatureEntry {
  protected: string;
  signature: string;
}

/** Split compact or general-JSON serialization into (payload, signatures); unprotected headers are dropped. */
function splitJws(text: string): { payload: string; signatures: SignatureEntry[] } | string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    // Strict: with duplicate "payload" keys, two JSON readers could verify different documents.
    const parsed = parseStrictJson(trimmed);
    if (!parsed.ok) return `the document starts with "{" but is not acceptable JSON: ${parsed.message}`;
    const doc = parsed.value;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return 'the JSON serialization must be an object';
    const d = doc as { payload?: unknown; signatures?: unknown; protected?: unknown; signature?: unknown };
    if (typeof d.payload !== 'string') return 'JSON serialization without a "payload" string';
    // Flattened serialization is one signature; general has an array.
    const list = Array.isArray(d.signatures) ? d.signatures : d.signature !== undefined ? [d] : null;
    if (!list || list.length === 0) return 'JSON serialization without signatures';
    const signatures: SignatureEntry[] = [];
    for (const s of list as Array<Record<string, unknown>>) {
      if (typeof s?.protected !== 'string' || typeof s.signature !== 'string') {
        return 'every signature needs a protected header (an unprotected header alone is never trusted)';
      }
      signatures.push({ protected: s.protected, signature: s.signature });
    }
    return { payload: d.payload, signatures };
  }
  const parts = trimmed.split('.');
  if (parts.length !== 3) return 'expected a compact JWS (three dot-separated parts) or JSON serialization';
  return { payload: parts[1]!, signatures: [{ protected: parts[0]!, signature: parts[2]! }] };
}

function decodeHeader(b64: string): Record<string, unknown> | null {
  try {
    const parsed = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(b64)));
    const h = parsed.ok ? parsed.value : null;
    return h && typeof h === 'object' && !Array.isArray(h) ? (h as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Verify signatures (threshold of distinct trusted keys) and return the raw payload bytes. */
export async function verifySignatures(
  text: string,
  trustedKeys: readonly unknown[],
  threshold: number,
  typ: string,
): Promise<{ ok: true; payload: Uint8Array; signers: string[] } | { ok: false; code: RefusalCode; message: string }> {
  if (typeof text !== 'string') return { ok: false, code: 'malformed-jws', message: 'the document is not text' };
  if (isOversized(text))
    return { ok: false, code: 'too-large', message: `the document is larger than ${MAX_POLICY_BYTES} bytes` };
  // Several entries may share a kid (key rotation mistakes); each is tried.
  const keys = new Map<string, PublicJwk[]>();
  for (const k of Array.isArray(trustedKeys) ? trustedKeys : []) {
    if (checkTrustedKey(k) !== null) continue;
    const jwk = k as PublicJwk;
    keys.set(jwk.kid, [...(keys.get(jwk.kid) ?? []), jwk]);
  }
  if (keys.size === 0)
    return {
      ok: false,
      code: 'no-trusted-keys',
      message: 'no usable trusted key is configured (managed "trustedKeys")',
    };
  const split = splitJws(text);
  if (typeof split === 'string') return { ok: false, code: 'malformed-jws', message: split };

  // identity of the key material → kid, so one key listed under two kids counts once
  const signers = new Map<string, string>();
  let firstError: { code: RefusalCode; message: string } | null = null;
  let payload: Uint8Array | null = null;
  for (const sig of split.signatures) {
    const header = decodeHeader(sig.protected);
    const note = (code: RefusalCode, message: string) => {
      firstError ??= { code, message };
    };
    if (!header) {
      note('bad-header', 'the protected header is not a JSON object');
      continue;
    }
    if (typeof header.alg !== 'string' || !(ALLOWED_ALGS as readonly string[]).includes(header.alg)) {
      note('alg-not-allowed', `algorithm ${JSON.stringify(header.alg)} is not accepted (only EdDSA and ES256)`);
      continue;
    }
    if (header.typ !== typ) {
      note('bad-header', `header "typ" must be "${typ}", got ${JSON.stringify(header.typ)}`);
      continue;
    }
    // We understand no extension; `crit` (RFC 7515 §4.1.11) and `b64` (RFC 7797) change how the
    // signature must be read, so a header naming them is refused rather than half-understood.
    if ('crit' in header || 'b64' in header) {
      note(
        'bad-header',
        `header ${'crit' in header ? `"crit" ${JSON.stringify(header.crit)}` : '"b64"'} names an extension this verifier does not support`,
      );
      continue;
    }
    if (typeof header.kid !== 'string' || !keys.has(header.kid)) {
      note('untrusted-key', `signed by key ${JSON.stringify(header.kid)}, which is not among the trusted keys`);
      continue;
    }
    const candidates = keys.get(header.kid)!.filter((k) => algForKey(k) === header.alg);
    if (candidates.length === 0) {
      note(
        'alg-not-allowed',
        `key "${header.kid}" is ${keys.get(header.kid)![0]!.crv}; it cannot sign with ${header.alg}`,
      );
      continue;
    }
    let verified = false;
    let lastMessage = '';
    for (const jwk of candidates) {
      try {
        const key = await importJWK({ ...(jwk as JWK), alg: header.alg }, header.alg);
        // `jku`, `jwk`, `x5u` headers are never used: the key comes only from the trusted list above.
        const res = await flattenedVerify(
          { protected: sig.protected, payload: split.payload, signature: sig.signature },
          key,
          { algorithms: [header.alg] },
        );
        payload = res.payload;
        signers.set(keyIdentity(jwk), header.kid);
        verified = true;
        break;
      } catch (e) {
        lastMessage = e instanceof Error ? e.message : String(e);
      }
    }
    if (!verified) note('bad-signature', `signature by "${header.kid}" does not verify: ${lastMessage}`);
  }
  const kids = [...new Set(signers.values())];
  if (signers.size >= Math.max(1, threshold) && payload) return { ok: true, payload, signers: kids };
  if (signers.size > 0) {
    return {
      ok: false,
      code: 'threshold-not-met',
      message: `valid signatures from ${signers.size} distinct trusted key(s) (${kids.join(', ')}); ${threshold} required`,
    };
  }
  const err = firstError as { code: RefusalCode; message: string } | null;
  return { ok: false, code: err?.code ?? 'bad-signature', message: err?.message ?? 'no valid signature' };
}

/** Verify a signed policy end to end: signatures, payload, schema, freshness and rollback. */
export async function verifyPolicy(text: string, opts: VerifyOptions): Promise<VerifyResult> {
  try {
    return await verifyPolicyUnguarded(text, opts);
  } catch (e) {
    // Bad input never fails silently, and never takes the worker down: name it and refuse it.
    return fail('malformed-jws', `the document could not be verified: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function verifyPolicyUnguarded(text: string, opts: VerifyOptions): Promise<VerifyResult> {
  const sig = await verifySignatures(text, opts.trustedKeys, opts.threshold ?? 1, opts.typ ?? POLICY_JWS_TYP);
  if (!sig.ok) return sig;
  let payloadText: string;
  try {
    payloadText = new TextDecoder('utf-8', { fatal: true }).decode(sig.payload);
  } catch {
    return fail('bad-payload', 'the payload is not valid UTF-8');
  }
  const parsed = parseStrictJson(payloadText);
  if (!parsed.ok) return fail('bad-payload', `the payload is not acceptable JSON: ${parsed.message}`);
  const checked = parsePolicy(parsed.value);
  if (!checked.ok)
    return fail('invalid-policy', `the policy does not match the schema: ${formatIssues(checked.issues)}`);
  const policy = checked.policy;
  const payloadHash = await sha256Hex(payloadText);
  const fresh = checkFreshness(policy, payloadHash, opts.now, opts.current ?? null);
  if (fresh) return fresh;
  return { ok: true, policy, payloadText, payloadHash, signers: sig.signers };
}

/** Rollback, freeze and future-issue checks; returns the refusal or null. */
export function checkFreshness(
  policy: Policy,
  payloadHash: string,
  now: number,
  current: { serial: number; payloadHash: string } | null,
): VerifyResult | null {
  return checkDocumentFreshness(policy, payloadHash, now, current, 'policy');
}

/** The dated, serial-numbered part every signed document (policy, exceptions) shares. */
export interface SignedDocumentDates {
  serial: number;
  issued: string;
  expires: string;
}

/**
 * The freshness and rollback rules for any signed document (docs/threat-model.md#tuf-attacks): `issued` not in the
 * future (beyond the clock skew), `expires` not past, `serial` not below the one in force (equal
 * only with identical content). `what` names the document in messages.
 */
export function checkDocumentFreshness(
  doc: SignedDocumentDates,
  payloadHash: string,
  now: number,
  current: { serial: number; payloadHash: string } | null,
  what = 'policy',
): { ok: false; code: RefusalCode; message: string } | null {
  const issued = Date.parse(doc.issued);
  const expires = Date.parse(doc.expires);
  if (issued > now + CLOCK_SKEW_MS)
    return {
      ok: false,
      code: 'not-yet-valid',
      message: `issued ${doc.issued}, which is in the future (check the signing machine's clock)`,
    };
  if (expires <= now)
    return { ok: false, code: 'expired', message: `expired ${doc.expires}; publish a newly signed ${what}` };
  if (current) {
    if (doc.serial < current.serial) {
      return {
        ok: false,
        code: 'rollback',
        message: `serial ${doc.serial} is older than serial ${current.serial} in force (rollback refused)`,
      };
    }
    if (doc.serial === current.serial && payloadHash !== current.payloadHash) {
      return {
        ok: false,
        code: 'rollback',
        message: `serial ${doc.serial} is the one in force but the content differs; a changed ${what} needs a higher serial`,
      };
    }
  }
  return null;
}

/** A verified payload's bytes as strict UTF-8 JSON (no duplicate keys), or the `bad-payload` refusal. */
export function decodeSignedJson(
  payload: Uint8Array,
): { ok: true; text: string; value: unknown } | { ok: false; code: RefusalCode; message: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    return { ok: false, code: 'bad-payload', message: 'the payload is not valid UTF-8' };
  }
  const parsed = parseStrictJson(text);
  if (!parsed.ok)
    return { ok: false, code: 'bad-payload', message: `the payload is not acceptable JSON: ${parsed.message}` };
  return { ok: true, text, value: parsed.value };
}

/** A JWS taken apart without checking any signature (see `parseJwsUnverified`). */
export interface UnverifiedJws {
  /** The payload exactly as serialized (base64url). */
  payloadB64: string;
  payload: Uint8Array;
  /** Each signature with its decoded protected header (null when it is not a JSON object). */
  signatures: Array<{ protected: string; signature: string; header: Record<string, unknown> | null }>;
}

/**
 * Compact or JSON serialization taken apart with the verifier's own parser, NOT verified: for
 * tools that read or extend a signed document (`lint` of a .jws, `cosign`). Nothing read here may
 * be trusted until `verifySignatures` has accepted it.
 */
export function parseJwsUnverified(text: string): { ok: true; jws: UnverifiedJws } | { ok: false; message: string } {
  const split = splitJws(text);
  if (typeof split === 'string') return { ok: false, message: split };
  let payload: Uint8Array;
  try {
    payload = base64url.decode(split.payload);
  } catch {
    return { ok: false, message: 'the payload is not base64url' };
  }
  return {
    ok: true,
    jws: {
      payloadB64: split.payload,
      payload,
      signatures: split.signatures.map((s) => ({ ...s, header: decodeHeader(s.protected) })),
    },
  };
}
