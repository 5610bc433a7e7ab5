/**
 * The signed policy document: one valibot schema from which the TypeScript types,
 * the runtime validation and `docs/policy.schema.json` all come.
 *
 * Valibot was chosen over zod/ajv because it is tree-shakable (the validator we ship in the
 * service worker is ~10 KB minified), gives typed output and exports JSON Schema through
 * `@valibot/to-json-schema`.
 */
import * as v from 'valibot';
import { isIsoCountryCode } from '../config/countries.ts';
import { checkFetchUrl, normalizeHost } from '../catalogue/hosts.ts';
import { suggestName } from '../config/near-match.ts';
import { TOOL_CATEGORIES } from '../catalogue/tool-attributes.ts';

export const POLICY_TYPE = 'ai-geofence-policy';
export const POLICY_VERSION = 1;
export const POLICY_JWS_TYP = 'ai-geofence-policy+jws';

/** True when `YYYY-MM-DD…` names a real calendar day (Date.parse rolls 2026-02-30 over to March). */
function realCalendarDay(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * An object that refuses fields it does not know. A field the extension does not understand (a
 * typo such as `exceptOffice`, a condition from a newer format) must never be ignored: ignoring a
 * rule condition makes the rule apply to everyone, or to no one. The message names the field and,
 * when a known one is close, suggests it.
 */
function strictObject<const E extends v.ObjectEntries>(entries: E, noun = 'field') {
  const known = Object.keys(entries);
  return v.strictObject(entries, (issue) => {
    if (issue.expected !== 'never') return issue.message;
    // For an unknown key valibot reports the key itself as the issue's input.
    return unknownFieldMessage(String(issue.input), known, noun);
  });
}

/** "unknown field "exceptOffice"; did you mean "exceptOffices"?" */
function unknownFieldMessage(field: string, known: readonly string[], noun: string): string {
  const near = suggestName(field, known);
  return `unknown ${noun} ${JSON.stringify(field)}${near === undefined ? '' : `; did you mean ${JSON.stringify(near)}?`} (a field the extension does not understand is refused, never ignored)`;
}

const INSTANT_MESSAGE = 'expected an ISO 8601 instant such as "2026-11-20T00:00:00Z"';
const isoInstant = v.pipe(
  v.string(INSTANT_MESSAGE),
  v.isoTimestamp(INSTANT_MESSAGE),
  // valibot accepts forms such as "+08" that Date.parse cannot read; every engine must agree on the instant.
  v.check((s) => !Number.isNaN(Date.parse(s)) && realCalendarDay(s), INSTANT_MESSAGE),
);
/** A date ("2026-11-20") or an instant. */
const isoDateOrInstant = v.pipe(
  v.string(),
  v.check(
    (s) => /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(s) && !Number.isNaN(Date.parse(s)) && realCalendarDay(s),
    'expected an ISO 8601 date ("2026-11-20") or instant',
  ),
);
const id = v.pipe(v.string('expected an id string'), v.minLength(1, 'must not be empty'), v.maxLength(200));
const idList = v.array(id, 'expected an array of id strings');
/** The instant and id schemas, shared with the other signed documents (exceptions). */
export const IsoInstantSchema = isoInstant;
export const IdSchema = id;

/** A text shown to employees: a plain string, or a map of BCP 47 language tags with `en` required. */
export const LocalizedTextSchema = v.union(
  [
    v.pipe(v.string(), v.maxLength(10_000)),
    v.pipe(
      v.record(v.string(), v.pipe(v.string(), v.maxLength(10_000))),
      v.check((m) => typeof m.en === 'string', 'a language map must have an "en" entry'),
    ),
  ],
  'expected a string or a map of language tags to strings with an "en" entry',
);
export type LocalizedText = v.InferOutput<typeof LocalizedTextSchema>;

/**
 * Where an employee asks for an exception (a form or ticket page). Pages add `tool`, `rule` and
 * `office` to its query string. Same rule as the policy's own URL: https:, plain http: only on
 * loopback, so a typo cannot send employees to an unencrypted or non-web address.
 */
const RequestUrlSchema = v.pipe(
  v.string('expected a URL string'),
  v.check((s) => checkFetchUrl(s) === null, 'must be an https: URL (http: only for localhost)'),
);

export const ActionSchema = v.picklist(
  ['block', 'warn', 'monitor', 'allow'],
  'expected one of "block", "warn", "monitor", "allow"',
);
export type Action = v.InferOutput<typeof ActionSchema>;

const ControlSchema = v.picklist(['allow', 'warn', 'block'], 'expected "allow", "warn" or "block"');

export const PatternSchema = strictObject({
  name: id,
  regex: v.pipe(v.string(), v.minLength(1), v.maxLength(1000)),
  min: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1),
});

