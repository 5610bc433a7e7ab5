/**
 * The managed `office` against the verified policy. An office code the policy does not define
 * (`HONGKONG`, or `hk` for `HK`) would match no `offices` rule and every `exceptOffices` one: Hong
 * Kong's block would quietly become another office's warning, or nothing. It is a configuration
 * error instead: the worker enforces as with no valid policy (`failMode`), and says why.
 */
import { suggestName } from './near-match.ts';
import type { Policy } from '../policy/policy-schema.ts';

export interface OfficeProblem {
  /** The configured code, as IT wrote it. */
  office: string;
  /** The codes the policy defines, in its order. */
  valid: string[];
  /** The code it most likely meant, if one is close ("hk" → "HK", "HONGKONG" → "HK"). */
  suggestion: string | null;
  /** One line for the help desk, the CLI and audit events. */
  message: string;
}

/** Letters and digits only, lower case: "Hong Kong" and "HONGKONG" compare equal. */
const squash = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/** Every name an office is known by (a plain name, or each translation of a language map). */
function namesOf(name: unknown): string[] {
  if (typeof name === 'string') return [name];
  if (name && typeof name === 'object') return Object.values(name).filter((n): n is string => typeof n === 'string');
  return [];
}

/** The office code `typed` most likely meant among the policy's offices, by code or by name. */
export function suggestOffice(policy: Pick<Policy, 'offices'>, typed: string): string | null {
  const codes = Object.keys(policy.offices);
  const byCode = suggestName(typed, codes);
  if (byCode !== undefined) return byCode;
  const wanted = squash(typed);
  const byName = codes.find((code) =>
    namesOf((policy.offices[code] as { name: unknown }).name).some((n) => squash(n) === wanted),
  );
  return byName ?? null;
}

/** Null when `office` is a key of the policy's `offices`; otherwise what is wrong, for people. */
export function checkOffice(policy: Pick<Policy, 'offices'>, office: string): OfficeProblem | null {
  if (Object.hasOwn(policy.offices, office)) return null;
  const valid = Object.keys(policy.offices);
  const suggestion = suggestOffice(policy, office);
  const hint = suggestion === null ? '' : `; did you mean "${suggestion}"?`;
  return {
    office,
    valid,
    suggestion,
    message: `the configured office "${office}" is not an office of the policy in force (its offices: ${valid.join(', ') || 'none'})${hint}`,
  };
}
