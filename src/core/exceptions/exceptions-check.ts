/**
 * Exceptions checked against the policy they lift rules of: an exception for a tool or office the
 * policy does not know ("claud", "HKG") matches nothing, so the employee stays blocked while the
 * ticket says the exception was granted. Pure: no browser API.
 */
import { compilePolicy, resolveTools } from '../decide/decide.ts';
import type { ExceptionsDoc } from './exceptions.ts';
import { namedTools } from '../decide/matrix.ts';
import { didYouMean } from '../config/near-match.ts';
import { formatJsonPath, type Policy, type SchemaIssue } from '../policy/policy-schema.ts';

export interface ExceptionPolicyCheck {
  errors: SchemaIssue[];
  warnings: SchemaIssue[];
}

/** Unknown tools and offices (errors), and exceptions no rule makes necessary (warnings). */
export function checkExceptionsAgainstPolicy(doc: ExceptionsDoc, policy: Policy): ExceptionPolicyCheck {
  const errors: SchemaIssue[] = [];
  const warnings: SchemaIssue[] = [];
  const tools = [...resolveTools(policy).keys()];
  const compiled = compilePolicy(policy);
  // Hints come from the tools the policy itself names first: those are the ones exceptions are for.
  const named = namedTools(compiled);
  const offices = Object.keys(policy.offices);
  doc.exceptions.forEach((e, i) => {
    if (!tools.includes(e.tool)) {
      const hint = didYouMean(e.tool, named) || didYouMean(e.tool, tools);
      errors.push({
        path: formatJsonPath(['exceptions', i, 'tool']),
        message: `unknown tool "${e.tool}": neither the policy (serial ${policy.serial}) nor the catalogue defines it${hint}${hint ? '' : ` (tools the policy names: ${named.join(', ')})`}`,
      });
    } else if (
      policy.defaultAction !== 'block' &&
      policy.defaultAction !== 'warn' &&
      !policy.rules.some(
        (r, k) => compiled.ruleTools[k]!.includes(e.tool) && (r.action === 'block' || r.action === 'warn'),
      )
    ) {
      warnings.push({
        path: formatJsonPath(['exceptions', i, 'tool']),
        message: `no rule of the policy (serial ${policy.serial}) blocks or warns about "${e.tool}": this exception lifts nothing`,
      });
    }
    e.offices?.forEach((o, k) => {
      if (offices.includes(o)) return;
      errors.push({
        path: formatJsonPath(['exceptions', i, 'offices', k]),
        message: `unknown office "${o}": not an office of the policy (serial ${policy.serial})${didYouMean(o, offices)} (offices: ${offices.join(', ')})`,
      });
    });
  });
  return { errors, warnings };
}
