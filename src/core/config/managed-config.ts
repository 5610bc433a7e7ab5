/**
 * The managed configuration that IT pushes (README, "For IT"; docs/deploy.md), validated the same way as the policy:
 * one valibot schema, typed output, per-key errors. Invalid values are reported, never silently
 * replaced by defaults for `office` or `trustedKeys`.
 */
import * as v from 'valibot';
import { suggestName } from './near-match.ts';
import { checkTrustedKey, type PublicJwk } from '../policy/verify.ts';
import { checkFetchUrl } from '../catalogue/hosts.ts';

export { checkFetchUrl };

export const MANAGED_DEFAULTS = {
  signatureThreshold: 1,
  refreshMinutes: 60,
  failMode: 'closed' as 'closed' | 'open',
  groups: [] as string[],
  auditFormat: 'json' as 'json' | 'splunk-hec' | 'otlp',
  auditHeaders: {} as Record<string, string>,
  auditCompression: 'gzip' as 'gzip' | 'none',
  auditUrlDetail: 'path' as 'path' | 'origin',
  discovery: true,
  locationMinutes: 15,
};

export interface ManagedConfig {
  office: string;
  policyUrl: string;
  trustedKeys: PublicJwk[];
  signatureThreshold: number;
  groups: string[];
  refreshMinutes: number;
  auditUrl?: string;
  failMode: 'closed' | 'open';
  /** Extension: `json` (default), `splunk-hec` or `otlp` (OTLP/HTTP JSON logs) body for the audit collector. */
  auditFormat: 'json' | 'splunk-hec' | 'otlp';
  /** Extension: extra request headers for the audit collector, e.g. `{"Authorization": "Bearer …"}`. */
  auditHeaders: Record<string, string>;
  /** Extension: `gzip` (default) or `none` for collectors that cannot read compressed bodies. */
  auditCompression: 'gzip' | 'none';
  /** Extension: how much of a URL audit events carry, `path` (origin + path) or `origin`. */
  auditUrlDetail: 'path' | 'origin';
  /** The employee's id for per-person exceptions (docs/compliance.md#signed-exceptions). */
  userId?: string;
  /** Where the signed exceptions document is fetched from (same URL rule as policyUrl). */
  exceptionsUrl?: string;
  /**
   * Run the detector of unlisted AI tools on web pages (default true; docs/beyond-domains.md). `false`
   * turns discovery off (no detector, no `discovered-tool` events, `unlistedAiAction` never applies).
   */
  discovery: boolean;
  /** Where the signed location assertion is fetched from (same URL rule as policyUrl); absent: no location service. */
  locationUrl?: string;
  /** Public JWKs that sign location assertions (the location service's online key, not the policy officers'). */
  locationKeys: PublicJwk[];
  /** How often the location is established again (default 15). */
  locationMinutes: number;
}

const MAX_AUDIT_HEADERS = 16;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/**
 * Headers fetch() would drop without a word (https://fetch.spec.whatwg.org/#forbidden-request-header),
 * and those the extension sets itself: refused, never silently lost.
 */
const RESERVED_HEADERS = new Set([
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'content-type',
  'content-encoding',
]);

