/** Read and lint a policy file; shared by `lint` and `sign` so they can never disagree. */
import { lintPolicy, type LintIssue, type LintOptions } from '../core/lint.ts';
import { parseStrictJson } from '../core/strict-json.ts';
import { readBytes } from './files.ts';

export interface LintedFile {
  /** The exact bytes of the file (what `sign` signs). */
  bytes: Uint8Array;
  /** The parsed document, or undefined when it is not JSON. */
  value: unknown;
  issues: LintIssue[];
}

/** Lint the policy at `path` as of `now`; unreadable JSON becomes a `$` error, not an exception. */
export function lintFile(path: string, now: number, options: LintOptions = {}): LintedFile {
  const bytes = readBytes(path, 'policy');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { bytes, value: undefined, issues: [{ severity: 'error', path: '$', message: 'the file is not valid UTF-8' }] };
  }
  const parsed = parseStrictJson(text);
  if (!parsed.ok) return { bytes, value: undefined, issues: [{ severity: 'error', path: '$', message: `not valid JSON: ${parsed.message}` }] };
  return { bytes, value: parsed.value, issues: lintPolicy(parsed.value, now, options) };
}

/** One issue as one grep-friendly line: `FILE: error $.rules[0].tools[0]: message`. */
export function formatIssue(file: string, issue: LintIssue): string {
  return `${file}: ${issue.severity} ${issue.path}: ${issue.message}`;
}

/** "2 errors, 1 warning". */
export function countSummary(issues: readonly LintIssue[]): string {
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}
