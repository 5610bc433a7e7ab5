/** Load a policy for `explain`: a plain JSON policy, or a signed JWS verified against trusted keys. */
import { formatIssues, parsePolicy, POLICY_JWS_TYP, type Policy } from '../core/policy/policy-schema.ts';
import { parseStrictJson } from '../core/policy/strict-json.ts';
import {
  checkFreshness,
  decodeSignedJson,
  parseJwsUnverified,
  verifyPolicy,
  verifySignatures,
  type PublicJwk,
} from '../core/policy/verify.ts';
import { CliError, usageError } from './errors.ts';
import { readText, readTrustedKeys } from './files.ts';

export interface LoadedPolicy {
  policy: Policy;
  /** Kids of the keys that signed it; null for an unsigned JSON policy. */
  signers: string[] | null;
}

/** True when the text is a JWS (compact, or a JSON serialization with payload and signatures). */
export function looksLikeJws(text: string, json: unknown): boolean {
  if (json === undefined) return /^[\w-]+\.[\w-]*\.[\w-]+$/.test(text.trim());
  if (!json || typeof json !== 'object' || Array.isArray(json)) return false;
  const o = json as Record<string, unknown>;
  return typeof o.payload === 'string' && ('signatures' in o || 'signature' in o);
}

/** Read `path`; a JWS needs `keysPath` and is verified at `now` exactly as the extension would. */
export async function loadPolicy(
  path: string,
  keysPath: string | undefined,
  threshold: number,
  now: number,
  warn: (msg: string) => void,
): Promise<LoadedPolicy> {
  const text = readText(path, 'policy');
  const parsed = parseStrictJson(text);
  const json = parsed.ok ? parsed.value : undefined;

  if (looksLikeJws(text, json)) {
    if (!keysPath) throw usageError(`"${path}" is a signed policy: pass --keys TRUSTED.json to verify it first`);
    const trustedKeys = readTrustedKeys(keysPath, warn);
    const result = await verifyPolicy(text, { trustedKeys, threshold, now });
    if (!result.ok) throw new CliError(`${path}: refused (${result.code}): ${result.message}`);
    return { policy: result.policy, signers: result.signers };
  }

  if (!parsed.ok) throw new CliError(`policy "${path}" is neither JSON nor a JWS: ${parsed.message}`);
  const checked = parsePolicy(json);
  if (!checked.ok)
    throw new CliError(
      `policy "${path}" is invalid: ${formatIssues(checked.issues, 3)} (run: ai-geofence lint ${path})`,
    );
  if (keysPath) warn(`note: "${path}" is unsigned JSON; --keys is ignored`);
  const fresh = checkFreshness(checked.policy, '', now, null);
  // Explaining a draft is legitimate; say loudly that browsers would not accept it as it stands.
  if (fresh && !fresh.ok) warn(`warning: browsers would refuse this policy at that time: ${fresh.message}`);
  return { policy: checked.policy, signers: null };
}

/** A policy version read for comparison (`diff`), and how far it was checked. */
export interface PolicyVersion {
  policy: Policy;
  payloadText: string;
  /** 'unsigned' JSON, a JWS whose signatures were 'verified' against trusted keys, or one 'not-checked'. */
  trust: 'unsigned' | 'verified' | 'not-checked';
  signers: string[];
}

/**
 * Read one policy version, .json or .jws. A JWS is verified when `trustedKeys` is given, and only
 * taken apart otherwise (the caller says so). Dates are not judged: an old version may well have
 * expired. Every failure is bad input: a CliError with `exitCode`.
 */
export async function readPolicyVersion(
  path: string,
  trustedKeys: PublicJwk[] | undefined,
  threshold: number,
  exitCode: 1 | 2 = 2,
): Promise<PolicyVersion> {
  const bad = (message: string) => new CliError(`${path}: ${message}`, exitCode);
  let text: string;
  try {
    text = readText(path, 'policy');
  } catch (e) {
    throw new CliError((e as Error).message, exitCode);
  }
  const parsed = parseStrictJson(text);
  let payloadText: string;
  let value: unknown;
  let trust: PolicyVersion['trust'] = 'unsigned';
  let signers: string[] = [];
  if (looksLikeJws(text, parsed.ok ? parsed.value : undefined)) {
    let payload: Uint8Array;
    if (trustedKeys) {
      const checked = await verifySignatures(text, trustedKeys, threshold, POLICY_JWS_TYP);
      if (!checked.ok) throw bad(`refused (${checked.code}): ${checked.message}`);
      payload = checked.payload;
      signers = checked.signers;
      trust = 'verified';
    } else {
      const jws = parseJwsUnverified(text);
      if (!jws.ok) throw bad(`not a readable JWS: ${jws.message}`);
      payload = jws.jws.payload;
      trust = 'not-checked';
    }
    const decoded = decodeSignedJson(payload);
    if (!decoded.ok) throw bad(`refused (${decoded.code}): ${decoded.message}`);
    payloadText = decoded.text;
    value = decoded.value;
  } else {
    if (!parsed.ok) throw bad(`neither JSON nor a JWS: ${parsed.message}`);
    payloadText = text;
    value = parsed.value;
  }
  const checked = parsePolicy(value);
  if (!checked.ok) throw bad(`invalid policy: ${formatIssues(checked.issues, 3)} (run: ai-geofence lint ${path})`);
  return { policy: checked.policy, payloadText, trust, signers };
}
