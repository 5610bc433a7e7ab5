/**
 * Establishing where the browser is: GET `locationUrl?nonce=<random>` at browser start, on waking
 * from idle, every `locationMinutes` (an alarm) and when the managed configuration changes; verify
 * the signed answer (src/core/location/location.ts); keep the verified location in storage.local with its
 * expiry; and when the location in force changes, apply the rules again at once (network rules,
 * open tabs, notice snapshot), as a policy change does. docs/location.md.
 */
import { browser } from '../platform/browser.ts';
import {
  formatLocation,
  locationRequestUrl,
  makeNonce,
  MAX_LOCATION_BYTES,
  verifyLocation,
  type BrowserLocation,
  type LocationRecord,
} from '../core/location/location.ts';
import type { ManagedConfig } from '../core/config/managed-config.ts';
import { recordAudit, setAuditLocationSource } from './audit.ts';
import { runtimeIfReady, updateRuntime } from './enforcement.ts';
import { currentLocation } from './location-state.ts';
import { readCapped } from './policy-fetch.ts';
import type { Runtime } from './runtime.ts';
import { saveState } from './storage.ts';

export const LOCATION_ALARM = 'location-refresh';
export const LOCATION_EXPIRY_ALARM = 'location-expiry';
/** An answer is a few hundred bytes from a nearby edge: a slow one is a failed one. */
export const LOCATION_TIMEOUT_MS = 10_000;

/**
 * Why the location is being established. After `start` and `wake` the machine may have moved
 * (a laptop closed in New York, opened in Hong Kong), so a failed check there drops the location
 * instead of keeping the old one until it expires.
 */
export type LocationTrigger = 'start' | 'wake' | 'timer' | 'config';

/**
 * "Idle" after this long without input (Chromium's default is 60 s): a laptop cannot cross a border
 * in a reading pause, and every return from idle costs the fleet a request. A locked screen counts
 * at once whatever this says. https://developer.chrome.com/docs/extensions/reference/api/idle
 */
export const IDLE_SECONDS = 10 * 60;
try {
  browser.idle?.setDetectionInterval(IDLE_SECONDS);
} catch {
  // Without it Chromium's 60 s applies: more checks, never fewer; never a reason to stop the worker.
}

// Every event carries the location the rules use, never the address it was derived from.
setAuditLocationSource(() => {
  const r = runtimeIfReady();
  return r ? currentLocation(r) : null;
});

type Fetched = { kind: 'ok'; text: string } | { kind: 'error'; message: string };

