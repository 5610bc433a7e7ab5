/**
 * Semantic lint of a policy (Contract 3 `lint`). Stub: the full checks come with issue 3.
 */
import { parsePolicy } from './policy-schema.ts';

export interface LintIssue {
  severity: 'error' | 'warning';
  /** JSON path such as `$.rules[2].tools[0]` */
  path: string;
  message: string;
}

/** Schema and semantic problems of a parsed (not yet validated) policy document. Never throws. */
export function lintPolicy(input: unknown, now: number = Date.now()): LintIssue[] {
  void now;
  const parsed = parsePolicy(input);
  if (!parsed.ok) return parsed.issues.map((i) => ({ severity: 'error', path: i.path, message: i.message }));
  return [];
}
