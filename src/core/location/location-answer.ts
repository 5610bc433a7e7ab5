/**
 * The location service's whole job, as one stateless function: (nonce, connecting address, a
 * country header set by a CDN edge) → a signed location assertion. The reference server
 * (scripts/location-server.ts) wraps it in node:http; an edge function (docs/location.md) wraps
 * it in its platform's request handler. No IP address is ever put in the answer or returned.
 */
import { CompactSign, type CryptoKey, importJWK, type JWK } from 'jose';
import { isIsoCountryCode } from '../config/countries.ts';
import { LOCATION_JWS_TYP, LOCATION_TYPE, LOCATION_VERSION, type BrowserLocation } from './location.ts';
import type { NetworkTable } from './networks.ts';

/** What a browser sends (a 128-bit base64url nonce is 22 characters). */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
/** Default validity: two browser refreshes, so one missed refresh does not drop the location. */
export const DEFAULT_ANSWER_MINUTES = 30;

export interface LocationSigner {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  key: CryptoKey | Uint8Array;
}

/** Import the service's private JWK (from `ai-geofence keygen`); throws naming what is wrong. */
export async function importLocationSigner(jwk: unknown): Promise<LocationSigner> {
  const j = (jwk && typeof jwk === 'object' ? jwk : {}) as Record<string, unknown>;
  if (typeof j.kid !== 'string' || !j.kid)
    throw new Error('the key needs a "kid" (the one listed in the managed "locationKeys")');
  if (typeof j.d !== 'string') throw new Error('the key has no private part ("d"): give the .private.jwk file');
  const alg = j.kty === 'OKP' && j.crv === 'Ed25519' ? 'EdDSA' : j.kty === 'EC' && j.crv === 'P-256' ? 'ES256' : null;
  if (!alg) throw new Error('the key must be Ed25519 (kty OKP) or P-256 (kty EC)');
  return { kid: j.kid, alg, key: await importJWK(j as JWK, alg) };
}

export interface LocationRequest {
  nonce: string | null;
  /** The connecting address as the socket reports it. */
  address: string | null;
  /** The value of the trusted country header, when the service is configured to trust one. */
  headerCountry: string | null;
}

export interface LocationAnswer {
  status: number;
  /** The compact JWS (200), or a JSON error. */
  body: string;
  contentType: string;
  /** What was answered, for the service's own log: never the address. */
  location: BrowserLocation | null;
  /** How it was established: a networks range, the trusted header, or not at all. */
  source: 'network' | 'header' | null;
}

/** Answer one request. Pure apart from signing; `now` in ms since epoch. */
export async function answerLocationRequest(
  req: LocationRequest,
  ctx: { table: NetworkTable; signer: LocationSigner; minutes?: number; now: number },
): Promise<LocationAnswer> {
  const error = (status: number, message: string): LocationAnswer => ({
    status,
    body: JSON.stringify({ error: message }),
    contentType: 'application/json',
    location: null,
    source: null,
  });
  if (!req.nonce || !NONCE_PATTERN.test(req.nonce))
    return error(400, 'expected ?nonce= with 16 to 128 base64url characters');
  let location: BrowserLocation | null = null;
  let source: LocationAnswer['source'] = null;
  const entry = req.address ? ctx.table.lookup(req.address) : null;
  if (entry) {
    location = entry.zone ? { country: entry.country, zone: entry.zone } : { country: entry.country };
    source = 'network';
  } else if (req.headerCountry) {
    // CDNs send upper-case ISO codes, and markers such as "XX" (unknown) or "T1" (Tor): not places.
    const country = req.headerCountry.trim().toUpperCase();
    if (isIsoCountryCode(country)) {
      location = { country };
      source = 'header';
    }
  }
  if (!location) return error(404, 'no network range (nor trusted header) places this request');
  const issued = Math.floor(ctx.now / 1000) * 1000;
  const expires = issued + (ctx.minutes ?? DEFAULT_ANSWER_MINUTES) * 60_000;
  const payload = {
    type: LOCATION_TYPE,
    version: LOCATION_VERSION,
    nonce: req.nonce,
    issued: new Date(issued).toISOString(),
    expires: new Date(expires).toISOString(),
    ...location,
  };
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: ctx.signer.alg, kid: ctx.signer.kid, typ: LOCATION_JWS_TYP })
    .sign(ctx.signer.key);
  return { status: 200, body: jws, contentType: 'application/jose', location, source };
}
