/**
 * What the worker knows of where the browser is, read from the runtime: the location the rules use
 * (src/core/location/location.ts locationInForce) and the popup's account of it. Kept apart from the fetch
 * (location.ts) so runtime.ts and enforcement.ts can ask without importing the worker's glue.
 */
import { locationInForce, type BrowserLocation } from '../core/location/location.ts';
import type { LocationStatus } from '../core/location/location.ts';
import type { Runtime } from './runtime.ts';

/** The verified location in force now, or null (none configured, none verified, or expired). */
export function currentLocation(r: Pick<Runtime, 'config' | 'state'>, now = Date.now()): BrowserLocation | null {
  return locationInForce(r.state.location, r.config, now);
}

/**
 * How the browser's location stands, for the popup and the help-desk details; undefined when
 * neither IT configured a location service nor the policy has a rule about places (nothing to say).
 */
export function locationStatus(
  r: Pick<Runtime, 'config' | 'state' | 'policy'>,
  now = Date.now(),
): LocationStatus | undefined {
  const policy = r.policy?.policy;
  const usesPlaces = !!policy?.rules.some((x) => x.locations || x.exceptLocations);
  if (!r.config?.locationUrl && !usesPlaces) return undefined;
  const here = currentLocation(r, now);
  const rec = r.state.location;
  const fetched = r.state.locationFetch;
  const url = r.config?.locationUrl ?? null;
  if (here && rec) {
    return {
      basis: 'verified',
      country: here.country,
      zone: here.zone ?? null,
      since: rec.since,
      verifiedAt: rec.verifiedAt,
      expires: rec.expires,
      url,
      lastCheck: fetched,
    };
  }
  const office =
    r.config && policy && Object.hasOwn(policy.offices, r.config.office) ? policy.offices[r.config.office] : undefined;
  const closed = policy?.unknownLocation === 'closed';
  return {
    basis: closed ? 'closed' : 'office',
    country: closed ? null : (office?.jurisdiction ?? null),
    zone: null,
    since: null,
    verifiedAt: null,
    expires: null,
    url,
    lastCheck: fetched,
  };
}
