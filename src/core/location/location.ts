/**
 * Where the browser is (not only where the employee sits): the signed location assertion a location
 * service returns for `locationUrl?nonce=…`, and what the rules see of it. Pure: WebCrypto through
 * `jose` (src/core/policy/verify.ts), no extension API, so the worker, the CLI and the reference service
 * share one definition.
 *
 * Why a signed answer with a nonce: the location comes from the network the browser stands on,
 * seen by a service the company runs. The signature stops a forged answer (a local proxy, an
 * edited response); the nonce, fresh for every request, stops replaying an answer recorded in New
 * York while sitting in Hong Kong. See docs/location.md and docs/threat-model.md.
 */
import * as v from 'valibot';
import { isIsoCountryCode } from '../config/countries.ts';
import { decodeSignedJson, verifySignatures, type RefusalCode } from '../policy/verify.ts';

export const LOCATION_JWS_TYP = 'ai-geofence-location+jws';
export const LOCATION_TYPE = 'ai-geofence-location';
export const LOCATION_VERSION = 1;
/** An assertion is a few hundred bytes; anything much larger is not one (and is not read whole). */
export const MAX_LOCATION_BYTES = 16 * 1024;
/**
 * Clock skew tolerated on `issued`: the service's clock and the laptop's. Smaller than the policy's
 * (minutes, for a document signed on an officer's machine): the service signs online, just now.
 */
export const LOCATION_SKEW_MS = 2 * 60 * 1000;
/** The longest validity accepted: a location answers "where now", not "where this week". */
export const MAX_LOCATION_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Where the browser is, as the rules see it: an ISO 3166-1 alpha-2 country and maybe a network zone. */
export interface BrowserLocation {
  country: string;
  zone?: string;
}

/** A zone names a network (`HK-OFFICE`): never two letters, so it cannot be mistaken for a country. */
export const ZONE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;

/** True when `name` can be a zone name (three or more letters, digits, `.`, `_`, `-`). */
export function isZoneName(name: string): boolean {
  return ZONE_PATTERN.test(name);
}