export const DataControlsSchema = strictObject({
  paste: v.optional(ControlSchema, 'allow'),
  upload: v.optional(ControlSchema, 'allow'),
  sensitive: v.optional(v.picklist(['warn', 'block'], 'expected "warn" or "block"')),
  patterns: v.optional(v.array(PatternSchema), []),
});
export type DataControls = v.InferOutput<typeof DataControlsSchema>;

export const NoticeSchema = strictObject({
  title: LocalizedTextSchema,
  reason: v.optional(LocalizedTextSchema),
  reference: v.optional(LocalizedTextSchema),
  effective: v.optional(isoDateOrInstant),
  contact: v.optional(v.string()),
  alternatives: v.optional(idList),
  version: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** Overrides the policy's `exceptionRequestUrl` for this rule's block page. */
  exceptionRequestUrl: v.optional(RequestUrlSchema),
});
export type Notice = v.InferOutput<typeof NoticeSchema>;

const countryCode = v.pipe(
  v.string('expected an ISO 3166-1 alpha-2 country code'),
  v.check(isIsoCountryCode, 'expected an ISO 3166-1 alpha-2 country code such as "CN" (upper case)'),
);
const category = v.picklist(TOOL_CATEGORIES, `expected a category: ${TOOL_CATEGORIES.map((c) => `"${c}"`).join(', ')}`);
const nonEmpty = <T extends v.GenericSchema>(item: T) =>
  v.pipe(v.array(item), v.minLength(1, 'list at least one value'));

/**
 * A rule's attribute selector (see src/core/catalogue/tool-attributes.ts). Strict: a misspelt attribute
 * would otherwise select every tool, or none.
 */
export const ToolsWhereSchema = v.pipe(
  strictObject(
    {
      vendorCountry: v.optional(nonEmpty(countryCode)),
      vendor: v.optional(nonEmpty(v.pipe(v.string(), v.minLength(1)))),
      category: v.optional(nonEmpty(category)),
      modelVendors: v.optional(nonEmpty(v.pipe(v.string(), v.minLength(1)))),
      trainsOnInputs: v.optional(nonEmpty(v.boolean())),
      enterprise: v.optional(nonEmpty(v.boolean())),
    },
    'toolsWhere attribute',
  ),
  v.check((w) => Object.keys(w).length > 0, 'toolsWhere must name at least one attribute'),
);