/** Why a header cannot go to the collector, or null. Values are never echoed: they hold tokens. */
export function checkAuditHeader(name: string, value: string): string | null {
  if (!HEADER_NAME.test(name)) return `header name "${name}" is not a valid HTTP header name`;
  const lower = name.toLowerCase();
  if (RESERVED_HEADERS.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-'))
    return `header "${name}" cannot be set (the browser or the extension controls it)`;
  if (/[\r\n\0]/.test(value) || value.length > 8192)
    return `header "${name}" has a value with a line break or longer than 8192 characters`;
  return null;
}

const Int = (min: number, max: number) =>
  v.pipe(v.number('expected an integer'), v.integer('expected an integer'), v.minValue(min), v.maxValue(max));

const ManagedSchema = v.object({
  office: v.pipe(v.string('expected the office code as a string'), v.minLength(1, 'must not be empty')),
  policyUrl: v.pipe(
    v.string('expected a URL string'),
    v.check((s) => checkFetchUrl(s) === null, 'must be an https: URL (http: only for localhost)'),
  ),
  trustedKeys: v.pipe(
    v.array(v.unknown(), 'expected an array of public JWKs'),
    v.minLength(1, 'at least one trusted key is required'),
    v.check(
      (keys) => keys.every((k) => checkTrustedKey(k) === null),
      'every key needs a kid and must be a public Ed25519 or P-256 JWK',
    ),
  ),
  signatureThreshold: v.optional(Int(1, 10), MANAGED_DEFAULTS.signatureThreshold),
  groups: v.optional(v.array(v.string('expected strings')), MANAGED_DEFAULTS.groups),
  refreshMinutes: v.optional(Int(1, 7 * 24 * 60), MANAGED_DEFAULTS.refreshMinutes),
  auditUrl: v.optional(
    v.pipe(
      v.string(),
      v.check((s) => checkFetchUrl(s) === null, 'must be an https: URL (http: only for localhost)'),
    ),
  ),
  failMode: v.optional(v.picklist(['closed', 'open'], 'expected "closed" or "open"'), MANAGED_DEFAULTS.failMode),
  auditFormat: v.optional(
    v.picklist(['json', 'splunk-hec', 'otlp'], 'expected "json", "splunk-hec" or "otlp"'),
    MANAGED_DEFAULTS.auditFormat,
  ),
  auditHeaders: v.optional(
    v.pipe(
      v.record(
        v.string(),
        v.string('expected header values as strings'),
        'expected an object of header names and values',
      ),
      v.check((h) => Object.keys(h).length <= MAX_AUDIT_HEADERS, `at most ${MAX_AUDIT_HEADERS} headers`),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        for (const [name, value] of Object.entries(dataset.value)) {
          const problem = checkAuditHeader(name, value);
          if (problem)
            addIssue({
              message: problem,
              path: [{ type: 'object', origin: 'value', input: dataset.value, key: name, value }],
            });
        }
      }),
    ),
    MANAGED_DEFAULTS.auditHeaders,
  ),
  auditCompression: v.optional(
    v.picklist(['gzip', 'none'], 'expected "gzip" or "none"'),
    MANAGED_DEFAULTS.auditCompression,
  ),
  auditUrlDetail: v.optional(v.picklist(['path', 'origin']), MANAGED_DEFAULTS.auditUrlDetail),
  userId: v.optional(v.string()),
  exceptionsUrl: v.optional(
    v.pipe(
      v.string('expected a URL string'),
      v.check((s) => checkFetchUrl(s) === null, 'must be an https: URL (http: only for localhost)'),
    ),
  ),
  discovery: v.optional(v.boolean('expected true or false'), MANAGED_DEFAULTS.discovery),
  locationUrl: v.optional(
    v.pipe(
      v.string('expected a URL string'),
      v.check((s) => checkFetchUrl(s) === null, 'must be an https: URL (http: only for localhost)'),
    ),
  ),
  locationKeys: v.optional(
    v.pipe(
      v.array(v.unknown(), 'expected an array of public JWKs'),
      v.check(
        (keys) => keys.every((k) => checkTrustedKey(k) === null),
        'every key needs a kid and must be a public Ed25519 or P-256 JWK',
      ),
    ),
    [],
  ),
  locationMinutes: v.optional(Int(1, 24 * 60), MANAGED_DEFAULTS.locationMinutes),
});

export type ManagedResult =
  | { ok: true; config: ManagedConfig; warnings: string[] }
  | { ok: false; errors: string[] /** what could still be read, for the popup */; partial: Partial<ManagedConfig> };

/** Validate what `storage.managed.get()` returned. Never throws. */
export function parseManagedConfig(raw: unknown): ManagedResult {
  const obj = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  if (Object.keys(obj).length === 0) {
    return {
      ok: false,
      errors: ['no managed configuration: IT has not configured this extension through enterprise policy (yet)'],
      partial: {},
    };
  }
  // A misspelt key (`signatureThreshhold`) would silently fall back to its default — one
  // signature instead of two. Chromium validates against managed-schema.json and drops unknown keys
  // (chrome://policy shows the error); Firefox passes them on, so they are checked here too. A key
  // close to none of ours may be meant for a newer version, and is left alone.
  const known = Object.keys(ManagedSchema.entries);
  const misspelt = Object.keys(obj).flatMap((key) => {
    if (known.includes(key)) return [];
    const near = suggestName(key, known, { prefixes: false });
    return near === undefined
      ? []
      : [
          `managed key "${key}" is not known; did you mean "${near}"? (it would be ignored, and "${near}" left at its default)`,
        ];
  });
  const result = v.safeParse(ManagedSchema, obj);
  if (result.success && misspelt.length)
    return { ok: false, errors: misspelt, partial: result.output as ManagedConfig };
  if (result.success) {
    const config = result.output as ManagedConfig;
    const warnings: string[] = [];
    // Not fatal to the policy: without a usable location service the policy's unknownLocation decides.
    if (config.locationUrl && config.locationKeys.length === 0)
      warnings.push('managed key "locationUrl" is set but "locationKeys" is empty: no location can be verified');
    if (!config.locationUrl && config.locationKeys.length > 0)
      warnings.push('managed key "locationKeys" is set but "locationUrl" is not: no location is fetched');
    if (config.signatureThreshold > config.trustedKeys.length) {
      return {
        ok: false,
        errors: [
          `signatureThreshold ${config.signatureThreshold} exceeds the ${config.trustedKeys.length} trusted key(s): no policy could ever be accepted`,
        ],
        partial: config,
      };
    }
    return { ok: true, config, warnings };
  }
  const errors = result.issues.map((i) => {
    const key = i.path?.map((p) => String((p as { key: unknown }).key)).join('.') ?? '';
    const detail = i.path && i.path.length > 1 ? '' : '';
    if (key === '' && i.expected?.includes('office')) return i.message;
    return `managed key "${key || '?'}"${detail}: ${i.message}`;
  });
  const partial: Partial<ManagedConfig> = {};
  if (typeof obj.office === 'string') partial.office = obj.office;
  if (typeof obj.policyUrl === 'string') partial.policyUrl = obj.policyUrl;
  return { ok: false, errors: [...new Set([...misspelt, ...errors])], partial };
}