const instant = v.pipe(
  v.string(),
  v.isoTimestamp('expected an ISO 8601 instant'),
  v.check((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 instant'),
);

/** The assertion's payload. Strict: a field this version does not know is refused, never ignored. */
export const LocationPayloadSchema = v.strictObject({
  type: v.literal(LOCATION_TYPE, `expected "${LOCATION_TYPE}"`),
  version: v.literal(LOCATION_VERSION, `expected ${LOCATION_VERSION}`),
  nonce: v.pipe(v.string(), v.minLength(16, 'the nonce is too short'), v.maxLength(128)),
  issued: instant,
  expires: instant,
  country: v.pipe(v.string(), v.check(isIsoCountryCode, 'expected an ISO 3166-1 alpha-2 country code such as "HK"')),
  zone: v.optional(
    v.pipe(v.string(), v.check(isZoneName, 'expected a zone name of 3 to 64 letters, digits, ".", "_" or "-"')),
  ),
});

export type LocationRefusalCode = RefusalCode | 'wrong-nonce' | 'invalid-location' | 'not-compact';

export type LocationResult =
  | { ok: true; location: BrowserLocation; issued: string; expires: string; kid: string }
  | { ok: false; code: LocationRefusalCode; message: string };

export interface VerifyLocationOptions {
  /** The managed `locationKeys` (public JWKs). */
  keys: readonly unknown[];
  /** The nonce this browser sent with the request the answer is for. */
  nonce: string;
  /** ms since epoch */
  now: number;
}

/** Verify a location assertion (compact JWS) for the request that carried `nonce`. Never throws. */
export async function verifyLocation(text: string, opts: VerifyLocationOptions): Promise<LocationResult> {
  try {
    return await verifyUnguarded(text, opts);
  } catch (e) {
    return {
      ok: false,
      code: 'malformed-jws',
      message: `the location answer could not be verified: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

async function verifyUnguarded(text: string, opts: VerifyLocationOptions): Promise<LocationResult> {
  if (typeof text !== 'string') return { ok: false, code: 'malformed-jws', message: 'the location answer is not text' };
  const compact = text.trim();
  if (compact.length > MAX_LOCATION_BYTES)
    return { ok: false, code: 'too-large', message: `the location answer is larger than ${MAX_LOCATION_BYTES} bytes` };
  // One signer, compact form only: there is no threshold for an online service key.
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(compact))
    return {
      ok: false,
      code: 'not-compact',
      message: 'the location answer is not a compact JWS (three base64url parts)',
    };
  const sig = await verifySignatures(compact, opts.keys, 1, LOCATION_JWS_TYP);
  if (!sig.ok) {
    const message =
      sig.code === 'no-trusted-keys'
        ? 'no usable location key is configured'
        : sig.message.replace('trusted keys', 'location keys');
    return { ok: false, code: sig.code, message };
  }
  const json = decodeSignedJson(sig.payload);
  if (!json.ok) return json;
  const parsed = v.safeParse(LocationPayloadSchema, json.value);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const key = issue.path?.map((p) => String((p as { key: unknown }).key)).join('.');
    return {
      ok: false,
      code: 'invalid-location',
      message: `the location payload is not valid${key ? ` at "${key}"` : ''}: ${issue.message}`,
    };
  }
  const p = parsed.output;
  // Checked before the dates: a replayed answer is a replay, whatever its dates say.
  if (p.nonce !== opts.nonce)
    return {
      ok: false,
      code: 'wrong-nonce',
      message: 'the location answer is for another request (wrong nonce): a replayed answer is refused',
    };
  const issued = Date.parse(p.issued);
  const expires = Date.parse(p.expires);
  if (issued > opts.now + LOCATION_SKEW_MS)
    return {
      ok: false,
      code: 'not-yet-valid',
      message: `the location answer was issued ${p.issued}, in the future (check the clocks)`,
    };
  if (expires <= opts.now) return { ok: false, code: 'expired', message: `the location answer expired ${p.expires}` };
  if (expires - issued > MAX_LOCATION_LIFETIME_MS)
    return {
      ok: false,
      code: 'invalid-location',
      message: 'the location answer is valid for more than 24 hours; a location must be re-established',
    };
  const location: BrowserLocation =
    p.zone === undefined ? { country: p.country } : { country: p.country, zone: p.zone };
  return { ok: true, location, issued: p.issued, expires: p.expires, kid: sig.signers[0]! };
}

/** A fresh random nonce (128 bits, base64url) for one location request. */
export function makeNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The location URL with the nonce added to its query (an existing query is kept). */
export function locationRequestUrl(base: string, nonce: string): string {
  const u = new URL(base);
  u.searchParams.set('nonce', nonce);
  return u.toString();
}

/** A verified location as the worker keeps it in storage. */
export interface LocationRecord {
  country: string;
  zone?: string;
  issued: string;
  expires: string;
  /** When this browser verified it (ISO). */
  verifiedAt: string;
  /** The `locationKeys` key that signed it, and the `locationUrl` it came from. */
  kid: string;
  url: string;
  /** Since when the browser has been at this place (ISO): kept while successive answers agree. */
  since: string;
}

/**
 * The location the rules use now: the stored record while it is unexpired and still vouched for by
 * the managed configuration (same `locationUrl`, its key still among `locationKeys`); else null.
 */
export function locationInForce(
  record: LocationRecord | null | undefined,
  config: { locationUrl?: string; locationKeys?: ReadonlyArray<{ kid: string }> } | null,
  now: number,
): BrowserLocation | null {
  if (!record || !config?.locationUrl) return null;
  if (record.url !== config.locationUrl) return null;
  if (!(config.locationKeys ?? []).some((k) => k.kid === record.kid)) return null;
  if (!(Date.parse(record.expires) > now)) return null;
  return record.zone === undefined ? { country: record.country } : { country: record.country, zone: record.zone };
}

/** "HK" or "HK/HK-OFFICE": how the CLI and messages write a location. */
export function formatLocation(loc: BrowserLocation): string {
  return loc.zone ? `${loc.country}/${loc.zone}` : loc.country;
}

/** Parse `CC` or `CC/ZONE` (the CLI's `--location`); an error message for anything else. */
export function parseLocationArg(arg: string): BrowserLocation | string {
  const [country, zone, extra] = arg.split('/');
  if (extra !== undefined || !country)
    return `--location expects CC or CC/ZONE (for example HK or HK/HK-OFFICE), got "${arg}"`;
  if (!isIsoCountryCode(country))
    return `--location: "${country}" is not an ISO 3166-1 alpha-2 country code (for example HK, US, GB)`;
  if (zone === undefined) return { country };
  if (!isZoneName(zone)) return `--location: "${zone}" is not a zone name (3 to 64 letters, digits, ".", "_" or "-")`;
  return { country, zone };
}

/** Where the browser is and how that was established (the popup's location line). */
export interface LocationStatus {
  /**
   * `verified`: by the company's location service; `office`: not verified, the office's
   * jurisdiction stands in (`unknownLocation: "office"`); `closed`: not verified, and the policy
   * treats an unverified browser as being in every restricted place (`unknownLocation: "closed"`).
   */
  basis: 'verified' | 'office' | 'closed';
  /** The country (verified, or the office's jurisdiction standing in); null when none. */
  country: string | null;
  zone: string | null;
  /** Since when the browser has been at this place (ISO), while verified. */
  since: string | null;
  verifiedAt: string | null;
  expires: string | null;
  /** The managed `locationUrl`, or null when none is configured (help-desk details only). */
  url: string | null;
  /** The last attempt to establish the location, successful or not. */
  lastCheck: { at: string; ok: boolean; message: string } | null;
}