/** A rule's fields (RuleSchema adds the check that it names tools one way or the other). */
export const RuleObjectSchema = strictObject({
  id,
  /** Tools by id; with `toolsWhere`, the rule covers both. */
  tools: v.optional(v.pipe(idList, v.minLength(1, 'a rule must name at least one tool'))),
  /** Tools by attribute (vendor country, category, …) over the catalogue and the policy's tools. */
  toolsWhere: v.optional(ToolsWhereSchema),
  action: ActionSchema,
  notice: v.optional(NoticeSchema),
  offices: v.optional(idList),
  jurisdictions: v.optional(idList),
  regions: v.optional(idList),
  groups: v.optional(idList),
  exceptOffices: v.optional(idList),
  exceptJurisdictions: v.optional(idList),
  exceptRegions: v.optional(idList),
  exceptGroups: v.optional(idList),
  /**
   * Where the browser is (the verified location: ISO country codes or network zone names), as
   * opposed to where the employee's office is. See docs/location.md.
   */
  locations: v.optional(idList),
  exceptLocations: v.optional(idList),
  from: v.optional(isoInstant),
  until: v.optional(isoInstant),
  /** How long a warn acknowledgement lasts. */
  allowForMinutes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(60 * 24 * 30)), 60),
  /** A warn rule may ask for a typed justification before proceeding. */
  requireJustification: v.optional(v.boolean(), false),
  /**
   * A block rule may ask the employee to confirm once that they have read its notice (docs/compliance.md#versioned-acknowledgements);
   * asked again whenever `notice.version` changes. See src/core/decide/acknowledgements.ts.
   */
  requireAcknowledgement: v.optional(v.boolean()),
  models: v.optional(idList),
  dataControls: v.optional(DataControlsSchema),
});
export const RuleSchema = v.pipe(
  RuleObjectSchema,
  v.check((r) => r.tools !== undefined || r.toolsWhere !== undefined, 'a rule needs "tools" or "toolsWhere" (or both)'),
);
export type Rule = v.InferOutput<typeof RuleSchema>;

export const ModelSchema = strictObject({
  name: v.string(),
  match: v.optional(
    strictObject({
      query: v.optional(v.record(v.string(), v.string())),
      pathPrefixes: v.optional(v.array(v.string())),
      text: v.optional(v.array(v.string())),
    }),
  ),
});

export const ToolSchema = strictObject({
  name: v.pipe(v.string(), v.minLength(1)),
  vendor: v.optional(v.string()),
  domains: v.pipe(
    v.array(
      v.pipe(
        v.string('expected a domain name string'),
        // A domain the matcher cannot use would silently enforce nothing: refuse it.
        v.check(
          (d) => normalizeHost(d) !== '',
          'expected a domain name such as "claude.ai" (no scheme, path, port, wildcard or IP address)',
        ),
      ),
      'expected an array of domain names',
    ),
    v.minLength(1, 'a tool needs at least one domain'),
  ),
  paths: v.optional(v.array(v.pipe(v.string(), v.startsWith('/', 'a path prefix starts with "/"')))),
  /**
   * A policy tool with a built-in catalogue id adds its domains to the catalogue's, so a policy
   * never narrows a tool by accident; `true` replaces them on purpose (src/core/catalogue/catalogue.ts).
   */
  replaceCatalogue: v.optional(v.boolean()),
  url: v.optional(v.pipe(v.string(), v.url('expected an absolute URL'))),
  tenantHeaders: v.optional(v.record(v.string(), v.string())),
  models: v.optional(v.record(v.string(), ModelSchema)),
  /** Attributes rules select on (`toolsWhere`); the catalogue states them with sources. */
  vendorCountry: v.optional(countryCode),
  category: v.optional(category),
  /** The vendor sells an enterprise or tenant-controlled offering of the tool. */
  enterprise: v.optional(v.boolean()),
  /** Consumer use trains the vendor's models on the user's inputs unless the user opts out. */
  trainsOnInputs: v.optional(v.boolean()),
  /** Vendors whose models the tool gives access to (its own included): "Anthropic", "OpenAI", … */
  modelVendors: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
  /** Chrome Web Store ids of the tool's browser extensions (sidebars, agents). */
  extensionIds: v.optional(
    v.array(v.pipe(v.string(), v.regex(/^[a-p]{32}$/, 'expected a 32-letter extension id (a-p)'))),
  ),
});
export type Tool = v.InferOutput<typeof ToolSchema>;

