/**
 * The block page's "Request an exception" link (policy field `exceptionRequestUrl`). Pure and small:
 * the pages build it from the notice snapshot too, without the decision engine.
 */
import type { Decision } from '../decide/decide.ts';
import type { Policy } from '../policy/policy-schema.ts';

/** The request URL for a block by a rule: the rule notice's own, else the policy's; null otherwise. */
export function exceptionRequestBase(
  d: Pick<Decision, 'action' | 'basis' | 'notice'>,
  policy: Pick<Policy, 'exceptionRequestUrl'> | null,
): string | null {
  if (d.action !== 'block' || d.basis !== 'rule') return null;
  return d.notice?.exceptionRequestUrl ?? policy?.exceptionRequestUrl ?? null;
}

/**
 * The exception-request link: the policy's URL with `tool`, `rule` and `office` set in its query
 * string (existing parameters kept, ours replaced, everything percent-encoded by URLSearchParams).
 * Null when there is no URL or it is not an http(s) URL (the schema already refuses those).
 */
export function exceptionRequestHref(
  base: string | null | undefined,
  params: { tool: string; rule: string; office: string | null },
): string | null {
  if (!base) return null;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  url.searchParams.set('tool', params.tool);
  url.searchParams.set('rule', params.rule);
  if (params.office) url.searchParams.set('office', params.office);
  else url.searchParams.delete('office');
  return url.href;
}