/** GET the assertion; never throws. Bounded in time and size like the policy fetch. */
async function fetchAssertion(url: string, timeoutMs: number): Promise<Fetched> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    // No cookies, no cache (the answer is for one nonce), no redirect to somewhere IT did not name.
    const res = await fetch(url, {
      headers: { Accept: 'application/jose' },
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      signal: controller.signal,
    });
    if (!res.ok)
      return { kind: 'error', message: `the location service answered HTTP ${res.status} ${res.statusText}`.trim() };
    const text = await readCapped(res, MAX_LOCATION_BYTES);
    if (text === null)
      return {
        kind: 'error',
        message: `the location answer is larger than ${MAX_LOCATION_BYTES} bytes and was not read`,
      };
    return { kind: 'ok', text };
  } catch (e) {
    if (controller.signal.aborted)
      return { kind: 'error', message: `the location service did not answer within ${Math.round(timeoutMs / 1000)} s` };
    return {
      kind: 'error',
      message: `cannot reach the location service: ${e instanceof Error ? e.message : String(e)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

const same = (a: BrowserLocation | null, b: BrowserLocation | null) =>
  (a ? formatLocation(a) : '') === (b ? formatLocation(b) : '');

let running: Promise<void> | null = null;
let again: LocationTrigger | null = null;

/**
 * Establish the location now. One check at a time; a trigger that arrives meanwhile runs once after
 * it (the configuration may have changed under the running one).
 */
export function refreshLocation(trigger: LocationTrigger): Promise<void> {
  if (running) {
    // start and wake outrank timer and config: their failure must drop a stale location.
    again = again === 'start' || again === 'wake' ? again : trigger;
    return running;
  }
  running = checkLocation(trigger)
    .catch((err: unknown) => console.error('[location] check failed', err))
    .finally(() => {
      running = null;
      const next = again;
      again = null;
      if (next) void refreshLocation(next);
    });
  return running;
}

async function checkLocation(trigger: LocationTrigger): Promise<void> {
  // Through the update queue, so a configuration read that was queued first is seen.
  let config: ManagedConfig | null = null;
  await updateRuntime(async (r) => {
    config = r.config;
    return false;
  });
  const c = config as ManagedConfig | null;
  if (!c?.locationUrl) {
    await browser.alarms.clear(LOCATION_ALARM);
    await updateRuntime(async (r) => forget(r, 'unconfigured'));
    return;
  }
  await scheduleRefresh(c.locationMinutes);
  const locationUrl = c.locationUrl;
  const nonce = makeNonce();
  const started = performance.now();
  const fetched = await fetchAssertion(locationRequestUrl(c.locationUrl, nonce), LOCATION_TIMEOUT_MS);
  const verified =
    fetched.kind === 'ok' ? await verifyLocation(fetched.text, { keys: c.locationKeys, nonce, now: Date.now() }) : null;
  const ms = Math.round((performance.now() - started) * 10) / 10;
  const done: { outcome?: NonNullable<Runtime['state']['locationFetch']> } = {};
  await updateRuntime(async (r) => {
    // IT moved the service meanwhile: this answer is for a URL no longer configured.
    if (r.config?.locationUrl !== c.locationUrl) return false;
    const now = Date.now();
    const at = new Date(now).toISOString();
    const before = currentLocation(r, now);
    if (verified?.ok) {
      const rec: LocationRecord = {
        ...verified.location,
        issued: verified.issued,
        expires: verified.expires,
        verifiedAt: at,
        kid: verified.kid,
        url: locationUrl,
        // Successive answers for the same place keep its "since".
        since: before && same(before, verified.location) && r.state.location ? r.state.location.since : at,
      };
      r.state.location = rec;
      done.outcome = { at, ok: true, message: `verified: ${formatLocation(verified.location)}`, ms };
      await saveState({ location: rec });
      await browser.alarms.create(LOCATION_EXPIRY_ALARM, { when: Date.parse(rec.expires) + 500 });
    } else {
      const message =
        fetched.kind === 'error' ? fetched.message : `refused: ${verified && !verified.ok ? verified.message : ''}`;
      done.outcome = { at, ok: false, message, ms };
      // A refused answer (forged, replayed, expired…) is evidence: someone may be tampering.
      if (verified && !verified.ok)
        await recordAudit({ type: 'location-refused', detail: { code: verified.code, reason: verified.message } });
      // The old location stays until it expires, unless the machine may have moved or the path to
      // the service is not trustworthy (a refused answer): then no location is better than a stale one.
      if (trigger === 'start' || trigger === 'wake' || verified) r.state.location = null;
      await saveState({ location: r.state.location });
    }
    return noteChange(r, before, now);
  });
  // Written once the rules followed (the apply runs after the task above): what the popup says
  // and tests wait on, with the whole check's worker time beside the fetch-and-verify time.
  if (done.outcome) {
    const record = { ...done.outcome, totalMs: Math.round((performance.now() - started) * 10) / 10 };
    await updateRuntime(async (r) => {
      r.state.locationFetch = record;
      await saveState({ locationFetch: record });
      return false;
    });
  }
}

/** Drop the stored location (no service configured, or it lapsed); true when the rules must follow. */
async function forget(r: Runtime, reason: 'unconfigured' | 'expired'): Promise<boolean> {
  const rec = r.state.location;
  // A newer answer replaced the one whose expiry alarm this is.
  if (reason === 'expired' && currentLocation(r)) return false;
  if (!rec && (reason === 'expired' || r.state.locationFetch === null)) return false;
  r.state.location = null;
  if (reason === 'unconfigured') r.state.locationFetch = null;
  await saveState({ location: null, locationFetch: r.state.locationFetch });
  if (!rec) return false;
  // The rules were compiled with this location until now (currentLocation no longer returns it).
  await recordAudit({
    type: 'location-changed',
    detail: { from: rec.zone ? { country: rec.country, zone: rec.zone } : { country: rec.country }, to: null, reason },
  });
  return true;
}

/** Record a change of the location in force; true when the rules must be applied again. */
async function noteChange(r: Runtime, before: BrowserLocation | null, now: number): Promise<boolean> {
  const after = currentLocation(r, now);
  if (same(before, after)) return false;
  await recordAudit({ type: 'location-changed', detail: { from: before, to: after } });
  return true;
}

/** The periodic alarm, created only when missing or when IT changed the interval (creating resets it). */
async function scheduleRefresh(minutes: number): Promise<void> {
  const existing = await browser.alarms.get(LOCATION_ALARM).catch(() => undefined);
  if (existing?.periodInMinutes === minutes) return;
  await browser.alarms.create(LOCATION_ALARM, { delayInMinutes: minutes, periodInMinutes: minutes });
}

/** LOCATION_EXPIRY_ALARM: the verified location lapsed without a new one; the rules follow. */
export function expireLocation(): Promise<void> {
  return updateRuntime(async (r) => forget(r, 'expired'));
}

/** chrome.idle reports "active" again after IDLE_SECONDS or a locked screen: the machine may have moved. */
export function handleIdleState(state: string): void {
  if (state === 'active') void refreshLocation('wake');
}