export const OfficeSchema = strictObject({
  /** A string, or a language map (`{"en": "Hong Kong", "zh-Hant": "香港"}`) shown in the employee's language. */
  name: v.pipe(
    LocalizedTextSchema,
    v.check((n) => (typeof n === 'string' ? n : (n.en ?? '')) !== '', 'an office needs a name'),
  ),
  jurisdiction: v.optional(v.string()),
  regions: v.optional(idList),
  failMode: v.optional(v.picklist(['closed', 'open'])),
});

export const PolicySchema = strictObject({
  type: v.literal(POLICY_TYPE, `expected "${POLICY_TYPE}"`),
  version: v.literal(POLICY_VERSION, `expected ${POLICY_VERSION}`),
  // Beyond 2^53 integers lose precision, and a huge serial would lock out every later policy.
  serial: v.pipe(
    v.number('expected an integer serial number'),
    v.integer('expected an integer serial number'),
    v.minValue(0, 'expected a serial number ≥ 0'),
    v.maxValue(Number.MAX_SAFE_INTEGER, 'expected a serial number ≤ 2^53 − 1'),
  ),
  issued: isoInstant,
  expires: isoInstant,
  issuer: v.optional(v.string()),
  contact: v.optional(v.string()),
  /** Where a blocked employee asks for an exception; a rule's notice may name its own. */
  exceptionRequestUrl: v.optional(RequestUrlSchema),
  offices: v.record(id, OfficeSchema),
  tools: v.optional(v.record(id, ToolSchema), {}),
  rules: v.array(RuleSchema),
  defaultAction: v.optional(ActionSchema, 'allow'),
  unlistedAiAction: v.optional(v.picklist(['allow', 'warn', 'block']), 'allow'),
  maxStalenessHours: v.optional(v.pipe(v.number(), v.minValue(1))),
  /**
   * With no verified location: `office` (default) takes the office's jurisdiction as the location;
   * `closed` makes every `locations` condition match and no `exceptLocations` condition excuse.
   */
  unknownLocation: v.optional(v.picklist(['office', 'closed'], 'expected "office" or "closed"'), 'office'),
});
export type Policy = v.InferOutput<typeof PolicySchema>;
/** The document as written by compliance, before defaults are filled in. */
export type PolicyInput = v.InferInput<typeof PolicySchema>;

export interface SchemaIssue {
  /** JSON path such as `$.rules[0].action`. */
  path: string;
  message: string;
}

/** A JSON path such as `$.rules[0].action` or `$.tools["firm-llm"].domains[1]` from its keys. */
export function formatJsonPath(keys: ReadonlyArray<string | number>): string {
  let p = '$';
  for (const key of keys) {
    p += typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return p;
}

function issuePath(issue: v.BaseIssue<unknown>): string {
  return formatJsonPath(
    (issue.path ?? []).map((item) => {
      const key = (item as { key: unknown }).key;
      return typeof key === 'number' ? key : String(key);
    }),
  );
}

/** valibot words a missing property as "Invalid key"; say plainly what is missing. */
function issueMessage(issue: v.BaseIssue<unknown>): string {
  if (
    issue.kind === 'schema' &&
    issue.type === 'strict_object' &&
    issue.input === undefined &&
    issue.expected?.startsWith('"')
  ) {
    return `missing required property ${issue.expected}`;
  }
  return issue.message;
}

/** Validate a parsed policy payload; never throws. */
export function parsePolicy(input: unknown): { ok: true; policy: Policy } | { ok: false; issues: SchemaIssue[] } {
  const result = v.safeParse(PolicySchema, input);
  if (result.success) return { ok: true, policy: result.output };
  return { ok: false, issues: result.issues.map((i) => ({ path: issuePath(i), message: issueMessage(i) })) };
}

/** Human-readable one-liner of schema issues. */
export function formatIssues(issues: SchemaIssue[], max = 5): string {
  const shown = issues.slice(0, max).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > max) shown.push(`…and ${issues.length - max} more`);
  return shown.join('; ');
}
