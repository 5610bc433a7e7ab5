/** Read and lint a policy file; shared by `lint` and `sign` so they can never disagree. */
import { EXCEPTIONS_JWS_TYP } from '../core/exceptions/exceptions.ts';
import { lintPolicy, type LintIssue, type LintOptions } from '../core/lint/lint.ts';
import { POLICY_JWS_TYP } from '../core/policy/policy-schema.ts';
import { parseStrictJson } from '../core/policy/strict-json.ts';
import { decodeSignedJson, parseJwsUnverified } from '../core/policy/verify.ts';
import { readBytes } from './files.ts';
import { looksLikeJws } from './policy-source.ts';

export interface LintedFile {
  /** The exact bytes of the file (what `sign` signs). */
  bytes: Uint8Array;
  /** The parsed document (a JWS's payload), or undefined when it is not JSON. */
  value: unknown;
  issues: LintIssue[];
  /** True when the file is a JWS: the issues are its payload's, and no signature was checked. */
  signed: boolean;
}

const fileError = (message: string): LintIssue[] => [{ severity: 'error', path: '$', message }];

/** Lint a policy's text; a JWS is taken apart (not verified) and its payload linted. */
function lintText(text: string, now: number, options: LintOptions): Omit<LintedFile, 'bytes'> {
  const parsed = parseStrictJson(text);
  if (looksLikeJws(text, parsed.ok ? parsed.value : undefined)) {
    const jws = parseJwsUnverified(text);
    if (!jws.ok) return { value: undefined, signed: true, issues: fileError(`not a readable JWS: ${jws.message}`) };
    const payload = decodeSignedJson(jws.jws.payload);
    if (!payload.ok)
      return {
        value: undefined,
        signed: true,
        issues: fileError(`the JWS payload is ${payload.message.replace(/^the payload is /, '')}`),
      };
    // Browsers accept a policy only under its own header typ (an exceptions document is not a policy).
    const typs = [...new Set(jws.jws.signatures.map((sig) => sig.header?.typ))];
    const wrongTyp = typs.filter((t) => t !== POLICY_JWS_TYP);
    const headerIssues = wrongTyp.length
      ? fileError(
          `the JWS header "typ" is ${wrongTyp.map((t) => JSON.stringify(t)).join(', ')}, not "${POLICY_JWS_TYP}": browsers do not accept it as a policy`,
        )
      : [];
    if (typs.length === 1 && typs[0] === EXCEPTIONS_JWS_TYP)
      return { value: payload.value, signed: true, issues: headerIssues };
    return {
      value: payload.value,
      signed: true,
      issues: [...headerIssues, ...lintPolicy(payload.value, now, options)],
    };
  }
  if (!parsed.ok) return { value: undefined, signed: false, issues: fileError(`not valid JSON: ${parsed.message}`) };
  return { value: parsed.value, signed: false, issues: lintPolicy(parsed.value, now, options) };
}

/** Lint the policy at `path` as of `now`; unreadable JSON becomes a `$` error, not an exception. */
export function lintFile(path: string, now: number, options: LintOptions = {}): LintedFile {
  const bytes = readBytes(path, 'policy');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { bytes, value: undefined, signed: false, issues: fileError('the file is not valid UTF-8') };
  }
  return { bytes, ...lintText(text, now, options) };
}

/** One issue as one grep-friendly line: `FILE: error $.rules[0].tools[0] (rule "HK-CLAUDE"): message`. */
export function formatIssue(file: string, issue: LintIssue): string {
  const rule = issue.rule === undefined ? '' : ` (rule ${JSON.stringify(issue.rule)})`;
  return `${file}: ${issue.severity} ${issue.path}${rule}: ${issue.message}`;
}

/** "2 errors, 1 warning". */
export function countSummary(issues: readonly LintIssue[]): string {
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}
