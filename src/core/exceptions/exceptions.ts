/**
 * Signed exceptions (docs/compliance.md#signed-exceptions): a separate document, signed like the policy, that lets named
 * employees use a tool a rule restricts, until a date, with the ticket and approver as evidence.
 *
 * Same JWS and trust rules as the policy (alg EdDSA/ES256, trusted kid, threshold, strict JSON,
 * freshness and rollback) but its own header `typ` and payload `type`, so a policy can never be
 * presented as an exceptions document or the other way round (typ confusion). Pure: no browser API.
 */
import * as v from 'valibot';
import { resolveRuleTools, resolveTools, type Decision } from '../decide/decide.ts';
import {
  formatIssues,
  formatJsonPath,
  IdSchema,
  IsoInstantSchema,
  type Policy,
  type Rule,
  type SchemaIssue,
} from '../policy/policy-schema.ts';
import {
  checkDocumentFreshness,
  decodeSignedJson,
  sha256Hex,
  verifySignatures,
  type RefusalCode,
} from '../policy/verify.ts';

/** What pages show of a signed exception; the rest (user, reason) stays in the signed document. */
export interface ExceptionRef {
  id: string;
  /** ISO instant at which the exception ends. */
  until: string;
  ticket: string;
  approver: string;
}

export const EXCEPTIONS_TYPE = 'ai-geofence-exceptions';
export const EXCEPTIONS_VERSION = 1;
export const EXCEPTIONS_JWS_TYP = 'ai-geofence-exceptions+jws';
/** Prefix of the synthetic rule ids `policyWithExceptions` adds (audit events show them). */
export const EXCEPTION_RULE_PREFIX = 'exception:';

const nonEmpty = (max: number) => v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(max));

export const ExceptionEntrySchema = v.object({
  // Short enough that `exception:<id>` is still a valid rule id (≤ 200).
  id: v.pipe(IdSchema, v.maxLength(150)),
  /** The managed `userId` of the employee; compared exactly. */
  user: nonEmpty(200),
  /** A tool id of the policy or the built-in catalogue. */
  tool: IdSchema,
  /** Only in these offices; absent means wherever the employee sits. */
  offices: v.optional(v.pipe(v.array(IdSchema), v.minLength(1, 'list at least one office, or leave "offices" out'))),
  until: IsoInstantSchema,
  ticket: nonEmpty(200),
  approver: nonEmpty(200),
  reason: v.optional(v.pipe(v.string(), v.maxLength(2000))),
});
export type ExceptionEntry = v.InferOutput<typeof ExceptionEntrySchema>;

export const ExceptionsSchema = v.object({
  type: v.literal(EXCEPTIONS_TYPE, `expected "${EXCEPTIONS_TYPE}"`),
  version: v.literal(EXCEPTIONS_VERSION, `expected ${EXCEPTIONS_VERSION}`),
  serial: v.pipe(
    v.number('expected an integer serial number'),
    v.integer('expected an integer serial number'),
    v.minValue(0, 'expected a serial number ≥ 0'),
    v.maxValue(Number.MAX_SAFE_INTEGER, 'expected a serial number ≤ 2^53 − 1'),
  ),
  issued: IsoInstantSchema,
  expires: IsoInstantSchema,
  issuer: v.optional(v.string()),
  exceptions: v.pipe(
    v.array(ExceptionEntrySchema),
    // Audit events and the block page name an exception by id: two with one id would be ambiguous.
    v.check((list) => new Set(list.map((e) => e.id)).size === list.length, 'exception ids must be unique'),
  ),
});
export type ExceptionsDoc = v.InferOutput<typeof ExceptionsSchema>;

/** Validate a parsed exceptions payload; never throws. */
export function parseExceptions(
  input: unknown,
): { ok: true; doc: ExceptionsDoc } | { ok: false; issues: SchemaIssue[] } {
  const result = v.safeParse(ExceptionsSchema, input);
  if (result.success) return { ok: true, doc: result.output };
  return {
    ok: false,
    issues: result.issues.map((i) => ({
      path: formatJsonPath(
        (i.path ?? []).map((p) => {
          const key = (p as { key: unknown }).key;
          return typeof key === 'number' ? key : String(key);
        }),
      ),
      message: i.message,
    })),
  };
}

export type VerifyExceptionsResult =
  | { ok: true; doc: ExceptionsDoc; payloadText: string; payloadHash: string; signers: string[] }
  | { ok: false; code: RefusalCode; message: string };

export interface VerifyExceptionsOptions {
  /** The managed `trustedKeys` (the same keys that sign policies). */
  trustedKeys: readonly unknown[];
  threshold?: number;
  /** ms since epoch */
  now: number;
  /** The exceptions document in force, for rollback protection. */
  current?: { serial: number; payloadHash: string } | null;
}

/** Verify a signed exceptions document end to end: signatures, typ, payload, schema, freshness, rollback. */
export async function verifyExceptions(text: string, opts: VerifyExceptionsOptions): Promise<VerifyExceptionsResult> {
  try {
    const sig = await verifySignatures(text, opts.trustedKeys, opts.threshold ?? 1, EXCEPTIONS_JWS_TYP);
    if (!sig.ok) return sig;
    const decoded = decodeSignedJson(sig.payload);
    if (!decoded.ok) return decoded;
    const checked = parseExceptions(decoded.value);
    if (!checked.ok) {
      return {
        ok: false,
        code: 'invalid-exceptions',
        message: `the exceptions document does not match the schema: ${formatIssues(checked.issues)}`,
      };
    }
    const payloadHash = await sha256Hex(decoded.text);
    const fresh = checkDocumentFreshness(
      checked.doc,
      payloadHash,
      opts.now,
      opts.current ?? null,
      'exceptions document',
    );
    if (fresh) return fresh;
    return { ok: true, doc: checked.doc, payloadText: decoded.text, payloadHash, signers: sig.signers };
  } catch (e) {
    // As verifyPolicy: hostile input is refused with a reason, never thrown at the worker.
    return {
      ok: false,
      code: 'malformed-jws',
      message: `the document could not be verified: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/** True while an entry is in force: its `until` and the document's `expires` both lie ahead. */
function entryActive(doc: ExceptionsDoc, entry: ExceptionEntry, now: number): boolean {
  return Date.parse(entry.until) > now && Date.parse(doc.expires) > now;
}

/**
 * The exception that lets `userId` use `toolId` in `office` at `now`, or null. Among several, the
 * one lasting longest (then the first listed). No user id (managed `userId` unset) matches nothing.
 */
export function findException(
  doc: ExceptionsDoc | null,
  userId: string | null | undefined,
  toolId: string | null,
  office: string | null,
  now: number,
): ExceptionEntry | null {
  if (!doc || !userId || !toolId) return null;
  let best: ExceptionEntry | null = null;
  for (const e of doc.exceptions) {
    if (e.user !== userId || e.tool !== toolId) continue;
    if (e.offices && (office === null || !e.offices.includes(office))) continue;
    if (!entryActive(doc, e, now)) continue;
    if (!best || Date.parse(e.until) > Date.parse(best.until)) best = e;
  }
  return best;
}

/** Every exception in force for this employee and office at `now` (for enforcement and the popup). */
export function exceptionsFor(
  doc: ExceptionsDoc | null,
  userId: string | null | undefined,
  office: string | null,
  now: number,
): ExceptionEntry[] {
  if (!doc || !userId) return [];
  const tools = new Set(doc.exceptions.filter((e) => e.user === userId).map((e) => e.tool));
  return [...tools].flatMap((tool) => findException(doc, userId, tool, office, now) ?? []);
}

/** What pages show of an exception. */
export function exceptionRef(entry: ExceptionEntry, doc?: Pick<ExceptionsDoc, 'expires'>): ExceptionRef {
  return { id: entry.id, until: effectiveUntil(entry, doc), ticket: entry.ticket, approver: entry.approver };
}

/** An entry ends at its `until`, or earlier when the whole document expires first. */
function effectiveUntil(entry: ExceptionEntry, doc?: Pick<ExceptionsDoc, 'expires'>): string {
  if (doc && Date.parse(doc.expires) < Date.parse(entry.until)) return doc.expires;
  return entry.until;
}

/** A decision, possibly lifted by an exception (what pages and audit events need). */
export type ExceptedDecision = Decision & { exception: ExceptionRef | null };

/**
 * Lift a restrictive decision with an exception: `block` or `warn` for the exception's tool becomes
 * `allow`, with the rule and notice kept (the page can say what was lifted) and the exception
 * attached. `allow` and `monitor` are left alone (monitoring is evidence, not a restriction), as is
 * fail-closed (no valid policy: there is nothing an exception was granted against).
 */
export function applyException(
  decision: Decision,
  exception: ExceptionEntry | null,
  doc?: Pick<ExceptionsDoc, 'expires'>,
): ExceptedDecision {
  const liftable =
    (decision.action === 'block' || decision.action === 'warn') &&
    (decision.basis === 'rule' || decision.basis === 'default');
  if (!exception || !liftable || exception.tool !== decision.toolId) return { ...decision, exception: null };
  return { ...decision, action: 'allow', exception: exceptionRef(exception, doc) };
}

/**
 * The policy as this browser must enforce it with exceptions in force, for DNR rules, content-script
 * registration and the rule-window alarm (decisions for pages use applyException; both agree):
 * before every tool-level `block` or `warn` rule naming an excepted tool, an `allow` rule for that
 * tool with the same targeting and `from`, ending at the exception's end (a rule window, so the
 * existing window alarm restores the rule on time); and, when `defaultAction` restricts, one more at
 * the end for the tool. `monitor` and `allow` rules, and model-level rules, are left as they are.
 */
export function policyWithExceptions(
  policy: Policy,
  doc: ExceptionsDoc | null,
  userId: string | null | undefined,
  office: string,
  now: number,
): Policy {
  const entries = exceptionsFor(doc, userId, office, now);
  if (entries.length === 0) return policy;
  const restricts = (action: Rule['action']) => action === 'block' || action === 'warn';
  const lift = (e: ExceptionEntry, base: Partial<Rule>): Rule | null => {
    const end = effectiveUntil(e, doc ?? undefined);
    const until = base.until !== undefined && Date.parse(base.until) < Date.parse(end) ? base.until : end;
    if (base.from !== undefined && Date.parse(base.from) >= Date.parse(until)) return null; // never overlaps
    return {
      ...base,
      id: `${EXCEPTION_RULE_PREFIX}${e.id}`,
      tools: [e.tool],
      action: 'allow',
      until,
      allowForMinutes: 60,
      requireJustification: false,
    };
  };
  const rules: Rule[] = [];
  const ruleTools = resolveRuleTools(policy.rules, resolveTools(policy));
  for (const [i, rule] of policy.rules.entries()) {
    if (restricts(rule.action) && !rule.models) {
      for (const e of entries) {
        if (!ruleTools[i]!.includes(e.tool)) continue;
        // Same targeting and window start as the rule it shadows; no notice, no data controls.
        const {
          offices,
          jurisdictions,
          regions,
          groups,
          exceptOffices,
          exceptJurisdictions,
          exceptRegions,
          exceptGroups,
          locations,
          exceptLocations,
          from,
          until,
        } = rule;
        const synthetic = lift(e, {
          offices,
          jurisdictions,
          regions,
          groups,
          exceptOffices,
          exceptJurisdictions,
          exceptRegions,
          exceptGroups,
          locations,
          exceptLocations,
          from,
          until,
        });
        if (synthetic) rules.push(stripUndefined(synthetic));
      }
    }
    rules.push(rule);
  }
  if (restricts(policy.defaultAction)) {
    for (const e of entries) {
      const synthetic = lift(e, {});
      if (synthetic) rules.push(synthetic);
    }
  }
  return { ...policy, rules };
}

/** Rules as the schema would produce them: absent fields absent, not `undefined`. */
function stripUndefined(rule: Rule): Rule {
  return Object.fromEntries(Object.entries(rule).filter(([, value]) => value !== undefined)) as Rule;
}

/** Problems worth a warning before signing: entries already ended, entries outliving the document. */
export function exceptionWarnings(doc: ExceptionsDoc, now: number): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  doc.exceptions.forEach((e, i) => {
    const path = formatJsonPath(['exceptions', i, 'until']);
    if (Date.parse(e.until) <= now)
      out.push({ path, message: `exception "${e.id}" already ended (${e.until}); it will never apply` });
    else if (Date.parse(e.until) > Date.parse(doc.expires)) {
      out.push({
        path,
        message: `exception "${e.id}" runs until ${e.until}, after the document expires (${doc.expires}); it ends with the document unless a newer one repeats it`,
      });
    }
  });
  return out;
}
